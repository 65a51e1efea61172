import { afterEach, describe, expect, it } from "vitest";
import { createdShell, fakeFrame, join, openSession, resumeCli, sendHello, startRelay, TestClient, type Harness } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

describe("CLI link", () => {
  it("opens a session: opened with baseUrl, hello, then sync", async () => {
    h = await startRelay();
    const host = await openSession(h);
    expect(host.sessionId).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(host.token).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(host.cli.log[0]).toMatchObject({ t: "opened", baseUrl: "http://taiku.test", resumed: false });
    expect(h.relay.sessionOwner(host.sessionId)).toBeNull();
  });

  it("owns the session by the API key's account and lists it", async () => {
    h = await startRelay();
    h.accounts.apiKeys.set("tk_good", { id: "acct1", name: "Alice" });
    const host = await openSession(h, { apiKey: "tk_good" });
    expect(h.relay.sessionOwner(host.sessionId)).toBe("acct1");
    expect(h.relay.listSessions("acct1")).toEqual([
      expect.objectContaining({ sessionId: host.sessionId, cliConnected: true, users: 0, shells: 0, cwdLabel: "proj" }),
    ]);
    expect(h.relay.listSessions("other")).toEqual([]);
  });

  it("rejects a bad API key, a bad hello, and resume of an unknown session", async () => {
    h = await startRelay();
    const badKey = new TestClient(h, "/api/cli", { "X-Taiku-Token": "tk_nope" });
    expect((await badKey.next("error")).message).toBe("Unauthorized");
    expect((await badKey.closed).code).toBe(4401);

    const cli = new TestClient(h, "/api/cli");
    await cli.opened;
    cli.send({ t: "open", v: 1, cliVersion: "t", readersEnabled: false, noViewerAuth: false, tunnelPorts: [], deviceId: "", cwdLabel: "" });
    await cli.next("opened");
    cli.send({ t: "hello", sessionId: "xxxxxxxxxx", token: "y".repeat(32), e2e: "taiku-e2e-v0" });
    await cli.next("error");
    expect((await cli.closed).code).toBe(4400);

    const r = new TestClient(h, "/api/cli");
    await r.opened;
    r.send({ t: "resume", v: 1, sessionId: "abcdefghij", token: "z".repeat(32) });
    expect((await r.next("error")).message).toBe("Session not found");
    await r.closed;
  });

  it("resume with the wrong token is refused like an unknown session", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const r = new TestClient(h, "/api/cli");
    await r.opened;
    r.send({ t: "resume", v: 1, sessionId: host.sessionId, token: "z".repeat(32) });
    expect((await r.next("error")).message).toBe("Session not found");
  });

  it("a silent CLI link (no pong, no data) is dropped after the idle timeout and the grace window starts", async () => {
    h = await startRelay({ limits: { idleTimeoutMs: 1500, cliPingMs: 50 } });
    const host = await openSession(h);
    const { b } = await join(h, host, "admin");
    const answer = setInterval(() => b.send({ t: "ping", ts: 0 }), 50); // keep the browser itself active
    try {
      const status = await b.next("cliStatus", () => true, 10_000);
      expect(status.connected).toBe(false);
      expect((await host.cli.closed).code).toBe(4408);
    } finally {
      clearInterval(answer);
    }
  });

  it("sends ping and periodic sync; pong becomes shellLatency for browsers", async () => {
    h = await startRelay({ limits: { cliPingMs: 30, cliSyncMs: 40 } });
    const host = await openSession(h);
    const { b } = await join(h, host, "admin");
    const ping = await host.cli.next("ping");
    await host.cli.next("sync");
    host.cli.send({ t: "pong", ts: ping.ts });
    const lat = await b.next("shellLatency");
    expect(lat.ms).toBeGreaterThanOrEqual(0);
  });
});

