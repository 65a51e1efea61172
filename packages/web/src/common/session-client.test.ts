import {
  aad, deriveSessionKeys, formatFragment, fromUtf8, generateLinkSecrets, openFrame, proof, randomBytes, sealFrame, utf8,
  verifyProof, wsChallenge, toBase64, type SessionKeys,
} from "@taiku/crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryStorage } from "./services.js";
import { SessionClient } from "./session-client.js";
import { FakeClock, FakeSocket, until } from "./testing/fakes.js";

const kdf = { memorySize: 64 }; // both ends of the test agree on cheap Argon2id parameters
const SID = "abcDEF1234";
const secrets = generateLinkSecrets();
let cli: SessionKeys; // what the CLI holds: every key

beforeAll(async () => {
  cli = await deriveSessionKeys(SID, secrets, kdf);
});
beforeEach(() => FakeSocket.reset());

function hello(sock: FakeSocket, userId: number, challenge = randomBytes(32)) {
  sock.deliver({ t: "hello", userId, sessionId: SID, challenge, serverVersion: "test", e2e: "taiku-e2e-v1", features: [] });
  return challenge;
}

/** Drive a socket through hello → authenticate → authOk → initial state. */
async function connect(sock: FakeSocket, userId: number, opts: { role?: string; readersEnabled?: boolean } = {}) {
  sock.accept();
  const challenge = hello(sock, userId);
  await until(() => sock.sentOfType("authenticate").length === 1);
  const auth = sock.sentOfType("authenticate")[0]!;
  sock.deliver({ t: "authOk", userId, role: opts.role ?? "admin", canWrite: opts.role !== "reader", name: "alice" });
  sock.deliver({ t: "sessionInfo", name: null, readersEnabled: opts.readersEnabled ?? false, viewerAuth: false, ownerName: null, createdAt: 1, cwdLabel: null });
  sock.deliver({ t: "shells", shells: [{ id: 1, rows: 24, cols: 80, name: null, creatorUserId: null }] });
  sock.deliver({ t: "cliStatus", connected: true, expiresAt: null });
  return { challenge, auth };
}

async function chunk(seq: number, text: string, shellId = 1) {
  const f = await sealFrame(cli.enc, utf8(text), aad.output(SID, shellId, seq));
  return { seq, n: f.n, c: f.c };
}

function makeClient(fragment: string, clock = new FakeClock(), storage = new MemoryStorage()) {
  const client = new SessionClient({
    baseUrl: "http://127.0.0.1:9", sessionId: SID, fragment, WebSocket: FakeSocket, clock, storage, kdf,
    userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", random: () => 0.5,
  });
  return { client, clock, storage };
}

