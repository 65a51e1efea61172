/** Collaborative documents (§3.11, relay/docs.ts): buffering, seqs, compaction, bounds, awareness, list, persistence. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeCbor, encodeCbor } from "@taiku/protocol";
import { aad, deriveSessionKeys, fromUtf8, openFrame, randomBase62, sealFrame, utf8 } from "@taiku/crypto";
import { Doc, DOC_RESTORE_SEQ_GAP } from "../../src/relay/docs.js";
import { fakeFrame, join, KDF, MemorySnapshots, openSession, relaysClosedAfterEach, sleep, startRelay, type Harness, type HostSession, type Msg, type TestClient } from "./harness.js";

const start = relaysClosedAfterEach();

const DOC = "Doc000000001";
const DOC2 = "Doc000000002";
const seqs = (m: Msg) => m.frames.map((f: Msg) => f.seq);
const counters = new Map<TestClient, number>();

/** Send a docUpdate with the client's next counter; resolves with the seq the server gave it (the echo). */
async function update(b: TestClient, opts: { docId?: string; size?: number; covers?: number; fill?: number } = {}): Promise<Msg> {
  const counter = (counters.get(b) ?? 0) + 1;
  counters.set(b, counter);
  const docId = opts.docId ?? DOC;
  b.send({ t: "docUpdate", docId, counter, frame: fakeFrame(opts.size ?? 32, opts.fill ?? counter % 256), ...(opts.covers !== undefined ? { covers: opts.covers } : {}) });
  const userId = b.log.find((m) => m.t === "hello")!.userId;
  const mine = (f: Msg) => f.userId === userId && f.counter === counter;
  const m = await b.next("docUpdates", (x) => x.docId === docId && x.frames.length === 1 && mine(x.frames[0]));
  return m.frames[0];
}

let pings = 0;
/** (Re)subscribe; resolves with the replay. Live frames from an earlier subscription are dropped first (a ping
 * round trip makes sure every frame the server sent this client before now has arrived). */
async function subscribe(b: TestClient, fromSeq: number, docId = DOC): Promise<Msg> {
  const ts = ++pings;
  b.send({ t: "ping", ts });
  await b.next("pong", (m) => m.ts === ts);
  b.drain("docUpdates");
  b.send({ t: "docSubscribe", docId, fromSeq });
  return b.next("docUpdates", (m) => m.docId === docId);
}

async function session(opts: Parameters<typeof startRelay>[0] = {}): Promise<{ h: Harness; host: HostSession }> {
  const h = await start(opts);
  return { h, host: await openSession(h, { readersEnabled: true }) };
}