describe("browser socket lifecycle", () => {
  it("closes unknown sessions 4404 and text frames 1003; accepts the taiku.v1 subprotocol", async () => {
    h = await startRelay();
    const none = new TestClient(h, "/api/s/nosuchsession");
    expect(await none.closed).toEqual({ code: 4404, reason: "Session not found" });
    const host = await openSession(h);
    const b = new TestClient(h, `/api/s/${host.sessionId}`, {}, ["taiku.v1"]);
    await b.next("hello");
    expect(b.ws.protocol).toBe("taiku.v1");
    b.sendRaw("hello as text");
    expect((await b.closed).code).toBe(1003);
  });

  it("hello carries a fresh 32-byte challenge and monotonic user ids from 1", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const a = new TestClient(h, `/api/s/${host.sessionId}`);
    const ha = await a.next("hello");
    const b = new TestClient(h, `/api/s/${host.sessionId}`);
    const hb = await b.next("hello");
    expect(ha).toMatchObject({ userId: 1, sessionId: host.sessionId, serverVersion: "test", e2e: "taiku-e2e-v1" });
    expect(hb.userId).toBe(2);
    expect(ha.challenge).toHaveLength(32);
    expect(Buffer.from(ha.challenge).equals(Buffer.from(hb.challenge))).toBe(false);
  });

  it("assigns roles: open session → writer for the plain link; admin link → admin", async () => {
    h = await startRelay();
    const host = await openSession(h);
    expect((await join(h, host, "reader")).authOk).toMatchObject({ role: "writer", canWrite: true });
    expect((await join(h, host, "admin", { name: "Ann" })).authOk).toMatchObject({ role: "admin", canWrite: true, name: "Ann" });
  });

  it("assigns roles in a write-protected session: reader / writer / admin", async () => {
    h = await startRelay();
    const host = await openSession(h, { readersEnabled: true });
    const r = await join(h, host, "reader");
    expect(r.authOk).toMatchObject({ role: "reader", canWrite: false });
    expect((await join(h, host, "writer")).authOk).toMatchObject({ role: "writer" });
    expect((await join(h, host, "admin")).authOk).toMatchObject({ role: "admin" });
    r.b.send({ t: "create", requestId: 1, rows: 10, cols: 10 });
    expect(await r.b.next("error")).toMatchObject({ code: "forbidden", message: "write auth required" });
    r.b.send({ t: "renameSession", name: "x" });
    expect(await r.b.next("error")).toMatchObject({ code: "forbidden", message: "admin auth required" });
  });

  it("the owner account's cookie makes the browser admin without adminProof", async () => {
    h = await startRelay();
    h.accounts.apiKeys.set("tk_o", { id: "o1", name: "Owner" });
    h.accounts.cookies.set("cookie-o", { id: "o1", name: "Owner" });
    h.accounts.cookies.set("cookie-x", { id: "x1", name: "Other" });
    const host = await openSession(h, { apiKey: "tk_o", readersEnabled: true });
    expect((await join(h, host, "reader", { cookie: "cookie-o" })).authOk).toMatchObject({ role: "admin", accountId: "o1", name: "Owner" });
    expect((await join(h, host, "reader", { cookie: "cookie-x" })).authOk).toMatchObject({ role: "reader", accountId: "x1" });
  });

  it("viewer auth: no valid cookie → 4401; noViewerAuth sessions open", async () => {
    h = await startRelay({ viewerAuth: true });
    h.accounts.cookies.set("c1", { id: "a", name: "A" });
    const host = await openSession(h);
    const anon = new TestClient(h, `/api/s/${host.sessionId}`);
    expect((await anon.closed).code).toBe(4401);
    const bad = new TestClient(h, `/api/s/${host.sessionId}`, { Cookie: "taiku_session=wrong" });
    expect((await bad.closed).code).toBe(4401);
    expect((await join(h, host, "admin", { cookie: "c1" })).authOk.role).toBe("admin");
    const open = await openSession(h, { noViewerAuth: true });
    expect((await join(h, open, "reader")).authOk.role).toBe("writer");
  });

  it("invalid viewProof → invalidAuth + 4403; repeated failures → 4429", async () => {
    h = await startRelay({ limits: { authFailuresPerMinute: 3 } });
    const host = await openSession(h);
    for (let i = 0; i < 3; i++) {
      const { b, authOk } = await join(h, host, "admin", { badView: true });
      expect(authOk).toEqual({ t: "invalidAuth", reason: "invalid key" });
      expect((await b.closed).code).toBe(4403);
    }
    const blocked = new TestClient(h, `/api/s/${host.sessionId}`);
    expect((await blocked.closed).code).toBe(4429);
    expect(blocked.log).toEqual([]);
  });

  it("counts auth failures per client address from deps.clientIp (trusted proxy)", async () => {
    h = await startRelay({ limits: { authFailuresPerMinute: 2 } });
    h.deps.clientIp = (req) => String(req.headers["x-forwarded-for"] ?? "?");
    const host = await openSession(h);
    for (let i = 0; i < 2; i++) await join(h, host, "admin", { badView: true, headers: { "X-Forwarded-For": "10.0.0.1" } });
    const blocked = new TestClient(h, `/api/s/${host.sessionId}`, { "X-Forwarded-For": "10.0.0.1" });
    expect((await blocked.closed).code).toBe(4429);
    const other = await join(h, host, "admin", { headers: { "X-Forwarded-For": "10.0.0.2" } });
    expect(other.authOk.role).toBe("admin");
  });

  it("closes 4408 when authenticate does not arrive in time, and idle sockets", async () => {
    h = await startRelay({ limits: { authTimeoutMs: 1000, idleTimeoutMs: 1500 } });
    const host = await openSession(h);
    const slow = new TestClient(h, `/api/s/${host.sessionId}`);
    expect((await slow.closed).code).toBe(4408);
    const { b } = await join(h, host, "admin");
    const start = Date.now();
    expect((await b.closed).code).toBe(4408);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000); // not before the idle timeout
  });

  it("sends the initial state in the documented order", async () => {
    h = await startRelay();
    const host = await openSession(h);
    await createdShell(host, 1);
    const first = await join(h, host, "admin");
    first.b.send({ t: "pluginKvSet", pluginId: "p1", key: "k", value: { a: 1 } });
    await first.b.next("pluginKvDiff");
    first.b.send({ t: "chat", message: "hi" });
    await first.b.next("chat");
    const { b } = await join(h, host, "writer");
    const types = b.log.map((m) => m.t);
    expect(types).toEqual([
      "hello", "authOk", "sessionInfo", "users", "shells", "ownership", "chatHistory", "sessionPlugins", "pluginKv", "tunnels", "documents", "cliStatus",
    ]);
    expect(b.log[3]!.users.map((u: [number, unknown]) => u[0])).toEqual([1, 2]);
    expect(b.log[6]!.messages[0]).toEqual([1, "Guest 1", "hi", expect.any(Number), 1]);
    expect(b.log[8]).toMatchObject({ pluginId: "p1", entries: { k: { a: 1 } }, rev: 1 });
    expect(b.log[10]).toEqual({ t: "documents", documents: [] });
    expect(b.log[11]).toEqual({ t: "cliStatus", connected: true, expiresAt: null });
  });

  it("malformed messages get bad_request; 20 of them close 4400; unknown t is ignored", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const { b } = await join(h, host, "admin");
    b.send({ t: "somethingNew", x: 1 });
    b.send({ t: "ping", ts: 5 });
    expect((await b.next("pong")).ts).toBe(5);
    expect(b.has("error")).toBe(false);
    b.send({ t: "chat", message: "" });
    expect((await b.next("error")).code).toBe("bad_request");
    for (let i = 0; i < 19; i++) b.sendRaw(Buffer.from([0xff, 0x00, 0x13]));
    expect((await b.closed).code).toBe(4400);
  });

  it("a malformed docId is refused; subscribing to an unknown document waits for it (documents: docs.test.ts)", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const { b } = await join(h, host, "admin");
    b.send({ t: "docSubscribe", docId: "d", fromSeq: 0 });
    expect((await b.next("error")).code).toBe("bad_request"); // not a docId: malformed
    b.send({ t: "docSubscribe", docId: "NoSuchDoc123", fromSeq: 0 });
    expect(await b.next("docUpdates")).toEqual({ t: "docUpdates", docId: "NoSuchDoc123", frames: [] });
  });
});

