/** The dashboard's device calls (devices-api.ts): what reaches the page, and the refresh loop. */
import type { DeviceSummary } from "@taiku/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { devicePoller, devicesApi } from "./devices-api.js";

const device = (deviceId: string, sessions: string[] = []): DeviceSummary =>
  ({ deviceId, name: deviceId, hostname: "h", os: "linux", online: true, lastSeen: 0, sessions, daemon: false });

/** A load whose answers the test hands out one by one. */
function loads() {
  const waiting: Array<(d: DeviceSummary[]) => void> = [];
  const load = vi.fn(() => new Promise<DeviceSummary[]>((resolve) => waiting.push(resolve)));
  return { load, answer: (i: number, d: DeviceSummary[]) => waiting[i]!(d) };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("devicesApi.list", () => {
  it("leaves out session links that are not http(s): each becomes an href in the page", async () => {
    const body = [device("d1", ["https://taiku.example/s/abc#k", "javascript:alert(1)", "http://localhost:8080/s/x"])];
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } })));
    expect((await devicesApi.list())[0]!.sessions).toEqual(["https://taiku.example/s/abc#k", "http://localhost:8080/s/x"]);
  });
});

describe("devicePoller", () => {
  it("shows the latest request's answer, not an older one that lands after it", async () => {
    const { load, answer } = loads();
    const shown: string[][] = [];
    const p = devicePoller(load, { list: (d) => shown.push(d.map((x) => x.deviceId)), error: () => {} }, 15_000);
    const first = p.refresh(); // e.g. the periodic load
    const second = p.refresh(); // the "show offline" toggle
    answer(1, [device("online"), device("offline")]);
    await second;
    answer(0, [device("online")]);
    await first;
    expect(shown).toEqual([["online", "offline"]]);
  });

  it("neither loads nor keeps a timer once stopped, even when stopped before it started", async () => {
    vi.useFakeTimers();
    const { load, answer } = loads();
    const list = vi.fn();
    const p = devicePoller(load, { list, error: () => {} }, 1000);
    p.stop(); // the page went away while it still asked who is signed in
    await p.start();
    vi.advanceTimersByTime(5000);
    expect(load).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);

    const q = devicePoller(load, { list, error: () => {} }, 1000);
    const started = q.start();
    vi.advanceTimersByTime(2000);
    expect(load).toHaveBeenCalledTimes(3);
    q.stop();
    answer(0, [device("late")]);
    await started;
    vi.advanceTimersByTime(5000);
    expect(load).toHaveBeenCalledTimes(3);
    expect(list).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