describe("documents over the browser socket", () => {
  it("readers are refused docUpdate and docAwareness but may subscribe", async () => {
    const { h, host } = await session();
    const w = await join(h, host, "writer");
    const r = await join(h, host, "reader");
    expect(r.authOk.role).toBe("reader");
    r.b.send({ t: "docUpdate", docId: DOC, counter: 1, frame: fakeFrame() });
    expect(await r.b.next("error")).toEqual({ t: "error", code: "forbidden", message: "write auth required" });
    await update(w.b);
    expect((await r.b.next("documents")).documents.map((d: Msg) => d.docId)).toEqual([DOC]);
    expect(seqs(await subscribe(r.b, 0))).toEqual([1]);
    r.b.send({ t: "docAwareness", docId: DOC, counter: 1, frame: fakeFrame() });
    expect(await r.b.next("error")).toEqual({ t: "error", code: "forbidden", message: "write auth required" });
    await update(w.b);
    expect(seqs(await r.b.next("docUpdates"))).toEqual([2]);
  });

  it("relays updates to every subscriber and the sender with seq, userId and counter; subscribe replays from fromSeq", async () => {
    const { h, host } = await session();
    const a = await join(h, host, "writer", { name: "Ann" });
    const b = await join(h, host, "admin");
    const first = await update(a.b, { size: 40, fill: 9 });
    expect(first).toMatchObject({ seq: 1, userId: a.userId, counter: 1 });
    expect(Buffer.from(first.c).equals(Buffer.from(fakeFrame(40, 9).c))).toBe(true);
    expect(b.b.has("docUpdates")).toBe(false); // not subscribed yet
    expect(seqs(await subscribe(b.b, 1))).toEqual([1]);
    expect((await subscribe(a.b, 2)).frames).toEqual([]); // caught up: an empty list still comes

    const second = await update(a.b);
    const atB = await b.b.next("docUpdates");
    expect(atB.frames).toEqual([second]);
    expect(second).toMatchObject({ seq: 2, userId: a.userId, counter: 2 });
    const third = await update(b.b);
    expect(third).toMatchObject({ seq: 3, userId: b.userId, counter: 1 });
    expect((await a.b.next("docUpdates")).frames).toEqual([third]);
    expect(a.b.has("docUpdates") || b.b.has("docUpdates")).toBe(false); // one copy each

    const late = await join(h, host, "writer");
    const replay = await subscribe(late.b, 2);
    expect(replay.frames).toEqual([second, third]);
    expect(replay.frames.map((f: Msg) => [f.userId, f.counter])).toEqual([[a.userId, 2], [b.userId, 1]]);

    // Unsubscribed: no more live frames; a second document is independent.
    late.b.send({ t: "docUnsubscribe", docId: DOC });
    await update(a.b, { docId: DOC2 });
    expect((await update(a.b)).seq).toBe(4);
    await b.b.next("docUpdates", (m) => m.frames[0].seq === 4);
    expect(late.b.has("docUpdates")).toBe(false);
    expect(b.b.log.some((m) => m.t === "docUpdates" && m.docId === DOC2)).toBe(false);
  });

  it("a subscriber to a document not made yet gets an empty docUpdates, then its first frame live; waits are bounded", async () => {
    const { h, host } = await session({ limits: { docsPerSession: 2 } });
    const a = await join(h, host, "writer");
    const b = await join(h, host, "reader");
    expect((await subscribe(b.b, 0)).frames).toEqual([]);
    b.b.send({ t: "docUnsubscribe", docId: "Doc000000009" }); // not waited for: ignored
    expect((await subscribe(b.b, 0, DOC2)).frames).toEqual([]);
    b.b.send({ t: "docSubscribe", docId: "Doc000000003", fromSeq: 0 });
    expect(await b.b.next("error")).toEqual({ t: "error", code: "quota", message: "too many subscriptions to documents that do not exist" });
    a.b.send({ t: "docSubscribe", docId: DOC, fromSeq: 0 });
    await a.b.next("docUpdates");
    a.b.send({ t: "docAwareness", docId: DOC, counter: 1, frame: fakeFrame() }); // waiting: ignored, no error
    const first = await update(a.b);
    expect((await b.b.next("docUpdates", (m) => m.docId === DOC)).frames).toEqual([first]);
    expect(a.b.has("docUpdates") || a.b.has("error")).toBe(false); // the sender (now subscribed) got one copy
    // The wait ended with the creation, so there is room for another; an unsubscribed wait gets nothing.
    b.b.send({ t: "docUnsubscribe", docId: DOC2 });
    expect((await subscribe(b.b, 0, "Doc000000003")).frames).toEqual([]);
    await update(a.b, { docId: DOC2 });
    expect(b.b.log.some((m) => m.t === "docUpdates" && m.docId === DOC2 && m.frames.length > 0)).toBe(false);
  });

  it("relays a snapshot (a docUpdate with covers) marked snapshot: true", async () => {
    const { h, host } = await session();
    const a = await join(h, host, "writer");
    await update(a.b);
    const snap = await update(a.b, { covers: 1 });
    expect(snap).toMatchObject({ seq: 2, snapshot: true });
    expect((await update(a.b)).snapshot).toBeUndefined();
    expect((await subscribe(a.b, 0)).frames.map((f: Msg) => [f.seq, f.snapshot])).toEqual([[2, true], [3, undefined]]);
  });

  it("covers drops the covered frames and older snapshots but keeps later frames; covers beyond the last seq is refused", async () => {
    const { h, host } = await session();
    const a = await join(h, host, "writer");
    const b = await join(h, host, "writer");
    for (let i = 0; i < 3; i++) await update(a.b);
    await subscribe(b.b, 4);
    await update(b.b); // 4, a frame the snapshot below does not cover
    expect(await update(a.b, { covers: 3 })).toMatchObject({ seq: 5 });
    const late = await join(h, host, "reader");
    expect(seqs(await subscribe(late.b, 0))).toEqual([4, 5]);
    await update(b.b); // 6
    expect(await update(a.b, { covers: 6 })).toMatchObject({ seq: 7 }); // drops 4, the old snapshot 5 and 6
    expect(seqs(await subscribe(late.b, 0))).toEqual([7]);
    await update(a.b); // 8
    expect(seqs(await subscribe(late.b, 1))).toEqual([7, 8]);

    a.b.send({ t: "docUpdate", docId: DOC, counter: 99, frame: fakeFrame(), covers: 9 });
    expect(await a.b.next("error")).toEqual({ t: "error", code: "bad_request", message: "covers is beyond the document's last seq" });
    a.b.send({ t: "docUpdate", docId: DOC2, counter: 100, frame: fakeFrame(), covers: 1 });
    expect((await a.b.next("error")).code).toBe("bad_request"); // not created
    expect(seqs(await subscribe(late.b, 0))).toEqual([7, 8]); // nothing stored
    expect((await update(a.b)).seq).toBe(9); // no seq consumed by the refused ones
    expect((await subscribe(late.b, 0, DOC2)).frames).toEqual([]); // still not created
  });

  it("keeps at most 2 MiB of ciphertext per document, dropping the oldest frames", async () => {
    const { h, host } = await session();
    const a = await join(h, host, "writer");
    const size = 512 * 1024;
    for (let i = 0; i < 4; i++) await update(a.b, { size });
    expect(seqs(await subscribe(a.b, 0))).toEqual([1, 2, 3, 4]); // exactly 2 MiB: all kept
    await update(a.b, { size });
    await update(a.b, { size: 100 });
    const replay = await subscribe(a.b, 0);
    expect(seqs(replay)).toEqual([3, 4, 5, 6]);
    const late = await join(h, host, "writer");
    expect(late.b.log.find((m) => m.t === "documents")!.documents[0].bytes).toBe(3 * size + 100);
  });

  it("at most docsPerSession documents; beyond that an error and nothing stored", async () => {
    const { h, host } = await session({ limits: { docsPerSession: 2 } });
    const a = await join(h, host, "writer");
    await update(a.b, { docId: DOC });
    await update(a.b, { docId: DOC2 });
    a.b.send({ t: "docUpdate", docId: "Doc000000003", counter: 50, frame: fakeFrame() });
    expect(await a.b.next("error")).toEqual({ t: "error", code: "quota", message: "too many documents in this session" });
    expect((await subscribe(a.b, 0, "Doc000000003")).frames).toEqual([]); // not created
    await update(a.b, { docId: DOC }); // existing documents still take updates
    const late = await join(h, host, "writer");
    expect(late.b.log.find((m) => m.t === "documents")!.documents.map((d: Msg) => d.docId)).toEqual([DOC, DOC2]);
  });

  it("awareness goes live to the other subscribers only, is never replayed, and is coalesced per sender", async () => {
    const { h, host } = await session({ limits: { docAwarenessGapMs: 300 } });
    const a = await join(h, host, "writer");
    const b = await join(h, host, "writer");
    const c = await join(h, host, "writer");
    c.b.send({ t: "docAwareness", docId: DOC, counter: 1, frame: fakeFrame() });
    expect((await c.b.next("error")).code).toBe("not_found");
    await update(a.b);
    await subscribe(a.b, 2);
    await subscribe(b.b, 2);
    c.b.send({ t: "docAwareness", docId: DOC, counter: 1, frame: fakeFrame() });
    expect(await c.b.next("error")).toEqual({ t: "error", code: "bad_request", message: "subscribe to the document first" });

    a.b.send({ t: "docAwareness", docId: DOC, counter: 1, frame: fakeFrame(20, 3) });
    const got = await b.b.next("docAwareness");
    expect(got).toMatchObject({ docId: DOC, userId: a.userId, counter: 1 });
    expect(Buffer.from(got.frame.c).equals(Buffer.from(fakeFrame(20, 3).c))).toBe(true);
    // A burst within the gap: the latest state follows (once the gap has passed), the rest are dropped.
    for (let counter = 2; counter <= 10; counter++) a.b.send({ t: "docAwareness", docId: DOC, counter, frame: fakeFrame() });
    await b.b.next("docAwareness", (m) => m.counter === 10);
    await sleep(400);
    const relayed = b.b.log.filter((m) => m.t === "docAwareness").map((m) => m.counter);
    expect(relayed.length).toBeLessThanOrEqual(4); // [1, 10] unless the box stalled mid-burst
    expect(relayed).toEqual([...relayed].sort((x, y) => x - y));
    expect(a.b.log.some((m) => m.t === "docAwareness") || c.b.log.some((m) => m.t === "docAwareness")).toBe(false);

    const late = await join(h, host, "writer");
    expect(seqs(await subscribe(late.b, 0))).toEqual([1]);
    await sleep(100);
    expect(late.b.log.some((m) => m.t === "docAwareness")).toBe(false);
    // A pending trailing frame goes at once when its sender unsubscribes (a page's last state before it
    // unsubscribes is "my cursor is gone"), and nothing after.
    b.b.send({ t: "docAwareness", docId: DOC, counter: 1, frame: fakeFrame() });
    b.b.send({ t: "docAwareness", docId: DOC, counter: 2, frame: fakeFrame() });
    b.b.send({ t: "docUnsubscribe", docId: DOC });
    expect((await a.b.next("docAwareness")).counter).toBe(1);
    expect((await a.b.next("docAwareness", (m) => m.counter === 2)).userId).toBe(b.userId);
    await sleep(400);
    expect(a.b.drain("docAwareness")).toEqual([]);
  });

  it("sends the documents list after authentication and broadcasts it when a document is created (not per update)", async () => {
    let clock = 1_700_000_000_000;
    const { h, host } = await session({ now: () => clock });
    const a = await join(h, host, "writer", { name: "Ann" });
    const b = await join(h, host, "reader");
    const initial = b.b.log.filter((m) => m.t === "documents");
    expect(initial).toEqual([{ t: "documents", documents: [] }]);
    expect(b.b.log.indexOf(initial[0]!)).toBeLessThan(b.b.log.findIndex((m) => m.t === "cliStatus"));
    await update(a.b, { size: 100 });
    const created = { docId: DOC, createdBy: "Ann", createdAt: clock, updatedAt: clock, bytes: 100 };
    expect(await b.b.next("documents")).toEqual({ t: "documents", documents: [created] });
    expect(await a.b.next("documents")).toEqual({ t: "documents", documents: [created] });
    clock += 5000;
    await update(a.b, { size: 50 });
    await subscribe(b.b, 0);
    expect(b.b.has("documents") || a.b.has("documents")).toBe(false);
    const late = await join(h, host, "writer");
    expect(late.b.log.find((m) => m.t === "documents")!.documents).toEqual([{ ...created, updatedAt: clock, bytes: 150 }]);
  });

  it("a leaving peer is unsubscribed; a link rotation drops document frames but keeps documents and seqs", async () => {
    const { h, host } = await session();
    const a = await join(h, host, "admin");
    const b = await join(h, host, "writer");
    await update(a.b);
    await subscribe(b.b, 0);
    b.b.ws.close();
    await a.b.next("userDiff", (m) => m.user === null);
    await update(a.b); // nothing is sent to the closed peer, nothing throws
    host.cli.send({ t: "rekey", viewVerifier: new Uint8Array(32), writeVerifier: new Uint8Array(32), adminVerifier: new Uint8Array(32), notice: fakeFrame() });
    expect((await a.b.closed).code).toBe(4403);
    // The verifiers are now unusable for this test's keys; look at the snapshot instead.
    await h.relay.close();
    const snap = decodeCbor(h.snapshots.data.get(host.sessionId)!.snapshot) as Msg;
    expect(snap.docs).toEqual([expect.objectContaining({ docId: DOC, next: 3, frames: [] })]);
  });
});

