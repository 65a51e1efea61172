/**
 * Fuzz: ≥ 10,000 random and mutated frames at both sockets (oversized frames, text frames, wrong proofs,
 * unknown session ids). The relay must not crash, must close bad sockets, and a separate healthy
 * session must keep working throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeCbor } from "@taiku/protocol";
import { createdShell, fakeFrame, join, openSession, startRelay, type Harness, type HostSession, type TestClient } from "./harness.js";

const MAX_FRAME = 128 * 1024;
let h: Harness;
let healthy: HostSession;
let viewer: TestClient;
let seq = 0;
let counter = 0;

beforeAll(async () => {
  h = await startRelay({ limits: { maxFrameBytes: MAX_FRAME, authFailuresPerMinute: 1_000_000, chatRateCount: 1_000_000 } });
  healthy = await openSession(h);
  await createdShell(healthy, 1);
  viewer = (await join(h, healthy, "admin")).b;
  viewer.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
});
afterAll(async () => h?.close());

/** The healthy session still relays output and input both ways. */
async function healthyRoundTrip(): Promise<void> {
  const s = seq++;
  healthy.cli.send({ t: "data", shellId: 1, seq: s, frame: fakeFrame(40, s % 256) });
  const chunk = await viewer.next("chunks", (m) => m.frames.some((f: { seq: number }) => f.seq === s));
  expect(chunk.shellId).toBe(1);
  viewer.send({ t: "data", shellId: 1, counter: ++counter, frame: fakeFrame() });
  expect((await healthy.cli.next("input", (m) => m.counter === counter)).userId).toBeGreaterThan(0);
}

const frameArb = fc.record({ n: fc.uint8Array({ minLength: 12, maxLength: 12 }), c: fc.uint8Array({ minLength: 16, maxLength: 64 }) });
const browserTemplates = [
  { t: "authenticate", viewProof: new Uint8Array(32), device: "x" },
  { t: "setName", name: "n" }, { t: "setCursor", cursor: { shellId: 1, x: 0.5, y: 0.5 } }, { t: "setFocus", shellId: 1 },
  { t: "create", requestId: 1, rows: 10, cols: 10 }, { t: "close", shellId: 1 }, { t: "resize", shellId: 1, rows: 5, cols: 5 },
  { t: "data", shellId: 1, counter: 1, frame: fakeFrame() }, { t: "subscribe", shellId: 1, fromSeq: 0 }, { t: "unsubscribe", shellId: 1 },
  { t: "ack", shellId: 1, seq: 3 }, { t: "chat", message: "m" }, { t: "chatEdit", id: 1, message: "e" }, { t: "ping", ts: 1 },
  { t: "claimShells", claims: [{ shellId: 1, token: new Uint8Array(32) }] }, { t: "adoptRequest", requestId: 1, shellId: 1 },
  { t: "adoptRespond", requestId: 1, approve: true }, { t: "renameSession", name: "r" }, { t: "setTerminalName", shellId: 1, name: null },
  { t: "pluginKvSet", pluginId: "p", key: "k", value: { a: [1] } }, { t: "pluginKvDelete", pluginId: "p", key: "k" },
  { t: "pluginEvent", pluginId: "p", name: "e", data: 1 }, { t: "setSessionPlugin", pluginId: "p", manifestUrl: "/m", enabled: true },
  { t: "layoutMeta", meta: { pages: 1, activeIndex: 0, tiles: [] } }, { t: "kick", userId: 1 }, { t: "rotateLinks" }, { t: "endSession" },
  { t: "docUpdate", docId: "d", frame: fakeFrame() }, { t: "registerAliases", pluginId: "p", aliases: [] },
  { t: "docUpdate", docId: "FuzzDoc00001", counter: 1, frame: fakeFrame() }, { t: "docUpdate", docId: "FuzzDoc00001", counter: 2, frame: fakeFrame(), covers: 1 },
  { t: "docSubscribe", docId: "FuzzDoc00001", fromSeq: 0 }, { t: "docUnsubscribe", docId: "FuzzDoc00001" },
  { t: "docAwareness", docId: "FuzzDoc00001", counter: 1, frame: fakeFrame() },
];
const cliTemplates = [
  { t: "data", shellId: 1, seq: 0, frame: fakeFrame() }, { t: "createdShell", shellId: 2, rows: 5, cols: 5, requestId: 0 },
  { t: "closedShell", shellId: 2 }, { t: "title", shellId: 1, version: 1, frame: fakeFrame() }, { t: "agent", shellId: 1, seq: 0, frame: fakeFrame() },
  { t: "pong", ts: 1 }, { t: "chatSend", requestId: 1, name: "a", message: "m" }, { t: "chatEdit", id: 1, message: "x" },
  { t: "error", message: "e" }, { t: "open", v: 1 }, { t: "resume", v: 1, sessionId: "abcd", token: "t".repeat(20) },
  { t: "hello", sessionId: "abcd" }, { t: "tunnelResponse", requestId: 1 },
];

