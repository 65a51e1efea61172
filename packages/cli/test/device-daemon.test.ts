/**
 * DeviceDaemon (devices/daemon.ts) at its edges: a server that refuses the upgrade (one reconnect per
 * refusal), and Ctrl-C while a remote start is half-way (the session it was starting is closed too).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "@taiku/server";
import { generateRemoteStartKeyPair } from "@taiku/crypto";
import { deviceHeartbeatBody, MAX_DEVICE_SESSIONS, type DeviceSummary } from "@taiku/protocol";
import { DeviceDaemon } from "../src/devices/daemon.js";
import { ensureDevice, startDeviceReporter } from "../src/devices/device-api.js";
import { saveCredentials } from "../src/credentials.js";
import type { PtyLike, SpawnPty } from "../src/shells.js";
import { useCleanups } from "./helpers/cleanups.js";
import { waitFor } from "./helpers/wait-for.js";

const cleanups = useCleanups();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("DeviceDaemon", () => {
  it("schedules one reconnect per refused upgrade, and none after stop", async () => {
    let upgrades = 0;
    const http = createServer();
    http.on("upgrade", (_req, socket) => {
      upgrades++;
      socket.end("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => http.close(r)));
    const server = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const logs: string[] = [];
    const daemon = new DeviceDaemon({
      ctx: { fetch, dir: await cleanups.tempDir() },
      creds: { server, apiKey: "k", userId: "", userName: "", deviceId: "dev-test-0001", deviceToken: "t" },
      home: process.cwd(),
      share: {},
      log: (l) => logs.push(l),
      reconnectInitialMs: 40,
      reconnectMaxMs: 40,
    });
    daemon.start();
    await sleep(600);
    await daemon.stop();
    const logsAtStop = logs.length;
    expect(await daemon.done).toEqual({ reason: "stopped" });
    // Refused upgrades are retried as such: never a second, "connection lost" retry for the same socket
    // (two timers per refusal doubled the attempts each round).
    expect(logs.filter((l) => l.includes("server answered HTTP 503")).length).toBeGreaterThanOrEqual(3);
    expect(logs.filter((l) => l.includes("connection lost"))).toEqual([]);
    expect(upgrades).toBeLessThanOrEqual(20);
    // An upgrade already on its way when stop() ran may still reach the server: let it land, then none more.
    await sleep(100);
    const after = upgrades;
    await sleep(200);
    expect(upgrades).toBe(after);
    expect(logs.slice(logsAtStop).filter((l) => l.includes("reconnecting"))).toEqual([]);
  });

  it("closes the session it was starting when stopped half-way through a remote start", async () => {
    const root = await cleanups.tempDir("taiku-daemon-");
    const srv = await startServer({ home: join(root, "home"), host: "127.0.0.1", port: 0, logLevel: "silent" });
    cleanups.push(() => srv.close());
    const key = { "X-Taiku-Token": srv.ownerToken };
    const config = join(root, "config");
    const ctx = { fetch, dir: config };
    await saveCredentials(config, { server: srv.url, apiKey: srv.ownerToken, userId: "", userName: "owner", deviceId: "", deviceToken: "" });
    const creds = await ensureDevice(ctx, { server: srv.url, apiKey: srv.ownerToken, userId: "", userName: "owner", deviceId: "", deviceToken: "" });

    const killed: string[] = [];
    let stopping: Promise<void> | null = null;
    // The shell is spawned at the very end of startShare: stop the daemon right then.
    const spawn: SpawnPty = (): PtyLike => {
      stopping ??= daemon.stop();
      return {
        pid: 1, onData: () => ({ dispose() {} }), onExit: () => ({ dispose() {} }),
        write() {}, resize() {}, pause() {}, resume() {}, kill: (signal) => void killed.push(signal ?? ""),
      };
    };
    const daemon: DeviceDaemon = new DeviceDaemon({
      ctx, creds, home: root, share: { spawn, shell: "/bin/sh", env: { PATH: process.env.PATH ?? "" }, aliases: false }, log: () => undefined,
    });
    cleanups.push(() => daemon.stop());
    daemon.start();
    const device = await waitFor("the daemon to connect", async () => {
      const list = (await (await fetch(`${srv.url}/api/v1/devices`, { headers: key })).json()) as DeviceSummary[];
      return list.find((d) => d.daemon);
    });
    const page = await generateRemoteStartKeyPair();
    const res = await fetch(`${srv.url}/api/v1/devices/${device.deviceId}/sessions`, {
      method: "POST",
      headers: { ...key, "content-type": "application/json" },
      body: JSON.stringify({ clientPublicKey: page.publicKey, cwd: root }),
    });
    expect(res.status).toBe(200);
    expect(await daemon.done).toEqual({ reason: "stopped" });
    await stopping;
    // By the time `done` resolves, the half-started session is closed: its shell killed, the server told.
    expect(killed).toHaveLength(1);
    expect(daemon.sessionUrls()).toEqual([]);
    await waitFor("the session to end on the server", async () => {
      const r = await fetch(`${srv.url}/api/v1/sessions`, { headers: key });
      return ((await r.json()) as unknown[]).length === 0;
    }, 5_000);
  }, 60_000);
});

describe("device heartbeats", () => {
  it("report at most MAX_DEVICE_SESSIONS sessions, so a busy daemon's heartbeat is not refused", async () => {
    const bodies: unknown[] = [];
    const fakeFetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      bodies.push(JSON.parse(String(init?.body)));
      return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { "content-type": "application/json" } }); // the real heartbeat answer
    }) as typeof fetch;
    const sessions = Array.from({ length: MAX_DEVICE_SESSIONS + 6 }, (_, i) => `http://127.0.0.1:1/s/session${i}`);
    const reporter = startDeviceReporter(
      { fetch: fakeFetch, dir: await cleanups.tempDir() },
      { server: "http://127.0.0.1:1", apiKey: "k", userId: "", userName: "", deviceId: "dev-test-0001", deviceToken: "t" },
      { sessions: () => sessions, intervalMs: 60_000, warn: (m) => void bodies.push(m) },
    );
    await reporter.beat();
    reporter.stop();
    expect(bodies).toHaveLength(2);
    for (const body of bodies) expect(deviceHeartbeatBody.safeParse(body).success).toBe(true);
    expect((bodies[0] as { sessions: string[] }).sessions).toEqual(sessions.slice(0, MAX_DEVICE_SESSIONS));
  });
});
