/**
 * Devices end to end (§3.14) with the real server: `taiku` registers the machine and heartbeats its
 * session; `taiku daemon` answers a remote start whose sealed fragment opens a real session.
 */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@taiku/server";
import type { DeviceSummary, RemoteStartResult } from "@taiku/protocol";
import { generateRemoteStartKeyPair, openRemoteFragment } from "@taiku/crypto";
import { runCli } from "../src/index.js";
import { loadCredentials, saveCredentials } from "../src/credentials.js";
import { capturedIo } from "./helpers/captured-io.js";
import { joinAsViewer } from "./helpers/viewer.js";
import { useCleanups } from "./helpers/cleanups.js";
import { waitFor } from "./helpers/wait-for.js";

const cleanups = useCleanups();
const tempDir = () => cleanups.tempDir("taiku-devices-");

/** A real server and a config dir whose credentials are the local owner's API key (as after `taiku login`, minus the device). */
async function setup() {
  const root = await tempDir();
  const server: RunningServer = await startServer({ home: join(root, "home"), host: "127.0.0.1", port: 0, logLevel: "silent" });
  cleanups.push(() => server.close());
  const config = join(root, "config");
  await saveCredentials(config, { server: server.url, apiKey: server.ownerToken, userId: "", userName: "owner", deviceId: "", deviceToken: "" });
  const key = { "X-Taiku-Token": server.ownerToken };
  const devices = async (q = "") => (await (await fetch(`${server.url}/api/v1/devices${q}`, { headers: key })).json()) as DeviceSummary[];
  /** What the dashboard's Remove does. */
  const remove = async (id: string) => (await fetch(`${server.url}/api/v1/devices/${id}`, { method: "DELETE", headers: key })).status;
  const env = { ...process.env, TAIKU_CONFIG_DIR: config, TAIKU_HEARTBEAT_MS: "200", SHELL: "/bin/sh", PS1: "$ " };
  return { root, server, config, key, devices, remove, env };
}