describe("SessionClient", () => {
  it("authenticates with proofs over the challenge and derives the role's proofs only", async () => {
    const { client } = makeClient("#" + formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    expect(sock.url).toBe(`ws://127.0.0.1:9/api/s/${SID}`);
    expect(sock.protocols).toBe("taiku.v1");
    expect(sock.binaryType).toBe("arraybuffer");
    const { challenge, auth } = await connect(sock, 7);
    const ch = wsChallenge(challenge, 7);
    expect(await verifyProof(cli.viewVerifier, "ws", SID, ch, auth.viewProof as Uint8Array)).toBe(true);
    expect(await verifyProof(cli.writeVerifier!, "ws", SID, ch, auth.writeProof as Uint8Array)).toBe(true);
    expect(await verifyProof(cli.adminVerifier!, "ws", SID, ch, auth.adminProof as Uint8Array)).toBe(true);
    expect(auth.device).toBe("Mac Web");
    await client.whenOnline();
    expect(client.state.role).toBe("admin");

    FakeSocket.reset();
    const reader = makeClient(secrets.key).client;
    await reader.start();
    const r = await connect(FakeSocket.last, 8, { role: "reader" });
    expect(r.auth.writeProof).toBeUndefined();
    expect(r.auth.adminProof).toBeUndefined();
  });

  it("opens agent telemetry frames (replays and forgeries dropped) and reports session KV diffs for the plugin host", async () => {
    const { encodeCbor } = await import("@taiku/protocol");
    const { client } = makeClient("#" + formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 7);
    await client.whenOnline();
    const agentEvents: unknown[] = [];
    const kvDiffs: unknown[] = [];
    client.events.on("agentEvent", (e) => agentEvents.push(e));
    client.events.on("pluginKvDiff", (m) => kvDiffs.push(m.key));
    const sealAgent = async (seq: number, event: unknown, shellId = 1) => {
      const f = await sealFrame(cli.enc, encodeCbor(event), aad.agent(SID, shellId, seq));
      return { seq, n: f.n, c: f.c };
    };
    const status = { type: "agent_status", data: { agentType: "codex", status: "running" }, timestamp: 42 };
    const forged = await sealAgent(1, { type: "agent.thinking", data: { text: "x" }, timestamp: 1 }, 2); // sealed for another shell
    sock.deliver({ t: "agent", shellId: 1, frames: [await sealAgent(0, status), forged] });
    sock.deliver({ t: "agent", shellId: 1, frames: [await sealAgent(0, status)] }); // replay
    sock.deliver({ t: "pluginKvDiff", pluginId: "p.x", key: "k", value: 1, deleted: false, rev: 1, userId: 3 });
    await until(() => kvDiffs.length === 1 && client.state.decryptFailures === 1);
    await new Promise((r) => setTimeout(r, 50)); // the replay has been processed too
    expect(agentEvents).toEqual([{ shellId: 1, type: "agent_status", data: { agentType: "codex", status: "running" }, timestamp: 42 }]);
    expect(client.state.pluginKv["p.x"]?.entries.toRecord()).toEqual({ k: 1 });
    expect(client.state.pluginKv["p.x"]?.rev).toBe(1);
    expect(client.state.decryptFailures).toBe(1);
  });

  it("decrypts output in order, drops replays and forged frames (warning once), acks after the sink's callback", async () => {
    const { client, clock } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 3);
    const written: string[] = [];
    const callbacks: Array<() => void> = [];
    client.attachTerminal(1, { write: (d, done) => { written.push(fromUtf8(d)); callbacks.push(done); } });
    expect(sock.sentOfType("subscribe")).toEqual([{ t: "subscribe", shellId: 1, fromSeq: 0 }]);
    const warnings: unknown[] = [];
    client.events.on("decryptWarning", (w) => warnings.push(w));

    sock.deliver({ t: "chunks", shellId: 1, frames: [await chunk(0, "hello "), await chunk(1, "world")] });
    await until(() => written.length === 1);
    expect(written).toEqual(["hello world"]); // one write per message
    clock.advance(100);
    expect(sock.sentOfType("ack")).toEqual([]); // not written yet: no ack
    callbacks[0]!();
    clock.advance(50);
    expect(sock.sentOfType("ack")).toEqual([{ t: "ack", shellId: 1, seq: 1 }]);

    // Replay of seq 1, a frame bound to another position (seq 3 sealed as 2), then a good one.
    const moved = await chunk(2, "evil");
    sock.deliver({ t: "chunks", shellId: 1, frames: [await chunk(1, "world"), { ...moved, seq: 3 }, await chunk(4, "!")] });
    const forged = await chunk(5, "x");
    forged.c[0]! ^= 0xff;
    sock.deliver({ t: "chunks", shellId: 1, frames: [forged] });
    await until(() => client.state.decryptFailures === 2);
    expect(written).toEqual(["hello world", "!"]);
    expect(warnings).toHaveLength(1);
    expect(client.lastAppliedSeq(1)).toBe(5);
    callbacks[1]!();
    clock.advance(50);
    expect(sock.sentOfType("ack").at(-1)).toEqual({ t: "ack", shellId: 1, seq: 5 });
  });

  it("seals input with the per-(user, shell) counter from 1, K_in in write-protected sessions", async () => {
    const { client } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 4, { readersEnabled: true });
    client.sendInput(1, "ls");
    client.sendInput(1, "\r");
    client.sendInput(2, "x");
    await until(() => sock.sentOfType("data").length === 3);
    const data = sock.sentOfType("data") as Array<{ shellId: number; counter: number; frame: { n: Uint8Array; c: Uint8Array } }>;
    expect(data.map((d) => [d.shellId, d.counter])).toEqual([[1, 1], [1, 2], [2, 1]]);
    expect(fromUtf8((await openFrame(cli.input!, data[1]!.frame, aad.input(SID, 1, 4, 2)))!)).toBe("\r");
    expect(await openFrame(cli.enc, data[0]!.frame, aad.input(SID, 1, 4, 1))).toBeNull(); // not K_enc
  });

  it("readers cannot type", async () => {
    const { client } = makeClient(secrets.key);
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 5, { role: "reader", readersEnabled: true });
    const errors: string[] = [];
    client.events.on("error", (e) => errors.push(e.message));
    client.sendInput(1, "rm -rf /");
    await new Promise((r) => setTimeout(r, 20));
    expect(sock.sentOfType("data")).toEqual([]);
    expect(errors[0]).toMatch(/read-only/);
  });

  it("reconnects with backoff, re-authenticates, reclaims shells, resumes output, queues and expires input", async () => {
    const { client, clock, storage } = makeClient(formatFragment(secrets));
    await client.start();
    const s1 = FakeSocket.last;
    await connect(s1, 1);
    const token = randomBytes(32);
    s1.deliver({ t: "ownershipToken", shellId: 1, token });
    expect(JSON.parse(storage.getItem(`taiku:owned:${SID}`)!)).toEqual({ "1": toBase64(token) });
    const written: string[] = [];
    client.attachTerminal(1, { write: (d, done) => { written.push(fromUtf8(d)); done(); } });
    s1.deliver({ t: "chunks", shellId: 1, frames: [await chunk(0, "a"), await chunk(1, "b")] });
    await until(() => written.length === 1);
    client.sendInput(1, "on the first connection");
    await until(() => s1.sentOfType("data").length === 1);

    s1.serverClose(1006);
    expect(client.state.status).toBe("reconnecting");
    expect(client.state.retryAt).toBe(clock.now() + 500);
    client.sendInput(1, "old"); // will be 6 s old by the time we are back: dropped
    client.chat("hi while offline");
    clock.advance(499);
    expect(FakeSocket.all).toHaveLength(1);
    clock.advance(1);
    expect(FakeSocket.all).toHaveLength(2);
    const s2 = FakeSocket.last;
    s2.serverClose(1006); // second failure: 1 s
    clock.advance(999);
    expect(FakeSocket.all).toHaveLength(2);
    clock.advance(1);
    const s3 = FakeSocket.last;
    clock.advance(4500);
    client.sendInput(1, "new"); // fresh: delivered after reconnect
    await connect(s3, 9);
    expect(client.state.status).toBe("online");
    await until(() => s3.sentOfType("data").length === 1);
    expect(s3.sentOfType("subscribe")).toEqual([{ t: "subscribe", shellId: 1, fromSeq: 2 }]);
    const claims = s3.sentOfType("claimShells") as Array<{ claims: Array<{ shellId: number; token: Uint8Array }> }>;
    expect(claims.map((c) => c.claims.map((x) => [x.shellId, toBase64(x.token)]))).toEqual([[[1, toBase64(token)]]]);
    expect(s3.sentOfType("chat")).toEqual([{ t: "chat", message: "hi while offline" }]);
    const [d] = s3.sentOfType("data") as Array<{ counter: number; frame: { n: Uint8Array; c: Uint8Array } }>;
    expect(d!.counter).toBe(1); // new userId 9: counter restarts
    expect(fromUtf8((await openFrame(cli.enc, d!.frame, aad.input(SID, 1, 9, 1)))!)).toBe("new");
    // The order on the wire: authenticate, subscribe/claims, then the queue.
    const types = s3.sent.map((m) => m.t);
    expect(types.indexOf("authenticate")).toBeLessThan(types.indexOf("subscribe"));
    expect(types.indexOf("claimShells")).toBeLessThan(types.indexOf("chat"));

    // After a healthy connection the backoff starts again from 500 ms.
    s3.serverClose(1001);
    expect(client.state.retryAt).toBe(clock.now() + 500);
    client.close();
  });

  it("pings every 15 s and treats a silent link as dead", async () => {
    const { client, clock } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 1);
    clock.advance(15_000);
    expect(sock.sentOfType("ping")).toHaveLength(1);
    clock.advance(30_000);
    expect(sock.sentOfType("ping")).toHaveLength(3);
    clock.advance(15_000); // 60 s without inbound traffic
    expect(sock.closedWith).toBe(4408);
    expect(client.state.status).toBe("reconnecting");
    client.close();
  });

  it("ends on final close codes and on sessionClosed", async () => {
    for (const [code, reason, kind] of [[4403, "", "invalid-key"], [4403, "removed by admin", "kicked"], [4404, "", "not-found"], [4410, "", "closed"], [4401, "", "login-required"]] as const) {
      FakeSocket.reset();
      const { client, clock } = makeClient(formatFragment(secrets));
      await client.start();
      FakeSocket.last.accept();
      FakeSocket.last.serverClose(code, reason);
      expect(client.state.status).toBe("ended");
      expect(client.state.end?.kind).toBe(kind);
      clock.advance(60_000);
      expect(FakeSocket.all).toHaveLength(1);
    }
    FakeSocket.reset();
    const { client } = makeClient(formatFragment(secrets));
    await client.start();
    await connect(FakeSocket.last, 1);
    FakeSocket.last.deliver({ t: "sessionClosed", reason: "host ended the session" });
    expect(client.state.end).toEqual({ kind: "closed", message: "host ended the session" });
  });

  it("folds state messages: users, ownership, chat with ids and edits, cli status", async () => {
    const { client } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 2);
    const user = { name: "bob", device: "Linux Web", role: "writer", canWrite: true, focus: null, cursor: null };
    sock.deliver({ t: "users", users: [[2, { ...user, name: "alice" }], [3, user]] });
    sock.deliver({ t: "userDiff", userId: 3, user: { ...user, focus: 1 } });
    sock.deliver({ t: "ownership", owners: [{ shellId: 1, userId: 3, name: "bob" }] });
    sock.deliver({ t: "chatHistory", messages: [[3, "bob", "hi", 10, 1]] });
    sock.deliver({ t: "chat", userId: 2, name: "alice", message: "helo", ts: 11, id: 2 });
    sock.deliver({ t: "chatEdit", id: 2, message: "hello", editedAt: 12 });
    sock.deliver({ t: "cliStatus", connected: false, expiresAt: 99 });
    sock.deliver({ t: "whatIsThis", x: 1 }); // unknown types are ignored
    await until(() => !client.state.cli.connected);
    const s = client.state;
    expect(s.cli).toEqual({ connected: false, expiresAt: 99 });
    expect(s.users.map((u) => [u.userId, u.name, u.focus])).toEqual([[2, "alice", null], [3, "bob", 1]]);
    expect(s.chat).toEqual([{ id: 1, userId: 3, name: "bob", message: "hi", ts: 10 }, { id: 2, userId: 2, name: "alice", message: "hello", ts: 11, editedAt: 12 }]);
    expect(client.mayResize(1)).toBe(true); // admin
    sock.deliver({ t: "authOk", userId: 2, role: "writer", canWrite: true, name: "alice" });
    expect(client.mayResize(1)).toBe(false); // bob's
    expect(client.mayResize(5)).toBe(false); // not in the ownership list yet
    sock.deliver({ t: "ownership", owners: [{ shellId: 1, userId: null, name: null }] });
    expect(client.mayResize(1)).toBe(true); // unowned
    sock.deliver({ t: "ownership", owners: [{ shellId: 1, userId: null, name: "bob" }] });
    expect(client.mayResize(1)).toBe(false); // owner left, still owns it
    client.sendInput(1, "x"); // typing takes the focus lock for a moment
    expect(client.mayResize(1)).toBe(true);
  });

  it("adopts new links after a rotation (admins) and reconnects with them", async () => {
    const { client } = makeClient(formatFragment(secrets));
    const fragments: string[] = [];
    client.events.on("fragment", (f) => fragments.push(f));
    await client.start();
    await connect(FakeSocket.last, 1);
    const fresh = generateLinkSecrets();
    const frame = await sealFrame(cli.adminNotice!, utf8(formatFragment(fresh)), aad.adminNotice(SID, 0));
    // As the relay does: the notice, then at once every browser closed with 4403 "links rotated",
    // while this admin is still deriving the new keys.
    FakeSocket.last.deliver({ t: "linksRotated", frame });
    FakeSocket.last.serverClose(4403, "links rotated");
    expect(client.state.status).not.toBe("ended");
    await until(() => FakeSocket.all.length === 2);
    expect(fragments).toEqual([formatFragment(fresh)]);
    const next = await deriveSessionKeys(SID, fresh, kdf);
    const { challenge, auth } = await connect(FakeSocket.last, 2);
    expect(toBase64(auth.viewProof as Uint8Array)).toEqual(toBase64(await proof(next.viewVerifier, "ws", SID, wsChallenge(challenge, 2))));
    await client.whenOnline();
    expect(client.state.end).toBeNull();
    client.close();
  });

  it("sends session KV writes as batches: the next task, then at most one per 4 ms, always before later messages", async () => {
    const { client, clock } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 7);
    await client.whenOnline();
    const batches = () => sock.sentOfType("pluginKvBatch").map((m) => m.ops);
    // Writes of one task leave together, after it (the plugin has its answer by then).
    client.kvSet("p", "a", 1);
    client.kvSet("p", "b", { x: [1, 2] });
    client.kvDelete("p", "a");
    expect(batches()).toEqual([]);
    clock.advance(0);
    expect(batches()).toEqual([[
      { op: "set", pluginId: "p", key: "a", value: 1 },
      { op: "set", pluginId: "p", key: "b", value: { x: [1, 2] } },
      { op: "delete", pluginId: "p", key: "a" },
    ]]);
    // Within 4 ms of that batch, writes wait for the next one…
    client.kvSet("p", "c", 1);
    clock.advance(3);
    client.kvSet("q", "c", 2);
    expect(batches()).toHaveLength(1);
    clock.advance(1);
    expect(batches()).toHaveLength(2);
    expect(batches()[1]).toEqual([{ op: "set", pluginId: "p", key: "c", value: 1 }, { op: "set", pluginId: "q", key: "c", value: 2 }]);
    // …unless another message follows them: the server must see this client's messages in order.
    client.kvSet("p", "d", 1);
    client.send({ t: "pluginEvent", pluginId: "p", name: "d-changed", data: null });
    expect(sock.sent.slice(-2).map((m) => m.t)).toEqual(["pluginKvBatch", "pluginEvent"]);
    // Batches stay under the relay's frame cap: 192 KiB of JSON, 256 ops.
    clock.advance(10);
    const big = "x".repeat(60 * 1024);
    for (let i = 0; i < 4; i++) client.kvSet("p", `big${i}`, big);
    for (let i = 0; i < 300; i++) client.kvSet("p", `n${i}`, i);
    clock.advance(100);
    const sizes = batches().slice(3).map((ops) => (ops as unknown[]).length);
    expect(sizes).toEqual([3, 256, 45]);

    // The server's answer to a batch: one state change, then one pluginKvDiff event per change.
    const states: unknown[] = [];
    const diffs: unknown[] = [];
    client.events.on("state", (st) => states.push(st));
    client.events.on("pluginKvDiff", (m) => diffs.push(m));
    sock.deliver({ t: "pluginKvDiffs", userId: 7, diffs: [
      { pluginId: "p", key: "a", value: 1, deleted: false, rev: 1 },
      { pluginId: "p", key: "a", value: null, deleted: true, rev: 2 },
      { pluginId: "p", key: "b", value: 5, deleted: false, rev: 3 },
    ] });
    await until(() => diffs.length === 3);
    expect(states).toHaveLength(1);
    expect(client.state.pluginKv.p?.entries.toRecord()).toEqual({ b: 5 });
    expect(diffs[1]).toEqual({ t: "pluginKvDiff", pluginId: "p", key: "a", value: null, deleted: true, rev: 2, userId: 7 });

    // Offline, a batch waits in the queue and leaves on the next connection.
    sock.serverClose(1006);
    client.kvSet("p", "offline", true);
    clock.advance(10);
    clock.advance(10_000); // reconnect backoff
    await until(() => FakeSocket.all.length === 2);
    await connect(FakeSocket.last, 8);
    await until(() => FakeSocket.last.sentOfType("pluginKvBatch").length === 1);
    expect(FakeSocket.last.sentOfType("pluginKvBatch")[0]!.ops).toEqual([{ op: "set", pluginId: "p", key: "offline", value: true }]);
    client.close();
  });
});

