import { importAeadKey, randomBytes, type AeadKey } from "@taiku/crypto";
import { DOC_ID_RE, type ClientMessage, type DocSeqFrame, type ServerMsg } from "@taiku/protocol";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AWARENESS_GAP_MS, DocSync, docTitle, SNAPSHOT_EVERY_UPDATES } from "./doc-sync.js";
import { DocumentHub, newDocId } from "./documents.js";
import { FakeClock, until } from "./testing/fakes.js";

const SID = "abcDEF1234";
const DOC = "Doc123456789";
let key: AeadKey;
beforeAll(async () => {
  key = await importAeadKey(randomBytes(32));
});

type Msg<T extends ClientMessage["t"]> = Extract<ClientMessage, { t: T }>;

/** One participant's end: a DocSync on a connection of the fake relay. */
interface Peer {
  name: string;
  sync: DocSync;
  userId: number | null;
  writable: boolean;
  sent: ClientMessage[];
  received: DocSeqFrame[];
}

/**
 * The relay as the server behaves (one document): per-document seq, every update echoed to all
 * subscribers (the sender too), `covers` drops the frames a snapshot includes, `docSubscribe`
 * answers with the buffered frames from `fromSeq`, awareness goes to the other subscribers only.
 * `tamper` may alter a frame on its way to one peer.
 */
class FakeRelay {
  private nextSeq = 1;
  private nextUser = 1;
  buffer: DocSeqFrame[] = [];
  readonly peers: Peer[] = [];
  private readonly subscribed = new Set<Peer>();
  tamper: ((to: Peer, f: DocSeqFrame) => DocSeqFrame) | null = null;
  readonly forbidden: ClientMessage[] = [];
  readonly clock = new FakeClock();

  peer(name: string, writable = true): Peer {
    const peer: Peer = { name, userId: null, writable, sent: [], received: [], sync: null as unknown as DocSync };
    peer.sync = new DocSync(DOC, { sessionId: SID, clock: this.clock, keys: () => [key], send: (m) => this.onMessage(peer, m) });
    this.peers.push(peer);
    return peer;
  }

  connect(peer: Peer): void {
    peer.userId = this.nextUser++;
    peer.sync.connect(peer.userId, peer.writable);
  }

  disconnect(peer: Peer): void {
    this.subscribed.delete(peer);
    const gone = peer.userId!;
    peer.userId = null;
    peer.sync.disconnect();
    for (const p of this.peers) if (p !== peer && p.userId !== null) p.sync.userLeft(gone);
  }

  private onMessage(peer: Peer, m: ClientMessage): boolean {
    if (peer.userId === null) return false;
    peer.sent.push(m);
    switch (m.t) {
      case "docSubscribe": {
        this.subscribed.add(peer);
        this.deliver(peer, this.buffer.filter((f) => f.seq >= m.fromSeq));
        break;
      }
      case "docUpdate": {
        if (!peer.writable) {
          this.forbidden.push(m);
          break;
        }
        const f: DocSeqFrame = { seq: this.nextSeq++, userId: peer.userId, counter: m.counter, n: m.frame.n, c: m.frame.c };
        if (m.covers !== undefined) {
          this.buffer = this.buffer.filter((x) => x.seq > m.covers!);
          f.snapshot = true;
        }
        this.buffer.push(f);
        for (const p of this.subscribed) this.deliver(p, [f]);
        break;
      }
      case "docAwareness": {
        if (!peer.writable) {
          this.forbidden.push(m);
          break;
        }
        const msg: ServerMsg<"docAwareness"> = { t: "docAwareness", docId: DOC, userId: peer.userId, counter: m.counter, frame: m.frame };
        for (const p of this.subscribed) if (p !== peer) queueMicrotask(() => void p.sync.receiveAwareness(msg));
        break;
      }
      case "docUnsubscribe":
        this.subscribed.delete(peer);
        break;
    }
    return true;
  }

