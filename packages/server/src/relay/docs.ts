/**
 * Collaborative documents (§3.11 + taiku additions, docs/protocol.md "Documents"): per session, up to
 * `limits.docsPerSession` documents, each a buffer of sealed frames the server cannot read. Every frame
 * gets the document's next `seq` (from 1), the sender's `userId` and its `counter` (both in the AAD).
 *
 * - The buffer keeps at most `limits.docBufferBytes` of ciphertext: the oldest frames go first (the
 *   newest frame is always kept).
 * - Snapshot compaction: a `docUpdate` with `covers: K` is the sender's full state including every frame
 *   with seq ≤ K, so those frames (older snapshots included) are dropped; later frames stay. The frame is
 *   relayed with `snapshot: true`, so other writers know a fresh snapshot exists.
 * - Subscribing to a document that does not exist yet answers an empty `docUpdates` and waits for it (a
 *   page opens a document it has just made up, or one whose first update is still on its way); at most
 *   `limits.docsPerSession` such waits per browser.
 * - Awareness frames (cursors, selections) are relayed live to the other subscribers and never buffered;
 *   per sender and document at most one per `docAwarenessGapMs` leaves, the latest one winning (a
 *   coalesced frame is sent when the gap has passed, or at once when its sender unsubscribes, so the final
 *   cursor position — or "my cursor is gone" — always arrives; a sender that leaves loses its cursors anyway).
 */
import { encodeCbor, type ClientMsg, type DocInfo, type DocSeqFrame, type Limits, type ServerMessage, type ServerMsg } from "@taiku/protocol";
import type { Peer } from "./peer.js";
import { compact, FrameRing } from "./ring.js";

/**
 * Seqs skipped when a document is restored from a snapshot. Snapshots are periodic, so after a crash the
 * server may restore a document without its last frames while browsers have already seen their seqs;
 * continuing from a higher seq means a seq never names two different frames (pages would skip the new
 * one as already seen) and a page's `covers` (≤ the last seq it saw) stays valid.
 */
export const DOC_RESTORE_SEQ_GAP = 1 << 20;

/** Default minimum gap between relayed awareness frames per sender and document: ≤ 30 per second. */
export const DOC_AWARENESS_GAP_MS = 34;

export const DOC_ERRORS = {
  notFound: "Document not found",
  quota: "too many documents in this session",
  covers: "covers is beyond the document's last seq",
  notSubscribed: "subscribe to the document first",
  waits: "too many subscriptions to documents that do not exist",
} as const;

/** What the store needs from its session. */
export interface DocHost {
  now(): number;
  readonly limits: Limits;
  /** Minimum gap between relayed awareness frames per sender and document (ms). */
  awarenessGapMs(): number;
  /** Send to every authenticated browser. */
  broadcast(msg: ServerMessage): void;
  /** State changed: snapshot the session. */
  changed(): void;
  /** False once the session ended or was suspended (no late awareness flushes). */
  live(): boolean;
}

/** Per subscriber: the awareness coalescing state. */
interface DocSub {
  awareAt: number;
  pending: { counter: number; frame: { n: Uint8Array; c: Uint8Array } } | null;
  timer: NodeJS.Timeout | null;
}

const newSub = (): DocSub => ({ awareAt: -Infinity, pending: null, timer: null });