describe("headless viewer helpers", () => {
  it("watchAllShells follows shells as they come and go; TranscriptCollector keeps split UTF-8 intact", async () => {
    const { TranscriptCollector } = await import("./headless.js");
    const { client } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 1);
    const t = new TranscriptCollector(client);
    expect(sock.sentOfType("subscribe")).toEqual([{ t: "subscribe", shellId: 1, fromSeq: 0 }]);
    sock.deliver({ t: "shells", shells: [1, 2].map((id) => ({ id, rows: 24, cols: 80, name: null, creatorUserId: null })) });
    expect(sock.sentOfType("subscribe")).toEqual([{ t: "subscribe", shellId: 1, fromSeq: 0 }, { t: "subscribe", shellId: 2, fromSeq: 0 }]);
    const euro = utf8("€"); // 3 bytes, split across two frames
    const seal = async (seq: number, bytes: Uint8Array) => {
      const f = await sealFrame(cli.enc, bytes, aad.output(SID, 2, seq));
      return { seq, n: f.n, c: f.c };
    };
    sock.deliver({ t: "chunks", shellId: 2, frames: [await seal(0, euro.subarray(0, 2))] });
    sock.deliver({ t: "chunks", shellId: 2, frames: [await seal(1, euro.subarray(2))] });
    await until(() => t.output(2) === "€");
    sock.deliver({ t: "shells", shells: [{ id: 1, rows: 24, cols: 80, name: null, creatorUserId: null }] });
    expect(sock.sentOfType("unsubscribe")).toEqual([{ t: "unsubscribe", shellId: 2 }]);
    t.stop();
    client.close();
  });

  it("splits large input into 64 KiB frames with consecutive counters", async () => {
    const { client } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 3);
    client.sendInput(1, new Uint8Array(100 * 1024).fill(97));
    await until(() => sock.sentOfType("data").length === 2);
    const data = sock.sentOfType("data") as Array<{ counter: number; frame: { n: Uint8Array; c: Uint8Array } }>;
    expect(data.map((d) => d.counter)).toEqual([1, 2]);
    expect((await openFrame(cli.enc, data[0]!.frame, aad.input(SID, 1, 3, 1)))!.length).toBe(64 * 1024);
    expect((await openFrame(cli.enc, data[1]!.frame, aad.input(SID, 1, 3, 2)))!.length).toBe(36 * 1024);
    client.close();
  });

  it("is online only once the initial state is complete (cliStatus), but flushes the queue at sessionInfo", async () => {
    const { client } = makeClient(formatFragment(secrets));
    await client.start();
    const sock = FakeSocket.last;
    client.chat("queued");
    sock.accept();
    hello(sock, 4);
    await until(() => sock.sentOfType("authenticate").length === 1);
    sock.deliver({ t: "authOk", userId: 4, role: "writer", canWrite: true, name: "a" });
    sock.deliver({ t: "sessionInfo", name: null, readersEnabled: false, viewerAuth: false, ownerName: null, createdAt: 1, cwdLabel: null });
    expect(sock.sentOfType("chat")).toEqual([{ t: "chat", message: "queued" }]);
    expect(client.state.status).toBe("connecting");
    sock.deliver({ t: "cliStatus", connected: true, expiresAt: null });
    expect(client.state.status).toBe("online");
    client.close();
  });

  it("documents: lists them, subscribes open ones on each connection, applies sealed updates, and sends its own", async () => {
    const Y = await import("yjs");
    const { client } = makeClient("#" + formatFragment(secrets));
    const doc = client.openDocument("Doc123456789");
    await client.start();
    const sock = FakeSocket.last;
    await connect(sock, 7);
    expect(sock.sentOfType("docSubscribe")).toEqual([{ t: "docSubscribe", docId: "Doc123456789", fromSeq: 0 }]);
    sock.deliver({ t: "documents", documents: [{ docId: "Doc123456789", createdBy: "bob", createdAt: 1, updatedAt: 2, bytes: 30 }] });
    expect(client.state.documents.map((d) => d.docId)).toEqual(["Doc123456789"]);
    // Another participant's update, sealed as a browser would.
    const other = new Y.Doc();
    other.getText("content").insert(0, "# Notes\n");
    const f = await sealFrame(cli.enc, Y.encodeStateAsUpdate(other), aad.doc(SID, "Doc123456789", 9, 1));
    sock.deliver({ t: "docUpdates", docId: "Doc123456789", frames: [{ seq: 3, userId: 9, counter: 1, n: f.n, c: f.c }] });
    await until(() => doc.text.toString() === "# Notes\n");
    doc.text.insert(doc.text.length, "hi");
    await until(() => sock.sentOfType("docUpdate").length === 1);
    const sent = sock.sentOfType("docUpdate")[0]! as { counter: number; frame: { n: Uint8Array; c: Uint8Array } };
    expect(sent.counter).toBe(1);
    expect(await openFrame(cli.enc, sent.frame, aad.doc(SID, "Doc123456789", 7, 1))).not.toBeNull();
    expect(() => client.createDocument()).not.toThrow();
    client.close();
  });
});
