/**
 * One collaborative document (spec §3.11) bound to the session: a Yjs document and its awareness
 * (cursors, selections, names) kept in step with the relay through sealed frames.
 *
 *   local Y.Doc update ─► queue ─► seal(K_enc, aad.doc(session, doc, userId, counter)) ─► docUpdate
 *   docUpdates {seq, userId, counter, n, c} ─► open ─► Y.applyUpdate(origin REMOTE) ─► lastSeq
 *   awareness change (throttled) ─► seal(aad.docAwareness) ─► docAwareness ─► applyAwarenessUpdate
 *
 * The relay appends each update with a per-document seq and sends it to every subscriber, the sender
 * included: that echo confirms our own frames. Unconfirmed frames are sent again on the next
 * connection, after the replay (`docSubscribe fromSeq = lastSeq + 1`) has confirmed those that made it.
 * Every so often a writer posts its whole state as one frame with `covers` = the highest seq it has
 * applied, and the relay drops the frames it includes: late joiners start from it.
 *
 * No DOM here: the same class runs in the page, in Node viewers and in unit tests.
 */
import { aad, openFrameWithAny, sealFrame, type AeadKey } from "@taiku/crypto";
import { DOC_FRAME_MAX_BYTES, type ClientMessage, type DocSeqFrame, type ServerMsg } from "@taiku/protocol";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, modifyAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import * as Y from "yjs";
import { Emitter } from "./emitter.js";
import type { Clock } from "./services.js";

/** The shared text of a document (Markdown/MDX source). */
export const DOC_TEXT = "content";
/** A writer posts a snapshot after this many of its own updates, or bytes of them, since the last snapshot. */
export const SNAPSHOT_EVERY_UPDATES = 50;
export const SNAPSHOT_EVERY_BYTES = 256 * 1024;
/** Least time between two awareness frames (≤ 20 per second). */
export const AWARENESS_GAP_MS = 50;
/** The transaction origin of updates and awareness states that came from the relay. */
export const REMOTE = Symbol("taiku-doc-remote");

export interface DocSyncHost {
  readonly sessionId: string;
  readonly clock: Clock;
  /** K_enc: the current key first (it seals), then the one before a link rotation (still opens). */
  keys(): AeadKey[];
  /** Put a message on the socket now; false when that is not possible (offline). */
  send(message: ClientMessage): boolean;
}

/**
 * The page's last counters for one document. They outlive a `DocSync` (closed and opened again on
 * the same connection), so a userId never seals two frames of a document with one counter.
 */
export interface DocCounters {
  update: number;
  awareness: number;
}

export interface DocSyncEvents extends Record<string, unknown> {
  /** The replay that answers `docSubscribe` has been applied (each connection). */
  synced: { lastSeq: number };
  /** The first frame of this document that failed authentication (spec §2.4.3: warn once). */
  warning: { userId: number; counter: number; seq: number | null };
  /** The title (first line) changed. */
  title: string;
  /** Every local update has been sent and echoed back by the relay. */
  settled: undefined;
}