describe("output fan-out and replay", () => {
  it("fans out data to subscribers and replays from fromSeq without loss or duplication", async () => {
    h = await startRelay();
    const host = await openSession(h);
    await createdShell(host, 1);
    const a = await join(h, host, "admin");
    a.b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    for (let seq = 0; seq < 50; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(20 + seq, seq) });
    host.cli.send({ t: "data", shellId: 1, seq: 10, frame: fakeFrame(16, 99) }); // duplicate: ignored
    const got: number[] = [];
    while (got.length < 50) for (const f of (await a.b.next("chunks")).frames) got.push(f.seq);
    expect(got).toEqual([...Array(50).keys()]);

    const late = await join(h, host, "reader");
    late.b.send({ t: "subscribe", shellId: 1, fromSeq: 30 });
    const replay: number[] = [];
    while (replay.length < 20) for (const f of (await late.b.next("chunks")).frames) replay.push(f.seq);
    expect(replay).toEqual([...Array(20).keys()].map((i) => i + 30));
    host.cli.send({ t: "data", shellId: 1, seq: 50, frame: fakeFrame() });
    expect((await late.b.next("chunks")).frames.map((f: { seq: number }) => f.seq)).toEqual([50]);
    expect((await a.b.next("chunks")).frames.map((f: { seq: number }) => f.seq)).toEqual([50]);
  });

  it("trims the ring oldest-first at the byte cap", async () => {
    h = await startRelay({ limits: { shellRingBytes: 1000 } });
    const host = await openSession(h);
    await createdShell(host, 1);
    for (let seq = 0; seq < 10; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(300) });
    const { b } = await join(h, host, "admin"); // joining after the frames proves they were processed in order
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    const chunks = await b.next("chunks");
    expect(chunks.frames.map((f: { seq: number }) => f.seq)).toEqual([7, 8, 9]); // 3 × 300 ≤ 1000 < 4 × 300
  });

  it("agent frames are forwarded and replayed; titles keep the highest version", async () => {
    h = await startRelay();
    const host = await openSession(h);
    await createdShell(host, 1);
    const a = await join(h, host, "admin");
    host.cli.send({ t: "agent", shellId: 1, seq: 0, frame: fakeFrame() });
    expect((await a.b.next("agent")).frames[0].seq).toBe(0);
    host.cli.send({ t: "title", shellId: 1, version: 2, frame: fakeFrame(16, 2) });
    host.cli.send({ t: "title", shellId: 1, version: 1, frame: fakeFrame(16, 1) });
    expect((await a.b.next("title")).version).toBe(2);
    const late = await join(h, host, "writer");
    expect((await late.b.next("title")).version).toBe(2);
    late.b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    expect((await late.b.next("agent")).frames).toHaveLength(1);
  });
});

