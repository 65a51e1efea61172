/** Devices and remote start (§3.14, §11.3.9) against a real server with a stub relay and a fake daemon. */
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { decodeCbor, DEVICE_CLOSE, encodeCbor, type DeviceSummary } from "@taiku/protocol";
import { generateRemoteStartKeyPair, openRemoteFragment, sealRemoteFragment } from "@taiku/crypto";
import type { KyselyPlugin } from "kysely";
import { signUp, start, type Started } from "../app/helpers.js";
import { openDatabase } from "../../src/db/database.js";
import { DEFAULT_DEVICE_SETTINGS } from "../../src/devices/index.js";
import { DeviceStore } from "../../src/devices/store.js";

const DEVICE = { deviceId: "dev-laptop-0001", name: "Laptop", hostname: "laptop.local", os: "linux" };

/** A clock the test moves by hand. */
function clock() {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function apiKeyFor(s: Started, email = "alice@example.com") {
  const { browser } = await signUp(s, email);
  const res = await s.http.post("/api/v1/auth/api-keys", { label: "test" }, browser);
  return { key: { "X-Taiku-Token": res.json<{ apiKey: string }>().apiKey }, browser };
}

async function registered(s: Started, email?: string) {
  const { key, browser } = await apiKeyFor(s, email);
  const res = await s.http.post("/api/v1/devices/register", DEVICE, key);
  expect(res.status).toBe(200);
  const { deviceToken } = res.json<{ deviceId: string; deviceToken: string }>();
  return { key, browser, token: deviceToken, bearer: { authorization: `Bearer ${deviceToken}` } };
}

const list = async (s: Started, auth: Record<string, string>, q = "") => (await s.http.get(`/api/v1/devices${q}`, auth)).json<DeviceSummary[]>();

/** A daemon stand-in: connects with the device token and answers with `answer`. */
async function fakeDaemon(s: Started, token: string, deviceId = DEVICE.deviceId) {
  const ws = new WebSocket(`${s.http.base.replace("http", "ws")}/api/v1/devices/${deviceId}/connect`, { headers: { authorization: `Bearer ${token}` } });
  const received: any[] = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (d) => {
    received.push(decodeCbor(d as Buffer));
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
  const next = async () => {
    while (!received.length) await new Promise<void>((r) => waiters.push(r));
    return received.shift();
  };
  return { ws, next, closed, send: (m: unknown) => ws.send(encodeCbor(m)) };
}

async function poll(s: Started, auth: Record<string, string>, path: string) {
  for (let i = 0; i < 200; i++) {
    const r = await s.http.get(path, auth);
    if (r.status !== 200 || r.json().status !== "pending") return r;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error("still pending");
}

describe("device registration and heartbeats", () => {
  it("registers with an API key or cookie, rotates the token on re-register, and stores only a hash", async () => {
    const s = await start();
    const { key, browser, token, bearer } = await registered(s);
    expect(token).toMatch(/^[0-9A-Za-z]{43}$/);
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] }, bearer)).json()).toEqual({ ok: true });
    // Re-register from the browser (cookie + Origin): a new token, the old one stops working.
    const again = await s.http.post("/api/v1/devices/register", { ...DEVICE, name: "Renamed" }, browser);
    const newToken = again.json<{ deviceToken: string }>().deviceToken;
    expect(newToken).not.toBe(token);
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] }, bearer)).status).toBe(401);
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] }, { authorization: `Bearer ${newToken}` })).status).toBe(200);
    expect((await list(s, key)).map((d) => d.name)).toEqual(["Renamed"]);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(`${s.home}/taiku.db`, { readonly: true });
    const raw = JSON.stringify(db.prepare("SELECT * FROM devices").all());
    db.close();
    expect(raw).not.toContain(newToken);
  });

  it("refuses bad auth and bad bodies with clear texts and changes nothing", async () => {
    const s = await start();
    const { key, bearer } = await registered(s);
    expect((await s.http.post("/api/v1/devices/register", DEVICE)).status).toBe(401);
    const bad = await s.http.post("/api/v1/devices/register", { ...DEVICE, deviceId: "../x" }, key);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^invalid request body: deviceId/);
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] })).text).toBe("invalid device token");
    const frag = await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: ["http://localhost/s/abcdefghij#secret"] }, bearer);
    expect(frag.status).toBe(400);
    expect(frag.text).toContain("fragment");
    expect(frag.text).not.toContain("secret");
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: "dev-other-0001", sessions: [] }, bearer)).status).toBe(403);
    expect((await list(s, key))[0]!.sessions).toEqual([]);
    // Another account cannot take over the device id.
    const other = await apiKeyFor(s, "bob@example.com");
    expect((await s.http.post("/api/v1/devices/register", DEVICE, other.key)).status).toBe(409);
    expect(await list(s, other.key)).toEqual([]);
  });

  it("reports online and sessions, goes offline and is pruned after silence (hidden, not deleted)", async () => {
    const c = clock();
    const s = await start({ now: c.now, devices: { onlineMs: 60_000, pruneMs: 120_000, sessionTtlMs: 30_000 } });
    const { key, bearer } = await registered(s);
    const live = `${s.server.publicUrl}/s/LiveSess01`;
    const ended = `${s.server.publicUrl}/s/EndedSes01`;
    s.relay.sessions.set("LiveSess01", { owner: null, chat: [] });
    await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [live, ended, "https://elsewhere.example/s/x"] }, bearer);
    let [d] = await list(s, key);
    expect(d).toMatchObject({ deviceId: DEVICE.deviceId, name: "Laptop", hostname: "laptop.local", os: "linux", online: true, lastSeen: c.now(), daemon: false });
    expect(d!.sessions.sort()).toEqual([live, "https://elsewhere.example/s/x"].sort());
    c.advance(40_000); // URLs not reported again expire after sessionTtlMs
    await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [live] }, bearer);
    expect((await list(s, key))[0]!.sessions).toEqual([live]);
    c.advance(61_000);
    [d] = await list(s, key);
    expect(d).toMatchObject({ online: false, sessions: [] });
    c.advance(60_000);
    expect(await list(s, key)).toEqual([]);
    expect((await list(s, key, "?all=1")).map((x) => x.deviceId)).toEqual([DEVICE.deviceId]);
    // A heartbeat brings it back: the token survived pruning.
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] }, bearer)).status).toBe(200);
    expect((await list(s, key))[0]!.online).toBe(true);
  });

  it("authenticates and records a heartbeat with one read of the device row", async () => {
    const s = await start();
    const { key, token } = await registered(s);
    const reads: string[] = [];
    const counting: KyselyPlugin = {
      transformQuery: ({ node }) => (node.kind === "SelectQueryNode" && reads.push(node.kind), node),
      transformResult: async ({ result }) => result,
    };
    const base = await openDatabase(`${s.home}/taiku.db`);
    try {
      const store = new DeviceStore(base.withPlugin(counting), () => Date.now(), DEFAULT_DEVICE_SETTINGS);
      await store.heartbeat(token, { deviceId: DEVICE.deviceId, sessions: ["https://elsewhere.example/s/x"] });
      expect(reads).toHaveLength(1);
      expect((await list(s, key))[0]!.sessions).toEqual(["https://elsewhere.example/s/x"]);
      await expect(store.heartbeat(token, { deviceId: "dev-other-0001", sessions: [] })).rejects.toMatchObject({ status: 403 });
      await expect(store.heartbeat("x".repeat(43), { deviceId: DEVICE.deviceId, sessions: [] })).rejects.toMatchObject({ status: 401 });
      await expect(store.heartbeat("nope", { deviceId: DEVICE.deviceId, sessions: [] })).rejects.toMatchObject({ status: 401 });
    } finally {
      await base.destroy();
    }
  });

  it("deletes only the owner's devices", async () => {
    const s = await start();
    const { key, browser, bearer } = await registered(s);
    const other = await apiKeyFor(s, "bob@example.com");
    expect((await s.http.req("DELETE", `/api/v1/devices/${DEVICE.deviceId}`, { headers: other.key })).status).toBe(404);
    expect((await s.http.req("DELETE", `/api/v1/devices/${DEVICE.deviceId}`, { headers: { cookie: browser.cookie } })).status).toBe(403); // no Origin
    expect((await s.http.req("DELETE", `/api/v1/devices/${DEVICE.deviceId}`, { headers: browser })).json()).toEqual({ ok: true });
    expect(await list(s, key, "?all=1")).toEqual([]);
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] }, bearer)).status).toBe(401);
  });

  it("keeps a removed device removed: registering its id again is 410; a new taiku login adds the machine back", async () => {
    const s = await start();
    const { key, browser, bearer } = await registered(s);
    expect((await s.http.req("DELETE", `/api/v1/devices/${DEVICE.deviceId}`, { headers: browser })).status).toBe(200);
    const again = await s.http.post("/api/v1/devices/register", DEVICE, key);
    expect([again.status, again.text]).toEqual([410, "this device was removed; run 'taiku login' to add it again"]);
    expect((await s.http.post("/api/v1/devices/register", DEVICE, browser)).status).toBe(410);
    expect(await list(s, key, "?all=1")).toEqual([]);
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: DEVICE.deviceId, sessions: [] }, bearer)).status).toBe(401);
    // `taiku login` mints a new device id, which registers, rotates and heartbeats as usual.
    const login = (await s.http.post("/api/v1/auth/cli/start", { deviceName: "Laptop", hostname: "laptop.local", os: "linux" })).json<{ code: string; pollToken: string }>();
    expect((await s.http.post("/api/v1/auth/cli/approve", { code: login.code }, browser)).status).toBe(200);
    const creds = (await s.http.post("/api/v1/auth/cli/poll", { pollToken: login.pollToken })).json<{ apiKey: string; deviceId: string; deviceToken: string }>();
    expect(creds.deviceId).not.toBe(DEVICE.deviceId);
    expect((await list(s, key, "?all=1")).map((d) => d.deviceId)).toEqual([creds.deviceId]);
    const rotated = await s.http.post("/api/v1/devices/register", { ...DEVICE, deviceId: creds.deviceId }, { "X-Taiku-Token": creds.apiKey });
    expect(rotated.status).toBe(200);
    const token = rotated.json<{ deviceToken: string }>().deviceToken;
    expect((await s.http.post("/api/v1/devices/heartbeat", { deviceId: creds.deviceId, sessions: [] }, { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});

describe("remote start over the daemon socket", () => {
  it("relays startSession and the sealed answer; the page opens the fragment", async () => {
    const s = await start();
    const { key, token } = await registered(s);
    const daemon = await fakeDaemon(s, token);
    expect((await list(s, key))[0]).toMatchObject({ online: true, daemon: true });
    const page = await generateRemoteStartKeyPair();
    const res = await s.http.post(`/api/v1/devices/${DEVICE.deviceId}/sessions`, { cwd: "/tmp", clientPublicKey: page.publicKey }, key);
    expect(res.status).toBe(200);
    const { requestId } = res.json<{ requestId: string }>();
    const msg = await daemon.next();
    expect(msg).toEqual({ t: "startSession", requestId, cwd: "/tmp", clientPublicKey: page.publicKey });
    expect((await s.http.get(`/api/v1/devices/${DEVICE.deviceId}/sessions/${requestId}`, key)).json()).toEqual({ status: "pending" });
    const sessionUrl = `${s.server.publicUrl}/s/RemoteSes1`;
    const sealed = await sealRemoteFragment("e8Xk9mBzQ2pR4w", msg.clientPublicKey, requestId, sessionUrl);
    daemon.send({ t: "sessionStarted", requestId, sessionUrl, ...sealed });
    const done = (await poll(s, key, `/api/v1/devices/${DEVICE.deviceId}/sessions/${requestId}`)).json();
    expect(done).toEqual({ status: "started", sessionUrl, ...sealed });
    expect(await openRemoteFragment(done.sealedFragment, done.daemonPublicKey, page.privateKey, requestId, sessionUrl)).toBe("e8Xk9mBzQ2pR4w");
    daemon.ws.close();
  });

  it("passes a daemon's error answer through, and times out a silent daemon", async () => {
    const s = await start({ devices: { startTimeoutMs: 100 } });
    const { key, token } = await registered(s);
    const daemon = await fakeDaemon(s, token);
    const { publicKey } = await generateRemoteStartKeyPair();
    const r1 = (await s.http.post(`/api/v1/devices/${DEVICE.deviceId}/sessions`, { cwd: "/nope", clientPublicKey: publicKey }, key)).json().requestId;
    await daemon.next();
    daemon.send({ t: "sessionError", requestId: r1, error: "/nope does not exist" });
    expect((await poll(s, key, `/api/v1/devices/${DEVICE.deviceId}/sessions/${r1}`)).json()).toEqual({ status: "failed", error: "/nope does not exist" });
    const r2 = (await s.http.post(`/api/v1/devices/${DEVICE.deviceId}/sessions`, { clientPublicKey: publicKey }, key)).json().requestId;
    expect((await poll(s, key, `/api/v1/devices/${DEVICE.deviceId}/sessions/${r2}`)).json()).toEqual({ status: "failed", error: "The device did not answer in time" });
    daemon.ws.close();
  });

  it("keeps a daemon that answers pings connected across many ping intervals", async () => {
    const s = await start({ devices: { pingMs: 30 } });
    const { key, token } = await registered(s);
    const daemon = await fakeDaemon(s, token); // ws answers pings by itself
    await new Promise((r) => setTimeout(r, 300));
    expect(daemon.ws.readyState).toBe(WebSocket.OPEN);
    expect((await list(s, key))[0]).toMatchObject({ deviceId: DEVICE.deviceId, online: true });
    daemon.ws.close();
  });

  it("checks ownership, validation and the daemon's presence", async () => {
    const s = await start();
    const { key, token } = await registered(s);
    const { publicKey } = await generateRemoteStartKeyPair();
    const path = `/api/v1/devices/${DEVICE.deviceId}/sessions`;
    expect((await s.http.post(path, { clientPublicKey: publicKey }, key)).status).toBe(409);
    const daemon = await fakeDaemon(s, token);
    const other = await apiKeyFor(s, "bob@example.com");
    expect((await s.http.post(path, { clientPublicKey: publicKey }, other.key)).status).toBe(404);
    expect((await s.http.post(path, { clientPublicKey: "short" }, key)).text).toMatch(/^invalid request body: clientPublicKey/);
    expect((await s.http.post(path, { clientPublicKey: publicKey, cwd: "" }, key)).status).toBe(400);
    const { requestId } = (await s.http.post(path, { clientPublicKey: publicKey }, key)).json();
    await daemon.next();
    expect((await s.http.get(`${path}/${requestId}`, other.key)).status).toBe(404);
    expect((await s.http.get(`${path}/unknownRequest01`, key)).text).toBe("Remote start request not found.");
    // A fragment-carrying URL is a bad message: the socket is closed and the request fails.
    daemon.send({ t: "sessionStarted", requestId, sessionUrl: "http://x/s/a#leak", sealedFragment: "A".repeat(40), daemonPublicKey: publicKey });
    expect(await daemon.closed).toBe(DEVICE_CLOSE.badMessage);
    expect((await poll(s, key, `${path}/${requestId}`)).json()).toEqual({ status: "failed", error: "The device daemon disconnected" });
  });

  it("refuses sockets without a valid token and closes a daemon whose device is removed", async () => {
    const s = await start();
    const { browser, token } = await registered(s);
    await expect(fakeDaemon(s, "x".repeat(43))).rejects.toThrow("HTTP 401");
    await expect(fakeDaemon(s, token, "dev-other-0001")).rejects.toThrow("HTTP 403");
    const first = await fakeDaemon(s, token);
    const second = await fakeDaemon(s, token);
    expect(await first.closed).toBe(DEVICE_CLOSE.replaced);
    await s.http.req("DELETE", `/api/v1/devices/${DEVICE.deviceId}`, { headers: browser });
    expect(await second.closed).toBe(DEVICE_CLOSE.revoked);
  });
});