/** A document's title: its first non-blank line without Markdown heading marks, at most 80 characters. */
export function docTitle(text: string): string {
  for (const raw of text.slice(0, 4096).split("\n", 64)) {
    const line = raw.replace(/^\s*#{1,6}\s+/, "").trim();
    if (line) return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  }
  return "";
}

const HEX_COLOR = /^#[0-9a-fA-F]{3,8}$/;

/**
 * A peer's awareness state as the editor may render it: y-codemirror puts `user.color` / `colorLight`
 * into a style attribute (a writer could restyle or cover the page of everyone who opens the document)
 * and `user.name` into each caret label. Other colors are left out (the editor's default is used) and
 * names are cut to 64 characters, as participants' names are.
 */
function checkedState(state: unknown): unknown {
  if (state === null || typeof state !== "object" || !("user" in state)) return state;
  const user: Record<string, unknown> = typeof state.user === "object" && state.user !== null ? { ...state.user } : {};
  const checked: Record<string, unknown> = {};
  if (typeof user.name === "string") checked.name = user.name.slice(0, 64);
  if (typeof user.color === "string" && HEX_COLOR.test(user.color)) checked.color = user.color;
  if (typeof user.colorLight === "string" && HEX_COLOR.test(user.colorLight)) checked.colorLight = user.colorLight;
  return { ...state, user: checked };
}

export class DocSync {
  readonly doc = new Y.Doc();
  readonly text: Y.Text;
  readonly awareness: Awareness;
  readonly events = new Emitter<DocSyncEvents>();
  /** Highest seq received and handled (applied, or dropped as forged); -1 before any. */
  lastSeq = -1;
  /** Frames that failed authentication. */
  failures = 0;
  /** Whether local edits are sent: null until the first connection tells the role. */
  private writable: boolean | null = null;
  private userId: number | null = null;
  /** Every userId this page had (one per connection): frames from them are our own echoes. */
  private readonly myUserIds = new Set<number>();
  private online = false;
  /** The replay answering this connection's `docSubscribe` has arrived. */
  private subscribed = false;
  /** Bumped on every connect and disconnect: a frame sealed for an old connection is not sent on a new one. */
  private epoch = 0;
  /** Local updates not yet sent (offline, before the replay, or sealed too late for their connection). */
  private queue: Uint8Array[] = [];
  /** Sent updates by counter, until the relay echoes them back. */
  private readonly unconfirmed = new Map<number, Uint8Array>();
  private sealing = 0;
  private sentUpdates = 0;
  private sentBytes = 0;
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  private warned = false;
  private awarenessDirty = false;
  private awarenessTimer: unknown = null;
  private lastAwarenessAt = -Infinity;
  /** Which participant (userId) each remote awareness client id belongs to. */
  private readonly owners = new Map<number, number>();
  private applyingFrom: number | null = null;
  private titleTimer: unknown = null;
  private _title = "";
  private closed = false;
  /** Post a snapshot once the next replay is applied (after a link rotation the relay drops old-key frames). */
  private snapshotOnSync = false;

  constructor(
    readonly docId: string,
    private readonly host: DocSyncHost,
    private readonly counters: DocCounters = { update: 0, awareness: 0 },
  ) {
    this.text = this.doc.getText(DOC_TEXT);
    this.awareness = new Awareness(this.doc);
    // No cursor until an editor shows the document (`awareness.setLocalState({user})`): a page that
    // only reads it (its title) is invisible to the others.
    this.awareness.setLocalState(null);
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      this.scheduleTitle();
      if (origin === REMOTE || this.closed || this.writable === false) return; // readers never send
      this.queue.push(update);
      this.flush();
    });
    this.awareness.on("update", (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === REMOTE) this.noteRemoteAwareness(change);
      else if (origin === "local") this.awarenessChanged();
    });
  }

  get title(): string {
    return this._title;
  }

  /** Nothing left to send or to see confirmed. */
  get settled(): boolean {
    return this.queue.length === 0 && this.unconfirmed.size === 0 && this.sealing === 0;
  }

  get isWritable(): boolean {
    return this.writable === true;
  }

  /**
   * A connection is authenticated (a new userId each time): subscribe from the first seq not yet
   * seen, and announce our cursor again. Readers subscribe and send nothing else.
   */
  connect(userId: number, writable: boolean): void {
    if (this.closed) return;
    this.epoch++;
    this.online = true;
    this.subscribed = false;
    this.userId = userId;
    this.myUserIds.add(userId);
    this.writable = writable;
    if (!writable) {
      this.queue = [];
      this.checkSettled();
    }
    this.host.send({ t: "docSubscribe", docId: this.docId, fromSeq: this.lastSeq + 1 });
    // Peers dropped our state when our old connection left; a higher clock makes them take it again.
    const local = this.awareness.getLocalState();
    if (writable && local !== null) this.awareness.setLocalState({ ...local });
  }

  disconnect(): void {
    this.epoch++;
    this.online = false;
    this.subscribed = false;
    this.userId = null;
    this.clearAwarenessTimer();
  }

  /** A `docUpdates` message for this document, handled in arrival order. */
  receive(msg: ServerMsg<"docUpdates">): Promise<void> {
    // Not subscribed yet: these are live frames of an earlier subscription on this socket (the document
    // was closed and opened again); the replay of ours brings them. Taking them would raise lastSeq past
    // the frames before them, which the subscription would then skip.
    if (!this.online) return Promise.resolve();
    const reply = !this.subscribed;
    this.subscribed = true;
    const epoch = this.epoch;
    return this.inOrder(async () => {
      await this.applyFrames(msg.frames);
      if (!reply || epoch !== this.epoch || this.closed) return;
      // The replay confirmed what made it before the connection dropped; the rest goes again
      // (Yjs updates are idempotent: a frame the relay had after all does no harm).
      this.queue = [...this.unconfirmed.values(), ...this.queue];
      this.unconfirmed.clear();
      this.events.emit("synced", { lastSeq: this.lastSeq });
      this.flush();
      if (this.snapshotOnSync && this.writable) {
        this.snapshotOnSync = false;
        if (this.text.length > 0) this.postSnapshot();
      }
      this.checkSettled();
    });
  }

  /** Another participant's sealed awareness state. */
  receiveAwareness(msg: ServerMsg<"docAwareness">): Promise<void> {
    return this.inOrder(async () => {
      const plain = await this.open(msg.frame, aad.docAwareness(this.host.sessionId, this.docId, msg.userId, msg.counter));
      if (this.closed) return;
      if (!plain) return this.failed(msg.userId, msg.counter, null);
      this.applyingFrom = msg.userId;
      try {
        applyAwarenessUpdate(this.awareness, modifyAwarenessUpdate(plain, checkedState), REMOTE);
      } catch {
        // A malformed state from a peer with the key: ignored like any other bad input.
      } finally {
        this.applyingFrom = null;
      }
    });
  }

  /**
   * A participant left the session: their cursors go — after the frames already being opened, so a
   * cursor state of theirs that arrived just before they left does not bring the cursor back.
   */
  userLeft(userId: number): Promise<void> {
    return this.inOrder(() => {
      if (this.closed) return;
      const ids = [...this.owners].filter(([, u]) => u === userId).map(([id]) => id);
      for (const id of ids) this.owners.delete(id);
      if (ids.length) removeAwarenessStates(this.awareness, ids, REMOTE);
    });
  }

  /**
   * The links were rotated: the relay dropped the frames sealed with the old key, so post the whole
   * state (sealed with the new key) once reconnected, for those who open the document later.
   */
  resealAfterRotation(): void {
    this.snapshotOnSync = true;
  }

  /** Resolves when every local update has been sent and echoed (at once for readers). */
  whenSettled(): Promise<void> {
    if (this.settled || this.writable === false) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.events.on("settled", () => {
        off();
        resolve();
      });
    });
  }

  /**
   * Stop: tell the others our cursor is gone (sent before the caller's `docUnsubscribe`, which it
   * sends once this resolves), then release the Yjs document.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    // Also when the cursor was just taken away (the tile went) and that state still waits for its gap.
    if (this.online && this.writable && (this.awareness.getLocalState() !== null || this.awarenessTimer !== null)) {
      this.clearAwarenessTimer();
      removeAwarenessStates(this.awareness, [this.doc.clientID], "closing");
      this.sendAwareness();
    }
    this.closed = true;
    this.clearAwarenessTimer();
    if (this.titleTimer !== null) this.host.clock.clearTimeout(this.titleTimer);
    await this.outbound;
    this.awareness.destroy();
    this.doc.destroy();
  }

  // ---------------------------------------------------------------- inbound

  /** Run after everything received before (frames are opened asynchronously but applied in arrival order). */
  private inOrder(step: () => void | Promise<void>): Promise<void> {
    const run = this.inbound.then(step);
    this.inbound = run.catch(() => {});
    return run;
  }

  private async applyFrames(frames: DocSeqFrame[]): Promise<void> {
    for (const f of frames) {
      if (this.closed) continue;
      // A frame at or below lastSeq is applied again (a no-op for Yjs), not skipped: live frames of an
      // earlier subscription on this socket (the document closed and opened again) can arrive ahead of
      // this subscription's replay and be taken for it; the replay then holds them and those before.
      if (this.myUserIds.has(f.userId) && this.unconfirmed.delete(f.counter)) {
        // The echo of our own frame (this connection's, or an earlier one's in a replay): its content
        // is already in the document. (Frames of ours sent again, or sent by an earlier `DocSync` of
        // this page, are applied like any other.)
        this.lastSeq = Math.max(this.lastSeq, f.seq);
        continue;
      }
      // Replay protection: none by counter. Yjs updates are idempotent (applying one twice changes
      // nothing) and a replay after reconnecting legitimately repeats frames, so repeated counters are
      // accepted. The AAD still binds each frame to this session, document, sender and counter: the
      // relay can drop or repeat frames, not forge, alter or re-attribute them.
      const plain = await this.open(f, aad.doc(this.host.sessionId, this.docId, f.userId, f.counter));
      if (this.closed) return;
      this.lastSeq = Math.max(this.lastSeq, f.seq);
      if (!plain) {
        this.failed(f.userId, f.counter, f.seq);
        continue;
      }
      try {
        Y.applyUpdate(this.doc, plain, REMOTE);
      } catch {
        this.failed(f.userId, f.counter, f.seq);
        continue;
      }
      // Someone posted a whole-state snapshot (the relay marks frames sent with `covers`): ours can wait.
      if (f.snapshot) this.sentUpdates = this.sentBytes = 0;
    }
    this.checkSettled();
  }

  private open(frame: { n: Uint8Array; c: Uint8Array }, ad: Uint8Array): Promise<Uint8Array | null> {
    return openFrameWithAny(this.host.keys(), frame, ad);
  }

  private failed(userId: number, counter: number, seq: number | null): void {
    this.failures++;
    if (this.warned) return;
    this.warned = true;
    console.warn(`taiku: discarded a frame of document ${this.docId} from user ${userId} (counter ${counter}): it failed authentication`);
    this.events.emit("warning", { userId, counter, seq });
  }

  // ---------------------------------------------------------------- outbound

  /** Send the queued updates (merged into frames of at most DOC_FRAME_MAX_BYTES). */
  private flush(): void {
    if (!this.online || !this.subscribed || !this.writable || this.closed || this.queue.length === 0) return;
    const updates = this.queue;
    this.queue = [];
    let batch: Uint8Array[] = [];
    let size = 0;
    const send = () => {
      if (!batch.length) return;
      this.seal(batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch));
      batch = [];
      size = 0;
    };
    for (const u of updates) {
      if (u.length > DOC_FRAME_MAX_BYTES) {
        console.warn(`taiku: an edit of document ${this.docId} is too large to send (${u.length} bytes)`);
        continue;
      }
      // Merging never makes updates larger than their sum, so the sum bounds the frame.
      if (size + u.length > DOC_FRAME_MAX_BYTES) send();
      batch.push(u);
      size += u.length;
    }
    send();
  }

  /**
   * Seal with a counter taken now (frames go out in counter order); sent if the connection it was
   * sealed for is still up, else queued again for the next one (resealed for its userId).
   */
  private seal(plain: Uint8Array, covers?: number): void {
    const counter = ++this.counters.update;
    const userId = this.userId!;
    const epoch = this.epoch;
    const sealed = sealFrame(this.host.keys()[0]!, plain, aad.doc(this.host.sessionId, this.docId, userId, counter));
    this.sealing++;
    this.outbound = this.outbound.then(async () => {
      let frame;
      try {
        frame = await sealed;
      } finally {
        this.sealing--;
      }
      const snapshot = covers !== undefined;
      const message: ClientMessage = { t: "docUpdate", docId: this.docId, counter, frame, ...(snapshot ? { covers } : {}) };
      if (epoch === this.epoch && !this.closed && this.host.send(message)) {
        if (snapshot) return this.checkSettled();
        this.unconfirmed.set(counter, plain);
        this.sentUpdates++;
        this.sentBytes += plain.length;
        this.maybeSnapshot();
      } else if (!snapshot) {
        this.queue.push(plain);
      }
      this.checkSettled();
    }).catch((err: unknown) => console.error(`taiku: could not seal an update of document ${this.docId}`, err));
  }

  private maybeSnapshot(): void {
    if (this.sentUpdates < SNAPSHOT_EVERY_UPDATES && this.sentBytes < SNAPSHOT_EVERY_BYTES) return;
    this.postSnapshot();
  }

  private postSnapshot(): void {
    this.sentUpdates = this.sentBytes = 0;
    // Everything applied so far (every seq ≤ lastSeq, our own sent updates, pending structs) is in it.
    const state = Y.encodeStateAsUpdate(this.doc);
    if (state.length <= DOC_FRAME_MAX_BYTES && this.lastSeq >= 0) this.seal(state, this.lastSeq);
  }

  private checkSettled(): void {
    if (this.settled) this.events.emit("settled", undefined);
  }

  // ---------------------------------------------------------------- awareness

  private awarenessChanged(): void {
    if (this.closed || this.writable === false) return;
    this.awarenessDirty = true;
    if (!this.online || !this.writable || this.awarenessTimer !== null) return;
    const wait = this.lastAwarenessAt + AWARENESS_GAP_MS - this.host.clock.now();
    if (wait <= 0) return this.sendAwareness();
    this.awarenessTimer = this.host.clock.setTimeout(() => {
      this.awarenessTimer = null;
      if (this.awarenessDirty && this.online && !this.closed) this.sendAwareness();
    }, wait);
  }

  private sendAwareness(): void {
    this.awarenessDirty = false;
    this.lastAwarenessAt = this.host.clock.now();
    const update = encodeAwarenessUpdate(this.awareness, [this.doc.clientID]);
    const counter = ++this.counters.awareness;
    const epoch = this.epoch;
    const sealed = sealFrame(this.host.keys()[0]!, update, aad.docAwareness(this.host.sessionId, this.docId, this.userId!, counter));
    this.outbound = this.outbound.then(async () => {
      const frame = await sealed;
      // Awareness is ephemeral: one sealed for a connection that is gone is dropped (the next connection re-announces).
      if (epoch === this.epoch) this.host.send({ t: "docAwareness", docId: this.docId, counter, frame });
    }).catch((err: unknown) => console.error(`taiku: could not seal the cursor of document ${this.docId}`, err));
  }

  private clearAwarenessTimer(): void {
    if (this.awarenessTimer !== null) this.host.clock.clearTimeout(this.awarenessTimer);
    this.awarenessTimer = null;
  }

  /** Remember whose cursors these are; a newcomer gets our cursor at once (the relay keeps no awareness). */
  private noteRemoteAwareness(change: { added: number[]; updated: number[]; removed: number[] }): void {
    const from = this.applyingFrom;
    if (from !== null) for (const id of [...change.added, ...change.updated]) this.owners.set(id, from);
    for (const id of change.removed) this.owners.delete(id);
    const local = this.awareness.getLocalState();
    if (change.added.some((id) => id !== this.doc.clientID) && this.writable && local !== null) this.awareness.setLocalState({ ...local });
  }

  private scheduleTitle(): void {
    if (this.titleTimer !== null || this.closed) return;
    this.titleTimer = this.host.clock.setTimeout(() => {
      this.titleTimer = null;
      if (this.closed) return;
      const title = docTitle(this.text.toString());
      if (title !== this._title) {
        this._title = title;
        this.events.emit("title", title);
      }
    }, 200);
  }
}