export interface DocMeta {
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export class Doc {
  /** The buffered frames; the newest is always kept, so a late joiner gets at least the last snapshot. */
  private readonly ring: FrameRing<DocSeqFrame>;
  readonly subs = new Map<Peer, DocSub>();

  constructor(
    readonly id: string,
    public meta: DocMeta,
    capBytes: number,
    ring?: FrameRing<DocSeqFrame>,
  ) {
    this.ring = ring ?? new FrameRing<DocSeqFrame>(capBytes, true);
  }

  /** Seq of the next frame (from 1); seqs never repeat within a document. */
  get nextSeq(): number {
    return Math.max(this.ring.nextSeq, 1);
  }

  get bytes(): number {
    return this.ring.bytes;
  }

  get length(): number {
    return this.ring.length;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Append a frame with the next seq; `covers` drops every earlier frame with seq ≤ covers (checked by the caller). */
  append(f: Omit<DocSeqFrame, "seq">, covers?: number): DocSeqFrame {
    if (covers !== undefined) this.ring.dropThrough(covers);
    const frame: DocSeqFrame = { seq: this.nextSeq, n: f.n, c: f.c, userId: f.userId, counter: f.counter };
    if (covers !== undefined) frame.snapshot = true;
    this.ring.push(frame);
    return this.ring.last()!; // the stored (compacted) copy
  }

  /** Frames with seq ≥ fromSeq, in seq order. */
  from(fromSeq: number): DocSeqFrame[] {
    return this.ring.from(fromSeq);
  }

  all(): DocSeqFrame[] {
    return this.ring.all();
  }

  /** Drop every frame (old-key frames after a link rotation); seqs continue. */
  clear(): void {
    this.ring.clear();
  }

  info(): DocInfo {
    return { docId: this.id, createdBy: this.meta.createdBy, createdAt: this.meta.createdAt, updatedAt: this.meta.updatedAt, bytes: this.bytes };
  }

  /** Restored frames keep their seqs (ascending, below `nextSeq`); the cap applies again. */
  static restore(id: string, meta: DocMeta, capBytes: number, nextSeq: number, frames: DocSeqFrame[]): Doc {
    return new Doc(id, meta, capBytes, FrameRing.restore(capBytes, nextSeq, frames, true));
  }
}

const err = (peer: Peer, code: string, message: string) => peer.send({ t: "error", code, message });

/** The documents of one session, their subscribers, and the message handlers. */
export class DocStore {
  readonly docs = new Map<string, Doc>();
  /** Subscribers to documents not created yet, by docId; moved into the document when it is. */
  private readonly waiting = new Map<string, Set<Peer>>();
  private readonly waitsOf = new Map<Peer, number>();

  constructor(private readonly host: DocHost) {}

  documentsMsg(): ServerMsg<"documents"> {
    return { t: "documents", documents: [...this.docs.values()].map((d) => d.info()) };
  }

  /**
   * `docUpdate` (writers and admins; the role gate runs before): create the document on first use, append,
   * then relay the stamped frame to every subscriber and the sender (who learns its seq).
   */
  update(peer: Peer, msg: ClientMsg<"docUpdate">): void {
    const { limits } = this.host;
    let doc = this.docs.get(msg.docId);
    const created = !doc;
    if (!doc) {
      if (this.docs.size >= limits.docsPerSession) return err(peer, "quota", DOC_ERRORS.quota);
      const now = this.host.now();
      doc = new Doc(msg.docId, { createdBy: peer.name, createdAt: now, updatedAt: now }, limits.docBufferBytes);
    }
    if (msg.covers !== undefined && msg.covers > doc.lastSeq) return err(peer, "bad_request", DOC_ERRORS.covers);
    if (created) {
      this.docs.set(doc.id, doc);
      for (const p of this.waiting.get(doc.id) ?? []) {
        this.unwait(p, doc.id);
        doc.subs.set(p, newSub());
      }
    }
    const frame = doc.append({ n: msg.frame.n, c: msg.frame.c, userId: peer.userId, counter: msg.counter }, msg.covers);
    doc.meta.updatedAt = this.host.now();
    this.host.changed();
    if (created) this.host.broadcast(this.documentsMsg());
    const bytes = encodeCbor({ t: "docUpdates", docId: doc.id, frames: [frame] } satisfies ServerMsg<"docUpdates">);
    for (const p of doc.subs.keys()) p.sendRaw(bytes);
    if (!doc.subs.has(peer)) peer.sendRaw(bytes);
  }

  /** `docSubscribe`: one `docUpdates` with the buffered frames from `fromSeq` (maybe none), then live frames. */
  subscribe(peer: Peer, msg: ClientMsg<"docSubscribe">): void {
    const doc = this.docs.get(msg.docId);
    if (!doc) return this.wait(peer, msg.docId);
    peer.send({ t: "docUpdates", docId: doc.id, frames: doc.from(msg.fromSeq) });
    if (!doc.subs.has(peer)) doc.subs.set(peer, newSub());
  }

  /** `flush`: relay a coalesced awareness state still waiting (not when leaving: the others drop its cursors then). */
  unsubscribe(peer: Peer, docId: string, flush = true): void {
    this.unwait(peer, docId);
    const doc = this.docs.get(docId);
    const sub = doc?.subs.get(peer);
    if (!doc || !sub) return;
    // A coalesced state still waiting is the sender's last one (a page closing a document sends "my cursor
    // is gone" just before unsubscribing): relay it now rather than leave a stale cursor at the others.
    if (sub.timer) {
      clearTimeout(sub.timer);
      sub.timer = null;
      if (flush && this.host.live()) this.relayAwareness(doc, peer, sub);
    }
    doc.subs.delete(peer);
  }

  /** `docAwareness`: relay to the document's other subscribers, coalesced to one per gap per sender. */
  awareness(peer: Peer, msg: ClientMsg<"docAwareness">): void {
    const doc = this.docs.get(msg.docId);
    if (!doc) return this.waiting.get(msg.docId)?.has(peer) ? undefined : err(peer, "not_found", DOC_ERRORS.notFound);
    const sub = doc.subs.get(peer);
    if (!sub) return err(peer, "bad_request", DOC_ERRORS.notSubscribed);
    sub.pending = { counter: msg.counter, frame: { n: compact(msg.frame.n), c: compact(msg.frame.c) } };
    if (sub.timer) return; // a trailing relay is scheduled and will carry this frame
    const wait = sub.awareAt + this.host.awarenessGapMs() - this.host.now();
    if (wait <= 0) return this.relayAwareness(doc, peer, sub);
    sub.timer = setTimeout(() => {
      sub.timer = null;
      if (this.host.live() && doc.subs.get(peer) === sub) this.relayAwareness(doc, peer, sub);
    }, wait);
  }

  /** A browser left: it is no longer subscribed anywhere. */
  peerLeft(peer: Peer): void {
    for (const doc of this.docs.values()) this.unsubscribe(peer, doc.id, false);
    if (this.waitsOf.has(peer)) for (const docId of [...this.waiting.keys()]) this.unwait(peer, docId);
  }

  /** Link rotation: frames under the old key are dropped; documents, metadata and seqs stay. */
  clearFrames(): void {
    for (const doc of this.docs.values()) doc.clear();
  }

  /** Session ended or suspended: no timers outlive it. */
  stop(): void {
    for (const doc of this.docs.values()) {
      for (const sub of doc.subs.values()) if (sub.timer) clearTimeout(sub.timer);
      doc.subs.clear();
    }
    this.waiting.clear();
    this.waitsOf.clear();
  }

  /** An empty `docUpdates` now (nothing to catch up on), the first frame live when the document is made. */
  private wait(peer: Peer, docId: string): void {
    const peers = this.waiting.get(docId);
    if (!peers?.has(peer)) {
      const count = this.waitsOf.get(peer) ?? 0;
      if (count >= this.host.limits.docsPerSession) return err(peer, "quota", DOC_ERRORS.waits);
      this.waitsOf.set(peer, count + 1);
      if (peers) peers.add(peer);
      else this.waiting.set(docId, new Set([peer]));
    }
    peer.send({ t: "docUpdates", docId, frames: [] });
  }

  private unwait(peer: Peer, docId: string): void {
    const peers = this.waiting.get(docId);
    if (!peers?.delete(peer)) return;
    if (peers.size === 0) this.waiting.delete(docId);
    const count = (this.waitsOf.get(peer) ?? 1) - 1;
    if (count > 0) this.waitsOf.set(peer, count);
    else this.waitsOf.delete(peer);
  }

  private relayAwareness(doc: Doc, peer: Peer, sub: DocSub): void {
    const pending = sub.pending;
    if (!pending) return;
    sub.pending = null;
    sub.awareAt = this.host.now();
    const msg: ServerMsg<"docAwareness"> = { t: "docAwareness", docId: doc.id, userId: peer.userId, counter: pending.counter, frame: pending.frame };
    const bytes = encodeCbor(msg);
    for (const p of doc.subs.keys()) if (p !== peer) p.sendRaw(bytes);
  }
}