/** A frame: random bytes, a mutated template, a random map, an oversized frame, or a text frame. */
function frames(templates: object[], count: number, seed: number): Array<Uint8Array | string> {
  const value = fc.oneof(fc.anything(), frameArb, fc.integer(), fc.string(), fc.uint8Array({ maxLength: 40 }), fc.constant(undefined));
  const mutated = fc
    .tuple(fc.constantFrom(...templates), fc.string({ maxLength: 12 }), value, fc.boolean())
    .map(([base, key, v, replace]) => {
      const keys = Object.keys(base);
      const k = replace ? keys[Math.abs(key.length * 7) % keys.length]! : key;
      return { ...base, [k]: v };
    });
  const arb = fc.oneof(
    { weight: 50, arbitrary: mutated.map((m) => { try { return encodeCbor(m); } catch { return new Uint8Array([0xa0]); } }) },
    { weight: 30, arbitrary: fc.constantFrom(...templates).map((m) => encodeCbor(m)) },
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 10, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.anything({ maxDepth: 2 })).map((d) => { try { return encodeCbor(d); } catch { return new Uint8Array([0xf6]); } }) },
    { weight: 1, arbitrary: fc.constant("text frame") },
  );
  const out: Array<Uint8Array | string> = fc.sample(arb, { numRuns: count, seed });
  for (let i = 250; i < count; i += 500) out[i] = new Uint8Array(MAX_FRAME + 1024); // oversized
  return out;
}

/**
 * Send `target` frames over sockets from `connect`, replacing sockets the relay closed. A frame counts
 * only when sent on a socket that is open from the client's view; yielding after each frame lets the
 * relay's close reach the client before the next one.
 */
async function blast(connect: () => Promise<TestClient>, payloads: Array<Uint8Array | string>, target: number, closes: Map<number, number>): Promise<void> {
  const track = (s: TestClient) => void s.closed.then(({ code }) => closes.set(code, (closes.get(code) ?? 0) + 1));
  let sock = await connect();
  track(sock);
  for (let sent = 0; sent < target; sent++) {
    while (sock.isClosed || sock.ws.readyState !== sock.ws.OPEN) {
      sock = await connect();
      track(sock);
    }
    sock.sendRaw(payloads[sent % payloads.length]!);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    if (sent % 1000 === 999) await healthyRoundTrip();
  }
  sock.ws.close();
}

describe("fuzz", () => {
  it("survives ≥ 10,000 random and mutated frames at both sockets; the healthy session keeps working", async () => {
    const closes = new Map<number, number>();
    const victim = await openSession(h);
    await createdShell(victim, 1);

    // Browser socket: authenticated writers of the victim session, plus wrong proofs and unknown ids.
    await blast(async () => (await join(h, victim, "writer")).b, frames(browserTemplates, 4500, 1), 4500, closes);
    for (let i = 0; i < 20; i++) {
      const bad = await join(h, victim, "writer", { badView: true });
      expect((await bad.b.closed).code).toBe(4403);
    }
    await blast(async () => {
      const b = new (await import("./harness.js")).TestClient(h, `/api/s/${victim.sessionId}`);
      await b.opened;
      return b;
    }, frames(browserTemplates, 1500, 2), 1500, closes);
    for (const id of ["nope", "x".repeat(70), "bad%20id", "%E0%A4%A", "abcdefghij"]) {
      const { TestClient } = await import("./harness.js");
      const c = new TestClient(h, `/api/s/${id}`);
      expect((await c.closed).code).toBe(4404);
    }
    await healthyRoundTrip();

    // CLI link: attached (after open/hello) and fresh links.
    await blast(async () => (await openSession(h)).cli, frames(cliTemplates, 4000, 3), 4000, closes);
    await blast(async () => {
      const { TestClient } = await import("./harness.js");
      const c = new TestClient(h, "/api/cli");
      await c.opened;
      return c;
    }, frames(cliTemplates, 1000, 4), 1000, closes);
    await healthyRoundTrip();

    // Bad sockets were closed with the documented codes (malformed, text, oversized, auth, …).
    expect(closes.get(1003)).toBeGreaterThan(0);
    expect(closes.get(1009)).toBeGreaterThan(0);
    expect((closes.get(4400) ?? 0) + (closes.get(4408) ?? 0)).toBeGreaterThan(0);
    // No handler threw (a thrown handler is logged and closes the socket 1011).
    expect(h.logger.lines.filter((l) => l.startsWith("error"))).toEqual([]);
    expect(closes.get(1011)).toBeUndefined();
    // The victim session is still alive unless the fuzz legitimately ended it; the relay still accepts sessions.
    const fresh = await openSession(h);
    expect((await join(h, fresh, "admin")).authOk.role).toBe("admin");
  }, 120_000);
});