describe("taiku registers the device and sends heartbeats", () => {
  it("stores a stable device id and a 0600 token, and the session shows up in GET /api/v1/devices", async () => {
    const s = await setup();
    const c = capturedIo({ env: s.env, homedir: s.root, cwd: s.root });
    const exit = runCli(["--dir", s.root, "--shell", "/bin/sh"], c.io);
    const listed = await waitFor("the session in the device list", async () => {
      const [d] = await s.devices();
      return d && d.sessions.length === 1 ? d : null;
    });
    expect(listed).toMatchObject({ online: true, daemon: false });
    expect(listed.sessions[0]).toMatch(/^http:\/\/localhost:\d+\/s\/[0-9A-Za-z]{10}$/);
    expect(c.out()).toContain(`session: ${listed.sessions[0]}#`);
    const creds = await loadCredentials(s.config);
    expect(creds?.deviceId).toBe(listed.deviceId);
    expect(creds?.deviceToken).toMatch(/^[0-9A-Za-z]{43}$/);
    expect((await stat(join(s.config, "credentials"))).mode & 0o777).toBe(0o600);
    c.signals.emit("SIGINT");
    expect(await exit).toBe(0);
    // A second run keeps the same device (no new registration).
    const again = capturedIo({ env: s.env, homedir: s.root, cwd: s.root });
    const exit2 = runCli(["--dir", s.root, "--shell", "/bin/sh"], again.io);
    await waitFor("the second session", async () => (await s.devices())[0]?.sessions.some((u) => !listed.sessions.includes(u)));
    expect((await loadCredentials(s.config))?.deviceToken).toBe(creds?.deviceToken);
    expect(await s.devices()).toHaveLength(1);
    again.signals.emit("SIGINT");
    expect(await exit2).toBe(0);
    expect(c.err() + again.err()).not.toContain("heartbeat failed");
  });

  it("keeps sharing when registration fails, and says so once", async () => {
    const s = await setup();
    // Another account already owns the device id saved here, so registering it is refused (409).
    const signup = await fetch(`${s.server.url}/api/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Bob", email: "bob@example.com", password: "correct horse battery" }),
    });
    const cookie = /taiku_session=[^;]*/.exec(signup.headers.get("set-cookie") ?? "")![0];
    const taken = await fetch(`${s.server.url}/api/v1/devices/register`, {
      method: "POST",
      headers: { cookie, origin: s.server.publicUrl, "content-type": "application/json" },
      body: JSON.stringify({ deviceId: "dev-taken-0001", name: "Bob's", hostname: "bob", os: "linux" }),
    });
    expect(taken.status).toBe(200);
    const creds = (await loadCredentials(s.config))!;
    await saveCredentials(s.config, { ...creds, deviceId: "dev-taken-0001" });
    const c = capturedIo({ env: { ...s.env, TAIKU_HEARTBEAT_MS: "100" }, homedir: s.root, cwd: s.root });
    const exit = runCli(["--dir", s.root, "--shell", "/bin/sh"], c.io);
    await waitFor("the banner and the warning", async () => c.out().includes("session: ") && c.err().includes("device heartbeat failed"));
    await new Promise((r) => setTimeout(r, 500)); // several more failing heartbeats
    expect(c.err().match(/device heartbeat failed/g)).toHaveLength(1);
    expect(c.err()).toContain("device id is registered to another account");
    expect(c.err()).not.toContain(s.server.ownerToken);
    expect(await s.devices()).toEqual([]);
    c.signals.emit("SIGINT");
    expect(await exit).toBe(0);
  });

  it("stops reporting when the device is removed on the dashboard, which stays removed; sharing continues", async () => {
    const s = await setup();
    const c = capturedIo({ env: s.env, homedir: s.root, cwd: s.root });
    const exit = runCli(["--dir", s.root, "--shell", "/bin/sh"], c.io);
    const [device] = await waitFor("the device in the list", async () => ((await s.devices()).length ? s.devices() : null));
    expect(await s.remove(device!.deviceId)).toBe(200);
    await waitFor("the warning", async () => c.err().includes("device was removed"), 5_000);
    await new Promise((r) => setTimeout(r, 800)); // several heartbeat intervals
    expect(await s.devices("?all=1")).toEqual([]);
    expect(c.err().match(/warning: /g)).toHaveLength(1);
    expect(c.err()).toContain("this device was removed; run 'taiku login' to add it again");
    c.signals.emit("SIGINT");
    expect(await exit).toBe(0);
  });
});

describe("taiku daemon", () => {
  it("answers a remote start with a sealed fragment that opens a real session", async () => {
    const s = await setup();
    const work = join(s.root, "work");
    await rm(work, { recursive: true, force: true });
    await mkdir(work);
    await writeFile(join(s.root, "plain-file"), "x");
    const c = capturedIo({ env: s.env, homedir: s.root, cwd: s.root });
    const exit = runCli(["daemon", "--shell", "/bin/sh"], c.io);
    const device = await waitFor("the daemon to connect", async () => (await s.devices()).find((d) => d.daemon));

    const start = async (cwd?: string) => {
      const page = await generateRemoteStartKeyPair();
      const res = await fetch(`${s.server.url}/api/v1/devices/${device.deviceId}/sessions`, {
        method: "POST",
        headers: { ...s.key, "content-type": "application/json" },
        body: JSON.stringify({ clientPublicKey: page.publicKey, ...(cwd ? { cwd } : {}) }),
      });
      expect(res.status).toBe(200);
      const { requestId } = (await res.json()) as { requestId: string };
      const result = await waitFor("the remote start result", async () => {
        const r = (await (await fetch(`${s.server.url}/api/v1/devices/${device.deviceId}/sessions/${requestId}`, { headers: s.key })).json()) as RemoteStartResult;
        return r.status === "pending" ? null : r;
      });
      return { page, requestId, result };
    };

    const missing = await start(join(s.root, "nope"));
    expect(missing.result).toEqual({ status: "failed", error: `${join(s.root, "nope")}: no such directory on this device` });
    expect((await start(join(s.root, "plain-file"))).result).toMatchObject({ status: "failed", error: expect.stringContaining("is not a directory") });

    const ok = await start(work);
    if (ok.result.status !== "started") throw new Error(JSON.stringify(ok.result));
    expect(ok.result.sessionUrl).not.toContain("#");
    const fragment = await openRemoteFragment(ok.result.sealedFragment, ok.result.daemonPublicKey, ok.page.privateKey, ok.requestId, ok.result.sessionUrl);
    expect(c.out()).not.toContain(fragment);
    const viewer = await joinAsViewer(`${ok.result.sessionUrl}#${fragment}`);
    viewer.subscribe(1);
    await viewer.type(1, "pwd; echo remote-$((40+2))\n");
    await viewer.waitFor(() => viewer.text(1).includes("remote-42") && viewer.text(1).includes(work), "the shell's answer");
    await waitFor("the heartbeat with the daemon's session", async () => (await s.devices())[0]?.sessions.includes(ok.result.status === "started" ? ok.result.sessionUrl : ""));
    viewer.close();

    c.signals.emit("SIGINT");
    expect(await exit).toBe(0);
    expect(c.out()).toContain("daemon stopped");
    await waitFor("the session to end", async () => {
      const r = await fetch(`${s.server.url}/api/v1/sessions`, { headers: s.key });
      return ((await r.json()) as unknown[]).length === 0;
    });
  });

  it("stops for good when its device is removed on the dashboard, which stays removed", async () => {
    const s = await setup();
    const c = capturedIo({ env: s.env, homedir: s.root, cwd: s.root });
    let code: number | undefined;
    const exit = runCli(["daemon", "--shell", "/bin/sh"], c.io).then((n) => (code = n));
    const device = await waitFor("the daemon to connect", async () => (await s.devices()).find((d) => d.daemon));
    expect(await s.remove(device.deviceId)).toBe(200);
    try {
      await waitFor("the daemon to exit", async () => code !== undefined, 5_000);
    } finally {
      c.signals.emit("SIGINT");
      await exit;
    }
    expect(code).toBe(3);
    expect(c.err()).toContain("taiku: this device was removed; run 'taiku login' to add it again");
    expect(c.err()).not.toMatch(/registration failed|HTTP 410/);
    await new Promise((r) => setTimeout(r, 500)); // heartbeats come every 200 ms
    expect(await s.devices("?all=1")).toEqual([]);
  });

  it("refuses to run without a login and documents itself", async () => {
    const root = await tempDir();
    const c = capturedIo({ env: { TAIKU_CONFIG_DIR: join(root, "none") }, homedir: root });
    expect(await runCli(["daemon"], c.io)).toBe(3);
    expect(c.err()).toContain("run 'taiku login' first");
    const h = capturedIo();
    expect(await runCli(["daemon", "--help"], h.io)).toBe(0);
    expect(h.out()).toContain("taiku daemon [--shell <path>]");
  });
});