describe("document persistence", () => {
  it("documents survive a restart with their frames, seqs and metadata; old snapshots without documents load", async () => {
    const snapshots = new MemorySnapshots();
    const h1 = await start({ snapshots });
    const host = await openSession(h1);
    const a = await join(h1, host, "writer", { name: "Ann" });
    for (let i = 0; i < 3; i++) await update(a.b);
    await update(a.b, { covers: 2 });
    await update(a.b, { docId: DOC2, size: 70 });
    const before = await subscribe(a.b, 0);
    const list = (await join(h1, host, "writer")).b.log.find((m) => m.t === "documents")!.documents;
    await h1.relay.close();

    const h2 = await start({ snapshots });
    await h2.relay.restore();
    const b = await join(h2, host, "writer");
    expect(b.b.log.find((m) => m.t === "documents")!.documents).toEqual(list);
    const after = await subscribe(b.b, 0);
    expect(after.frames).toEqual(before.frames);
    expect(seqs(after)).toEqual([3, 4]);
    // Seqs continue after a gap (a crash may have lost frames whose seqs pages saw); replay from the old next seq.
    const next = await update(b.b);
    expect(next).toMatchObject({ seq: 5 + DOC_RESTORE_SEQ_GAP, userId: b.userId });
    expect((await subscribe(b.b, 5)).frames).toEqual([next]);
    expect(await update(b.b, { covers: 4 + DOC_RESTORE_SEQ_GAP })).toMatchObject({ seq: 6 + DOC_RESTORE_SEQ_GAP });
    expect(seqs(await subscribe(b.b, 0, DOC2))).toEqual([1]);
    await h2.relay.close();

    // A snapshot written before documents existed (no `docs` key) still restores.
    const stored = snapshots.data.get(host.sessionId)!;
    const old = decodeCbor(stored.snapshot) as Record<string, unknown>;
    delete old.docs;
    stored.snapshot = encodeCbor(old);
    const h3 = await start({ snapshots });
    await h3.relay.restore();
    const c = await join(h3, host, "writer");
    expect(c.b.log.find((m) => m.t === "documents")!.documents).toEqual([]);
  });
});