  /** Asynchronously, as a socket would. */
  private deliver(to: Peer, frames: DocSeqFrame[]): void {
    const out = frames.map((f) => (this.tamper ? this.tamper(to, f) : f));
    queueMicrotask(() => {
      to.received.push(...out);
      void to.sync.receive({ t: "docUpdates", docId: DOC, frames: out });
    });
  }
}

const text = (p: Peer) => p.sync.text.toString();
const docUpdates = (p: Peer) => p.sent.filter((m): m is Msg<"docUpdate"> => m.t === "docUpdate");
const converged = (...ps: Peer[]) => ps.every((p) => text(p) === text(ps[0]!) && p.sync.settled);

let relay: FakeRelay;
afterEach(async () => {
  for (const p of relay?.peers ?? []) await p.sync.close();
  vi.restoreAllMocks();
});

describe("DocSync", () => {
  it("two writers converge after concurrent edits; updates are sealed per sender with increasing counters", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    const b = relay.peer("b");
    relay.connect(a);
    relay.connect(b);
    await until(() => a.received.length === 0 && b.sent.length === 1);
    await until(() => a.sync.settled && b.sync.settled);
    // Both type at once, before either sees the other's edit.
    a.sync.text.insert(0, "hello ");
    b.sync.text.insert(0, "world ");
    a.sync.text.insert(a.sync.text.length, "from a");
    b.sync.text.insert(0, "b: ");
    await until(() => converged(a, b) && text(a).length === 21);
    expect(text(a)).toContain("hello ");
    expect(text(a)).toContain("from a");
    expect(text(b)).toContain("b: world ");
    // Concurrent edits in the middle of each other's words.
    a.sync.text.insert(2, "AA");
    b.sync.text.delete(0, 3);
    await until(() => converged(a, b) && !text(a).startsWith("b: "));
    expect(text(a)).toContain("AA");
    const counters = docUpdates(a).map((m) => m.counter);
    expect(counters).toEqual(counters.map((_, i) => i + 1));
    expect(relay.buffer.every((f) => f.userId === a.userId || f.userId === b.userId)).toBe(true);
  });

  it("posts a snapshot that covers the buffer; a late joiner starts from it plus later frames", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    relay.connect(a);
    await until(() => a.sent.length === 1);
    for (let i = 0; i < SNAPSHOT_EVERY_UPDATES + 5; i++) {
      a.sync.text.insert(a.sync.text.length, `line ${i}\n`);
      await until(() => a.sync.settled);
    }
    const snapshots = docUpdates(a).filter((m) => m.covers !== undefined);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]!.covers).toBeGreaterThanOrEqual(SNAPSHOT_EVERY_UPDATES - 1);
    // The relay dropped what the snapshot covers: a snapshot and the few updates after it remain.
    expect(relay.buffer.length).toBeLessThan(10);
    const late = relay.peer("late");
    relay.connect(late);
    await until(() => converged(a, late) && text(late).length > 0);
    expect(text(late)).toBe(text(a));
    expect(late.received.length).toBe(relay.buffer.length);
    // Both keep editing after the join.
    late.sync.text.insert(0, "# Title\n");
    a.sync.text.insert(a.sync.text.length, "end\n");
    await until(() => converged(a, late) && text(a).startsWith("# Title") && text(a).endsWith("end\n"));
  });

  it("another writer's snapshot (relayed with snapshot: true) restarts the count towards our own", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    const b = relay.peer("b");
    relay.connect(a);
    relay.connect(b);
    const edit = async (p: Peer, n: number) => {
      for (let i = 0; i < n; i++) {
        p.sync.text.insert(p.sync.text.length, `${p.name}${i} `);
        await until(() => p.sync.settled && converged(a, b));
      }
    };
    await edit(b, 30);
    await edit(a, SNAPSHOT_EVERY_UPDATES);
    expect(docUpdates(a).filter((m) => m.covers !== undefined)).toHaveLength(1);
    await edit(b, 30); // 60 of b's own updates in all, 30 since a's snapshot
    expect(docUpdates(b).filter((m) => m.covers !== undefined)).toHaveLength(0);
  });

  it("drops a frame that fails authentication and warns once", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    const b = relay.peer("b");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const warnings: unknown[] = [];
    b.sync.events.on("warning", (w) => warnings.push(w));
    relay.connect(a);
    relay.connect(b);
    await until(() => a.sync.settled && b.sent.length === 1);
    relay.tamper = (to, f) => {
      if (to !== b) return f;
      const c = f.c.slice();
      c[0]! ^= 1;
      return { ...f, c };
    };
    a.sync.text.insert(0, "forged?");
    a.sync.text.insert(0, "again ");
    await until(() => a.sync.settled && b.sync.failures === 2);
    expect(text(b)).toBe("");
    expect(warnings).toEqual([{ userId: a.userId, counter: 1, seq: 1 }]);
    expect(warn).toHaveBeenCalledTimes(1);
    // A frame attributed to another sender (the relay lying about userId) fails too.
    relay.tamper = (to, f) => (to === b ? { ...f, userId: f.userId + 100 } : f);
    a.sync.text.insert(0, "x");
    await until(() => b.sync.failures === 3);
    expect(warnings).toHaveLength(1);
    expect(text(b)).toBe("");
  });

  it("delivers an edit made offline after reconnecting, resuming from the last seq", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    const b = relay.peer("b");
    relay.connect(a);
    relay.connect(b);
    a.sync.text.insert(0, "shared\n");
    await until(() => converged(a, b) && text(b) === "shared\n");
    const seen = b.sync.lastSeq;
    relay.disconnect(b);
    b.sync.text.insert(text(b).length, "offline edit\n");
    a.sync.text.insert(0, "while away\n");
    await until(() => a.sync.settled);
    expect(b.sync.settled).toBe(false);
    relay.connect(b);
    const resub = b.sent.filter((m): m is Msg<"docSubscribe"> => m.t === "docSubscribe").at(-1)!;
    expect(resub.fromSeq).toBe(seen + 1);
    await until(() => converged(a, b) && text(a).includes("offline edit"));
    expect(text(a)).toBe("while away\nshared\noffline edit\n");
    // The edit went out once, sealed for the new connection's userId.
    const offline = relay.buffer.filter((f) => f.userId === b.userId);
    expect(offline).toHaveLength(1);
  });

  it("resends an update sent just before the connection dropped (no echo), and a reader sends nothing", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    const reader = relay.peer("reader", false);
    relay.connect(a);
    relay.connect(reader);
    await until(() => a.sync.settled && reader.sent.length === 1);
    a.sync.text.insert(0, "one ");
    await until(() => docUpdates(a).length === 1);
    // The connection drops before the echo is handled.
    relay.disconnect(a);
    await until(() => text(reader) === "one ");
    relay.connect(a);
    await until(() => a.sync.settled);
    expect(text(reader)).toBe("one ");
    a.sync.text.insert(4, "two");
    await until(() => text(reader) === "one two");

    // The reader: its editor is read-only, but even a programmatic change or a cursor is not sent.
    reader.sync.text.insert(0, "local only ");
    reader.sync.awareness.setLocalState({ user: { name: "r" } });
    relay.clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(reader.sent.map((m) => m.t)).toEqual(["docSubscribe"]);
    expect(relay.forbidden).toEqual([]);
    expect(text(a)).toBe("one two");
    expect(reader.sync.isWritable).toBe(false);
  });

  it("after a link rotation (the relay dropped old frames) posts its whole state again for later joiners", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    relay.connect(a);
    a.sync.text.insert(0, "kept across rotation");
    await until(() => a.sync.settled && relay.buffer.length === 1);
    relay.buffer = [];
    a.sync.resealAfterRotation();
    relay.disconnect(a);
    relay.connect(a);
    await until(() => docUpdates(a).some((m) => m.covers !== undefined));
    const late = relay.peer("late");
    relay.connect(late);
    await until(() => text(late) === "kept across rotation");
  });

  it("relays cursors sealed and throttled; a leaving participant's cursor goes", async () => {
    relay = new FakeRelay();
    const a = relay.peer("a");
    const b = relay.peer("b");
    relay.connect(a);
    relay.connect(b);
    await until(() => a.sent.length === 1 && b.sent.length === 1);
    const aw = (p: Peer) => p.sent.filter((m) => m.t === "docAwareness").length;
    expect(aw(a)).toBe(0); // no editor yet: no cursor
    a.sync.awareness.setLocalState({ user: { name: "alice", color: "#f00" } });
    await until(() => b.sync.awareness.getStates().get(a.sync.doc.clientID)?.user?.name === "alice");
    // B's editor opens: A learns of B, and B of A (a newcomer hears the others' cursors at once).
    b.sync.awareness.setLocalState({ user: { name: "bob" } });
    await until(() => a.sync.awareness.getStates().get(b.sync.doc.clientID)?.user?.name === "bob");
    // A burst of cursor moves is one frame now and at most one more after the gap.
    const before = aw(a);
    for (let i = 0; i < 30; i++) a.sync.awareness.setLocalStateField("cursor", { i });
    await new Promise((r) => setTimeout(r, 10));
    expect(aw(a) - before).toBeLessThanOrEqual(1);
    relay.clock.advance(AWARENESS_GAP_MS);
    await until(() => b.sync.awareness.getStates().get(a.sync.doc.clientID)?.cursor?.i === 29);
    expect(aw(a) - before).toBeLessThanOrEqual(2);
    // A leaves the session: B drops A's cursor.
    relay.disconnect(a);
    await until(() => !b.sync.awareness.getStates().has(a.sync.doc.clientID));
  });
});