describe("CLI disconnect, grace window, resume", () => {
  it("browsers see cliStatus; input is refused; resume re-attaches and sync asks for missing frames", async () => {
    h = await startRelay({ limits: { cliGraceMs: 5000 } });
    const host = await openSession(h);
    await createdShell(host, 1);
    host.cli.send({ t: "data", shellId: 1, seq: 0, frame: fakeFrame() });
    host.cli.send({ t: "data", shellId: 1, seq: 1, frame: fakeFrame() });
    const { b } = await join(h, host, "admin");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    await b.next("chunks");
    host.cli.ws.close();
    const down = await b.next("cliStatus");
    expect(down.connected).toBe(false);
    expect(down.expiresAt).toBeGreaterThan(Date.now() + 3000);
    b.send({ t: "data", shellId: 1, counter: 1, frame: fakeFrame() });
    expect(await b.next("error")).toEqual({ t: "error", code: "cli_disconnected", message: "CLI not connected" });
    b.send({ t: "create", requestId: 1, rows: 5, cols: 5 });
    expect((await b.next("error")).code).toBe("cli_disconnected");

    const cli2 = await resumeCli(h, host);
    expect(await cli2.next("sync")).toEqual({ t: "sync", nextSeq: { "1": 2 } });
    expect(await b.next("cliStatus")).toEqual({ t: "cliStatus", connected: true, expiresAt: null });
    cli2.send({ t: "data", shellId: 1, seq: 1, frame: fakeFrame() }); // re-sent duplicate: ignored
    cli2.send({ t: "data", shellId: 1, seq: 2, frame: fakeFrame() });
    expect((await b.next("chunks")).frames.map((f: { seq: number }) => f.seq)).toEqual([2]);
  });

  it("a second resume replaces the previous link (4409)", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const cli2 = await resumeCli(h, host);
    await cli2.next("sync");
    expect((await host.cli.closed).code).toBe(4409);
    const { b } = await join(h, host, "admin");
    expect(b.log.at(-1)).toMatchObject({ t: "cliStatus", connected: true });
  });

  it("resume with different verifiers is refused", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const other = await openSession(h);
    const cli = new TestClient(h, "/api/cli");
    await cli.opened;
    cli.send({ t: "resume", v: 1, sessionId: host.sessionId, token: host.token });
    await cli.next("opened");
    await sendHello(cli, host.sessionId, host.token, other.keys);
    await cli.next("error");
    expect((await cli.closed).code).toBe(4403);
  });

  it("closes the session when the grace window expires", async () => {
    h = await startRelay({ limits: { cliGraceMs: 150 } });
    const host = await openSession(h);
    const { b } = await join(h, host, "admin");
    await h.snapshots.save(host.sessionId, null, new Uint8Array([1])); // stand-in for an earlier snapshot
    host.cli.ws.close();
    await b.next("cliStatus");
    expect(await b.next("sessionClosed")).toEqual({ t: "sessionClosed", reason: "CLI disconnected" });
    expect((await b.closed).code).toBe(4410);
    expect(h.relay.sessionOwner(host.sessionId)).toBeUndefined();
    expect(h.snapshots.data.has(host.sessionId)).toBe(false);
    // §2.2.2: a session the relay knows has ended closes 4410 "Session closed" (4404 is for unknown ids).
    const late = new TestClient(h, `/api/s/${host.sessionId}`);
    expect(await late.closed).toEqual({ code: 4410, reason: "Session closed" });
  });

  it("CLI close ends the session for browsers with sessionClosed / 4410", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const { b } = await join(h, host, "admin");
    host.cli.send({ t: "close", reason: "bye" });
    expect((await b.next("sessionClosed")).reason).toBe("bye");
    expect((await b.closed).code).toBe(4410);
  });
});