describe("documents are end-to-end encrypted", () => {
  it("a relayed frame opens with the AAD from its docId, userId and counter; the snapshot holds no plaintext", async () => {
    const snapshots = new MemorySnapshots();
    const h = await start({ snapshots });
    const host = await openSession(h);
    const a = await join(h, host, "writer");
    const b = await join(h, host, "writer");
    const keys = await deriveSessionKeys(host.sessionId, { key: host.secrets.key }, KDF);
    const marker = `MARKER-${randomBase62(24)}`;
    const frame = await sealFrame(keys.enc, utf8(marker), aad.doc(host.sessionId, DOC, a.userId, 1));
    a.b.send({ t: "docUpdate", docId: DOC, counter: 1, frame });
    await a.b.next("docUpdates");
    const [got] = (await subscribe(b.b, 0)).frames;
    expect(fromUtf8((await openFrame(keys.enc, got, aad.doc(host.sessionId, DOC, got.userId, got.counter)))!)).toBe(marker);
    const aw = await sealFrame(keys.enc, utf8(marker), aad.docAwareness(host.sessionId, DOC, b.userId, 7));
    await subscribe(a.b, 2);
    b.b.send({ t: "docAwareness", docId: DOC, counter: 7, frame: aw });
    const relayed = await a.b.next("docAwareness");
    expect(fromUtf8((await openFrame(keys.enc, relayed.frame, aad.docAwareness(host.sessionId, relayed.docId, relayed.userId, relayed.counter)))!)).toBe(marker);
    await h.relay.close();
    expect(Buffer.from(snapshots.data.get(host.sessionId)!.snapshot).includes(Buffer.from(marker))).toBe(false);
  });
});