describe("documents", () => {
  it("makes 12-character base62 ids", () => {
    const ids = new Set(Array.from({ length: 200 }, newDocId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(DOC_ID_RE);
  });

  it("titles a document by its first line", () => {
    expect(docTitle("\n  # Meeting notes  \nbody")).toBe("Meeting notes");
    expect(docTitle("plain first line\n# h")).toBe("plain first line");
    expect(docTitle("")).toBe("");
    expect(docTitle("x".repeat(100))).toHaveLength(80);
  });

  it("the hub shares an open document, closes it once its edits are confirmed, and subscribes on connect", async () => {
    const sent: ClientMessage[] = [];
    let online = false;
    const titles: Record<string, string> = {};
    const hub = new DocumentHub({
      sessionId: SID, clock: new FakeClock(), keys: () => [key],
      send: (m) => online && (sent.push(m), true),
      title: (id, t) => (titles[id] = t),
      warning: () => {},
    });
    const id = hub.create("Plan");
    expect(titles[id]).toBe("Plan");
    const doc = hub.open(id);
    expect(doc.text.toString()).toBe("# Plan\n\n");
    expect(sent).toEqual([]);
    online = true;
    hub.connected(5, true);
    expect(sent).toEqual([{ t: "docSubscribe", docId: id, fromSeq: 0 }]);
    await hub.handle({ t: "docUpdates", docId: id, frames: [] });
    await until(() => sent.length === 2);
    const update = sent[1] as Msg<"docUpdate">;
    expect(update).toMatchObject({ t: "docUpdate", docId: id, counter: 1 });
    hub.release(id);
    expect(hub.get(id)).toBe(doc); // still unconfirmed
    await hub.handle({ t: "docUpdates", docId: id, frames: [{ seq: 1, userId: 5, counter: 1, n: update.frame.n, c: update.frame.c }] });
    await until(() => sent.at(-1)?.t === "docUnsubscribe");
    expect(hub.get(id)).toBeUndefined();
    expect(() => hub.open("short")).toThrow(/invalid document id/);
  });
});
