import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TIMEOUT_MS, TaikuPlugin, TaikuTimeoutError, type MessageSource } from "./index.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup) f();
  cleanup = [];
  vi.useRealTimers();
});

function setup(permissions?: string[]) {
  const win = createTestWindow();
  const mock = new MockHost({ pluginId: "p.events", sessionId: "s", window: win, permissions });
  const taiku = new TaikuPlugin({ window: win });
  cleanup.push(() => { taiku.destroy(); mock.dispose(); });
  return { mock, taiku };
}
const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

describe("events", () => {
  it("on(type) gets its type, on('*') gets everything, and the first on() subscribes once", async () => {
    const { mock, taiku } = setup();
    const typed: unknown[] = [];
    const all: string[] = [];
    taiku.on<{ shellId: number }>("shell:data", (e) => typed.push(e.data.shellId));
    taiku.on("*", (e) => all.push(e.type));
    await taiku.ready();
    await tick();
    expect(mock.callsOf("subscribeEvents")).toHaveLength(1);
    mock.emit("shell:data", { shellId: 1 });
    mock.emit("user_joined", { userName: "ana", userId: 2, device: "Mac Web", canWrite: true });
    mock.emit("plugin_event", { pluginId: "other", name: "build.done", data: 1, userId: 2, userName: "ana", mine: false });
    await tick();
    expect(typed).toEqual([1]);
    expect(all).toEqual(["shell:data", "user_joined", "plugin_event"]);
  });

  it("events carry { type, data, timestamp } and handlers can be removed", async () => {
    const { mock, taiku } = setup();
    const seen: Array<{ type: string; data: unknown; timestamp: number }> = [];
    const off = taiku.on("chat", (e) => seen.push(e));
    await taiku.ready();
    await mock.subscribed(); // the subscribeEvents round trip: events before it are not delivered (§6.4)
    mock.emit("chat", { userName: "ana", message: "hi", mine: false, userId: 2 });
    await tick();
    off();
    mock.emit("chat", { userName: "ana", message: "again", mine: false, userId: 2 });
    await tick();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: "chat", data: { message: "hi" } });
    expect(typeof seen[0]!.timestamp).toBe("number");
  });

  it("a throwing handler does not stop the others", async () => {
    const { mock, taiku } = setup();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    let reached = false;
    taiku.on("hotkey", () => { throw new Error("boom"); });
    taiku.on("hotkey", () => (reached = true));
    await taiku.ready();
    await tick();
    mock.emit("hotkey", { hotkeyId: "h" });
    await tick();
    expect(reached).toBe(true);
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
  });

  it("MockHost withholds gated events from a plugin without the permission", async () => {
    const { mock, taiku } = setup(["events.subscribe"]);
    const got: string[] = [];
    taiku.on("*", (e) => got.push(e.type));
    await taiku.ready();
    await tick();
    expect(mock.emit("agent_status", { shellId: 1, agentType: "claude", status: "running" })).toBe(false);
    expect(mock.emit("agent.tool_call", { tool_name: "bash" })).toBe(false);
    expect(mock.emit("chat", { userName: "a", message: "m", mine: false, userId: 1 })).toBe(false);
    expect(mock.emit("shell:data", { shellId: 1 })).toBe(true);
    await tick();
    expect(got).toEqual(["shell:data"]);
  });
});

/** A host window that initialises the plugin and then never answers. */
function silentHost() {
  let listener: ((e: MessageEvent) => void) | undefined;
  const host = { postMessage: vi.fn() };
  const win: MessageSource = { parent: host, addEventListener: (_t, l) => (listener = l), removeEventListener: () => (listener = undefined) };
  const init = () => listener?.({ source: host, data: { type: "taiku:init", pluginId: "p", sessionId: "s", panelId: "", authToken: "t" } } as unknown as MessageEvent);
  return { host, win, init };
}

describe("timeouts", () => {
  it("rejects after 10 s by default with TaikuTimeoutError", async () => {
    vi.useFakeTimers();
    const { win, init } = silentHost();
    const taiku = new TaikuPlugin({ window: win });
    cleanup.push(() => taiku.destroy());
    init();
    const p = taiku.getSession();
    const outcome = p.then(() => "resolved", (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1);
    expect(await Promise.race([outcome, Promise.resolve("pending")])).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(TaikuTimeoutError);
    expect((err as Error).message).toBe("Timeout: getSession did not respond within 10000 ms");
  });

  it("honours the constructor timeout and a per-call override", async () => {
    vi.useFakeTimers();
    const { win, init, host } = silentHost();
    const taiku = new TaikuPlugin({ window: win, timeout: 15_000 });
    cleanup.push(() => taiku.destroy());
    init();
    const a = taiku.getShells().catch((e: Error) => e.message);
    const b = taiku.getShells({ timeout: 20 }).catch((e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(20);
    expect(await b).toBe("Timeout: getShells did not respond within 20 ms");
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await a).toBe("Timeout: getShells did not respond within 15000 ms");
    // Every request echoed the identity from taiku:init (§6.1).
    const sent = host.postMessage.mock.calls.map((c) => c[0]).filter((m) => m.type === "taiku:request");
    expect(sent[0]).toMatchObject({ pluginId: "p", panelId: "", authToken: "t", method: "getShells" });
  });

  it("times out calls queued behind a host that never initialises", async () => {
    vi.useFakeTimers();
    const { win } = silentHost();
    const taiku = new TaikuPlugin({ window: win, timeout: 50 });
    cleanup.push(() => taiku.destroy());
    const p = taiku.getSession().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    expect(await p).toBeInstanceOf(TaikuTimeoutError);
  });
});