describe("Doc buffer", () => {
  const meta = { createdBy: "x", createdAt: 0, updatedAt: 0 };
  const frame = (size: number, counter = 1) => ({ n: new Uint8Array(12), c: new Uint8Array(size), userId: 1, counter });

  it("seqs grow from 1; bytes stay ≤ the cap (newest frame always kept); covers drops a prefix; from() serves any seq", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 16, max: 500 }), fc.option(fc.nat(), { nil: undefined })), { maxLength: 150 }), fc.integer({ min: 100, max: 3000 }), (steps, cap) => {
        const doc = new Doc(DOC, { ...meta }, cap);
        let expected = 1;
        for (const [size, coverPick] of steps) {
          const covers = coverPick === undefined ? undefined : coverPick % (doc.lastSeq + 1);
          const f = doc.append(frame(size), covers);
          expect(f.seq).toBe(expected++);
          const all = doc.all();
          expect(all.at(-1)).toBe(f);
          if (covers !== undefined) expect(all.every((x) => x === f || x.seq > covers)).toBe(true);
          expect(doc.bytes).toBe(all.reduce((n, x) => n + x.c.byteLength, 0));
          if (all.length > 1) expect(doc.bytes).toBeLessThanOrEqual(cap);
        }
        const all = doc.all();
        expect(all.map((x) => x.seq)).toEqual([...all.map((x) => x.seq)].sort((x, y) => x - y));
        const mid = all[Math.floor(all.length / 2)]?.seq ?? 0;
        expect(doc.from(mid)).toEqual(all.filter((x) => x.seq >= mid));
        const restored = Doc.restore(DOC, meta, cap, doc.nextSeq, all);
        expect(restored.all()).toEqual(all);
        expect(restored.nextSeq).toBe(doc.nextSeq);
      }),
    );
  });

  it("stores compact copies of frames that are views into a larger received buffer", () => {
    const chunk = new Uint8Array(65536);
    const doc = new Doc(DOC, meta, 1000);
    doc.append({ n: chunk.subarray(0, 12), c: chunk.subarray(12, 62), userId: 1, counter: 1 });
    expect(doc.all()[0]!.c.buffer.byteLength).toBe(50);
  });
});
