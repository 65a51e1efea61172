/**
 * Headless session client: everything a participant does over `/api/s/{id}` except drawing.
 * Runs in the page (with the browser's WebSocket and localStorage) and in Node (with `ws` and
 * memory storage) — the e2e tests and benchmarks use it as a decrypting viewer.
 *
 *   fragment ─► deriveSessionKeys ─► socket ─► hello ─► authenticate(proofs) ─► authOk
 *   ─► initial state ─► subscribe(fromSeq) / claimShells ─► flush offline queue ─► steady state
 */
import {
  aad, deriveSessionKeys, fromUtf8, inputKey, openFrame, parseFragment, proof, sealFrame, utf8, wsChallenge,
  type AeadKey, type SessionKeys,
} from "@taiku/crypto";
import {
  CLOSE, KV_BATCH_MAX_OPS, LIMITS, parseServerMessage, type ClientMessage, type ServerMessage, type ServerMsg,
} from "@taiku/protocol";
import { DEFAULT_ACK } from "./ack.js";
import { DEFAULT_BACKOFF } from "./backoff.js";
import { Connection } from "./connection.js";
import { deviceLabel } from "./device.js";
import { Emitter } from "./emitter.js";
import { kvEntryBytes, utf8Length } from "./kv-entries.js";
import { KvBatcher, Outbox } from "./outbox.js";
import { ownershipStore, type OwnershipStore } from "./ownership.js";
import { MemoryStorage, systemClock, type Clock } from "./services.js";
import { initialState, mayResize, reduce, type EndKind, type SessionState } from "./session-state.js";
import { ShellStream, type OutputSink } from "./shell-stream.js";
import { SideFrames } from "./side-frames.js";
import { sealAliasAnswer, type AliasAnswer } from "./alias-frames.js";
import { httpProofsFor } from "./session-http.js";
import { DocumentHub } from "./documents.js";
import type { DocSync } from "./doc-sync.js";

import type { SessionClientOptions, SessionEvents, SessionTiming } from "./session-client-types.js";

export type { SessionClientOptions, SessionEvents, SessionTiming };

const FINAL_CODES: Record<number, EndKind> = {
  [CLOSE.loginRequired]: "login-required",
  [CLOSE.authFailed]: "invalid-key",
  [CLOSE.notFound]: "not-found",
  [CLOSE.sessionClosed]: "closed",
  [CLOSE.replaced]: "replaced",
};

const END_TEXT: Record<EndKind, string> = {
  "invalid-key": "This link is not valid for this session (wrong or rotated key).",
  "not-found": "Session not found. It may have ended.",
  closed: "The session has ended.",
  "login-required": "Sign in to join this session.",
  replaced: "This page was replaced by a newer connection.",
  kicked: "An admin removed you from this session.",
  stopped: "Disconnected.",
};

export class SessionClient {
  readonly events = new Emitter<SessionEvents>();
  readonly sessionId: string;
  private _state: SessionState;
  private fragment: string;
  private keys: SessionKeys | null = null;
  /** The K_enc of the link before a rotation, still tried for frames sealed before it. */
  private previousEnc: AeadKey | null = null;
  /**
   * A `linksRotated` being applied (new keys deriving). The relay closes every browser with 4403
   * "links rotated" right after the notice: for this admin that close is not final.
   */
  private rotation: Promise<void> | null = null;
  private readonly clock: Clock;
  private readonly timing: SessionTiming;
  private readonly conn: Connection;
  private readonly outbox: Outbox;
  private readonly kv: KvBatcher;
  private readonly owned: OwnershipStore;
  private readonly streams = new Map<number, ShellStream>();
  private readonly inputCounters = new Map<number, number>();
  private readonly lastTyped = new Map<number, number>();
  private inputChain: Promise<void> = Promise.resolve();
  /** Authenticated and `sessionInfo` received: messages can be sent (and input sealed). */
  private ready = false;
  /** The ordered initial state (§2.2.2 step 5, ending with `cliStatus`) has arrived on this connection. */
  private synced = false;
  private requestIds = 0;
  private warnedDecrypt = false;
  private readonly side: SideFrames;
  /** Open collaborative documents (§3.11, documents.ts). */
  readonly docs: DocumentHub;

  constructor(private readonly opts: SessionClientOptions) {
    this.sessionId = opts.sessionId;
    this.fragment = opts.fragment.replace(/^#/, "");
    this.clock = opts.clock ?? systemClock;
    this.timing = {
      pingMs: LIMITS.pingIntervalMs,
      livenessMs: 3 * LIMITS.pingIntervalMs,
      backoff: DEFAULT_BACKOFF,
      offlineQueueMax: LIMITS.offlineQueueMax,
      staleInputMs: LIMITS.staleInputMs,
      ack: DEFAULT_ACK,
      focusLockMs: LIMITS.focusLockMs,
      kvGapMs: 4,
      ...opts.timing,
    };
    this._state = initialState(opts.sessionId);
    this.outbox = new Outbox({ max: this.timing.offlineQueueMax, staleInputMs: this.timing.staleInputMs });
    // 192 KiB of JSON per batch: CBOR of JSON data is at most ~3× that, under the relay's 1 MiB frame cap.
    this.side = new SideFrames(this.sessionId, () => this.outputKeys(), {
      title: (shellId, title) => this.setState({ ...this._state, titles: { ...this._state.titles, [shellId]: title } }),
      agent: (event) => this.events.emit("agentEvent", event),
      alias: (inv) => this.events.emit("aliasInvocation", inv),
      failed: (shellId, seq) => this.onDecryptFailure(shellId, seq),
      now: () => this.clock.now(),
    });
    this.docs = new DocumentHub({
      sessionId: this.sessionId,
      clock: this.clock,
      keys: () => this.outputKeys(),
      send: (m) => this.ready && this.conn.send(m),
      title: (docId, title) => this._state.docTitles[docId] !== title && this.setState({ ...this._state, docTitles: { ...this._state.docTitles, [docId]: title } }),
      warning: (docId, w) => this.events.emit("docWarning", { docId, ...w }),
    });
    this.kv = new KvBatcher((m) => this.transmit(m), this.clock, { maxOps: KV_BATCH_MAX_OPS, maxBytes: 192 * 1024, gapMs: this.timing.kvGapMs });
    this.owned = ownershipStore(opts.storage ?? new MemoryStorage(), opts.sessionId);
    const wsBase = opts.baseUrl.replace(/\/+$/, "").replace(/^http/, "ws");
    this.conn = new Connection({
      url: `${wsBase}/api/s/${encodeURIComponent(opts.sessionId)}`,
      WebSocket: opts.WebSocket,
      clock: this.clock,
      ...(opts.random ? { random: opts.random } : {}),
      backoff: this.timing.backoff,
      pingMs: this.timing.pingMs,
      livenessMs: this.timing.livenessMs,
      isFinal: (code) => code in FINAL_CODES && !(code === CLOSE.authFailed && this.rotation !== null),
    });
    this.conn.events.on("message", ({ epoch, value }) => {
      // A handler that fails must not become an unhandled rejection (it ends a Node process: bench/relay).
      this.onRaw(epoch, value).catch((err: unknown) => console.error("taiku: a server message could not be handled", err));
    });
    this.conn.events.on("down", (d) => this.onDown(d.code, d.reason, d.retryAt));
  }

  get state(): SessionState {
    return this._state;
  }

  /** Derive keys from the fragment (Argon2id: ~0.1–0.5 s) and connect. Rejects on a malformed link. */
  async start(): Promise<void> {
    const secrets = parseFragment(this.fragment);
    if (!secrets) {
      this.end("invalid-key", "This link is incomplete: the part after # is missing or damaged.");
      throw new Error("invalid link fragment");
    }
    this.keys = await deriveSessionKeys(this.sessionId, secrets, this.opts.kdf);
    this.conn.start();
  }

  /** Resolves once authenticated with the initial state received (or rejects if the session ends first). */
  whenOnline(timeoutMs = 30_000): Promise<SessionState> {
    return this.waitFor((s) => s.status === "online", timeoutMs);
  }

  /** Wait until `pred(state)` holds; rejects if the session ends or on timeout. */
  waitFor(pred: (s: SessionState) => boolean, timeoutMs = 30_000): Promise<SessionState> {
    if (pred(this._state)) return Promise.resolve(this._state);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error("timed out waiting for session state"));
      }, timeoutMs);
      const off = this.events.on("state", (s) => {
        if (pred(s)) {
          clearTimeout(timer);
          off();
          resolve(s);
        } else if (s.status === "ended") {
          clearTimeout(timer);
          off();
          reject(new Error(s.end?.message ?? "session ended"));
        }
      });
    });
  }

  close(): void {
    for (const s of this.streams.values()) s.ack.flush();
    this.kv.flush();
    this.docs.closeAll();
    this.conn.stop(1000, "bye");
  }

  /** Try again now (browser back online, or the user pressed "reconnect"). */
  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  // ---------------------------------------------------------------- terminals

  /**
   * Display a shell: output from the start of the server's buffer goes to `sink`. Returns a
   * function that stops displaying it. Only attached shells are subscribed.
   */
  attachTerminal(shellId: number, sink: OutputSink): () => void {
    let stream = this.streams.get(shellId);
    if (!stream) {
      stream = new ShellStream(shellId, {
        sessionId: this.sessionId,
        clock: this.clock,
        keys: () => this.outputKeys(),
        sendAck: (id, seq) => this.ready && this.conn.send({ t: "ack", shellId: id, seq }),
        onDecryptFailure: (id, seq) => this.onDecryptFailure(id, seq),
        onGap: (id, after, next) => this.events.emit("outputGap", { shellId: id, after, next }),
        ack: this.timing.ack,
      });
      this.streams.set(shellId, stream);
    }
    stream.attach(sink);
    if (this.ready) this.conn.send({ t: "subscribe", shellId, fromSeq: stream.resumeSeq });
    const s = stream;
    return () => {
      if (this.streams.get(shellId) !== s) return;
      s.detach();
      this.streams.delete(shellId);
      if (this.ready) this.conn.send({ t: "unsubscribe", shellId });
    };
  }

  /** Highest output seq applied to the terminal (diagnostics, tests). */
  lastAppliedSeq(shellId: number): number {
    return this.streams.get(shellId)?.lastApplied ?? -1;
  }

  /** Resolves when every chunk received so far for `shellId` has been handed to its sink. */
  outputIdle(shellId: number): Promise<void> {
    return this.streams.get(shellId)?.idle() ?? Promise.resolve();
  }

  /** Type into a shell. Queued while offline; dropped after 5 s offline (never replayed stale). */
  sendInput(shellId: number, data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? utf8(data) : data;
    if (bytes.length === 0) return;
    if (this._state.role === "reader") {
      this.events.emit("error", { code: "forbidden", message: "read-only link: you can watch and chat" });
      return;
    }
    this.lastTyped.set(shellId, this.clock.now());
    if (!this.ready) {
      this.outbox.push({ kind: "input", shellId, data: bytes, at: this.clock.now() });
      return;
    }
    this.sealAndSend(shellId, bytes, this.clock.now());
  }

  /** Input is sealed with K_in in write-protected sessions, K_enc otherwise, and a per-connection counter. */
  private sealAndSend(shellId: number, bytes: Uint8Array, at: number): void {
    const keys = this.keys!;
    const key = inputKey(keys, this._state.info?.readersEnabled ?? false);
    const userId = this._state.userId!;
    const epoch = this.conn.epoch;
    if (!key) {
      this.events.emit("error", { code: "forbidden", message: "this link cannot type in this session" });
      return;
    }
    for (let off = 0; off < bytes.length; off += LIMITS.maxDataPlaintext) {
      const slice = bytes.subarray(off, off + LIMITS.maxDataPlaintext);
      // The counter is taken synchronously so sealing can run concurrently while sends stay in order.
      const counter = (this.inputCounters.get(shellId) ?? 0) + 1;
      this.inputCounters.set(shellId, counter);
      const sealed = sealFrame(key, slice, aad.input(this.sessionId, shellId, userId, counter));
      this.inputChain = this.inputChain.then(async () => {
        const frame = await sealed;
        if (epoch !== this.conn.epoch || !this.ready || !this.conn.send({ t: "data", shellId, counter, frame })) {
          // The connection changed under us: re-queue as plaintext; it is resealed for the new userId.
          this.outbox.push({ kind: "input", shellId, data: slice, at });
        }
      });
    }
  }

  createShell(rows = 24, cols = 80): number {
    const requestId = ++this.requestIds;
    this.send({ t: "create", requestId, rows, cols });
    return requestId;
  }

  closeShell(shellId: number): void {
    this.send({ t: "close", shellId });
  }

  /** Resize if this client may (owner, admin, focus holder, or unowned shell); returns whether it sent. */
  resize(shellId: number, rows: number, cols: number): boolean {
    // Without the CLI nothing can resize; the relay would only answer "CLI not connected".
    if (!this.mayResize(shellId) || !this._state.cli.connected) return false;
    const shell = this._state.shells.find((s) => s.id === shellId);
    if (shell && shell.rows === rows && shell.cols === cols) return false;
    this.send({ t: "resize", shellId, rows, cols });
    return true;
  }

  mayResize(shellId: number): boolean {
    const typedAt = this.lastTyped.get(shellId);
    const holdsLock = typedAt !== undefined && this.clock.now() - typedAt < this.timing.focusLockMs;
    return mayResize(this._state, shellId, holdsLock);
  }

  setFocus(shellId: number | null): void {
    this.send({ t: "setFocus", shellId });
  }

  setName(name: string): void {
    this.send({ t: "setName", name });
  }

  setTerminalName(shellId: number, name: string | null): void {
    this.send({ t: "setTerminalName", shellId, name });
  }

  chat(message: string): void {
    this.send({ t: "chat", message });
  }

  editChat(id: number, message: string): void {
    this.send({ t: "chatEdit", id, message });
  }

  adoptRequest(shellId: number): number {
    const requestId = ++this.requestIds;
    this.send({ t: "adoptRequest", requestId, shellId });
    return requestId;
  }

  adoptRespond(requestId: number, approve: boolean): void {
    this.send({ t: "adoptRespond", requestId, approve });
    this.setState({ ...this._state, adoptionPrompts: this._state.adoptionPrompts.filter((p) => p.requestId !== requestId) });
  }

  renameSession(name: string): void {
    this.send({ t: "renameSession", name });
  }

  kick(userId: number): void {
    this.send({ t: "kick", userId });
  }

  rotateLinks(): void {
    this.send({ t: "rotateLinks" });
  }

  endSession(): void {
    this.send({ t: "endSession" });
  }

  /** Any other client message (plugin events, layout metadata …), queued while offline. */
  send(message: ClientMessage): void {
    this.kv.flush(); // KV writes made before this message reach the server before it
    this.transmit(message);
  }

  /** Session KV writes (§9.3): batched into `pluginKvBatch` messages (outbox.ts, `KvBatcher`). */
  kvSet(pluginId: string, key: string, value: unknown, bytes = kvEntryBytes(key, value)): void {
    this.kv.push({ op: "set", pluginId, key, value }, bytes + utf8Length(pluginId));
  }

  kvDelete(pluginId: string, key: string): void {
    this.kv.push({ op: "delete", pluginId, key }, utf8Length(key) + utf8Length(pluginId));
  }

  /** On the socket now, or queued for the next connection. */
  private transmit(message: ClientMessage): void {
    if (this.ready && this.conn.send(message)) return;
    this.outbox.push({ kind: "message", message, at: this.clock.now() });
  }

  // ---------------------------------------------------------------- documents (§3.11, documents.ts)

  /** Show a document: its Yjs text and awareness, live. Shared until each opener calls `closeDocument`. */
  openDocument(docId: string): DocSync { return this.docs.open(docId); }
  closeDocument(docId: string): void { this.docs.release(docId); }
  /** A new document (fresh 12-character id) whose first line is `# {title}`. Writers and admins. */
  createDocument(title = "Untitled"): string { return this.docs.create(title, this._state.role === "reader"); }
  /** Read the titles of the listed documents this page has not seen yet (into `state.docTitles`). */
  loadDocumentTitles(): Promise<void> { return this.docs.loadTitles(this._state.documents.map((d) => d.docId), (id) => id in this._state.docTitles); }

  // ---------------------------------------------------------------- inbound

  private async onRaw(epoch: number, value: unknown): Promise<void> {
    const parsed = parseServerMessage(value);
    if (!parsed.ok) {
      if (!parsed.unknownType) console.warn(`taiku: ignoring ${parsed.error}`);
      return; // unknown types are ignored (forward compatibility, spec §2.2.1)
    }
    const msg = parsed.message;
    switch (msg.t) {
      case "hello":
        return this.authenticate(epoch, msg);
      case "authOk":
        this.setState(reduce(this._state, msg));
        return this.afterAuth();
      case "sessionInfo":
        this.setState(reduce(this._state, msg));
        if (!this.ready) this.flushQueue();
        return;
      case "cliStatus":
        this.setState(reduce(this._state, msg));
        // `cliStatus` closes the initial state: shells and ownership are known, so the page may
        // now lay out tiles and decide resize rights without racing the ownership message.
        if (!this.synced && this.ready) {
          this.synced = true;
          this.setState({ ...this._state, status: "online", retryAt: null, end: null });
        }
        return;
      case "invalidAuth":
        return this.end("invalid-key", END_TEXT["invalid-key"]);
      case "chunks": {
        const stream = this.streams.get(msg.shellId);
        const last = msg.frames.at(-1);
        if (stream) await stream.push(msg.frames);
        // Output for a shell we stopped displaying: acknowledge so the relay's window never stalls.
        else if (last) this.conn.send({ t: "ack", shellId: msg.shellId, seq: last.seq });
        return;
      }
      case "shells":
        this.setState(reduce(this._state, msg));
        this.owned.retain(msg.shells.map((s) => s.id));
        return;
      case "ownershipToken":
        this.owned.set(msg.shellId, msg.token);
        return;
      case "title":
        return this.side.title(msg);
      case "agent":
        return this.side.agent(msg);
      case "focusLocked":
      case "adoptionResult":
      case "pluginEvent":
      case "remoteCommand":
        this.events.emit(msg.t, msg as never);
        return;
      case "error":
        this.events.emit("error", { code: msg.code, message: msg.message });
        return;
      case "pluginKvDiff":
        this.setState(reduce(this._state, msg));
        this.events.emit("pluginKvDiff", msg);
        return;
      case "pluginKvDiffs":
        // One state change for the batch, then each change as the plugin host knows it.
        this.setState(reduce(this._state, msg));
        for (const d of msg.diffs) this.events.emit("pluginKvDiff", { t: "pluginKvDiff", ...d, userId: msg.userId });
        return;
      case "linksRotated": {
        const rotation = this.onLinksRotated(msg).finally(() => {
          if (this.rotation === rotation) this.rotation = null;
        });
        this.rotation = rotation;
        return rotation;
      }
      case "aliasInvocation":
        return this.side.alias(msg);
      case "docUpdates":
      case "docAwareness":
        return this.docs.handle(msg);
      case "userDiff":
        this.setState(reduce(this._state, msg));
        if (!msg.user) this.docs.userLeft(msg.userId);
        return;
      case "sessionClosed":
        this.end("closed", msg.reason || END_TEXT.closed);
        return;
      default:
        this.setState(reduce(this._state, msg as ServerMessage));
    }
  }

  private async authenticate(epoch: number, hello: ServerMsg<"hello">): Promise<void> {
    this.ready = false;
    this.synced = false;
    this.setState(reduce(this._state, hello));
    // A reconnect while a rotation is applied authenticates with the new keys.
    if (this.rotation) await this.rotation.catch(() => undefined);
    if (epoch !== this.conn.epoch) return;
    const keys = this.keys!;
    const challenge = wsChallenge(hello.challenge, hello.userId);
    const [viewProof, writeProof, adminProof] = await Promise.all([
      proof(keys.viewVerifier, "ws", this.sessionId, challenge),
      keys.writeVerifier ? proof(keys.writeVerifier, "ws", this.sessionId, challenge) : undefined,
      keys.adminVerifier ? proof(keys.adminVerifier, "ws", this.sessionId, challenge) : undefined,
    ]);
    if (epoch !== this.conn.epoch) return;
    const device = this.opts.device ?? deviceLabel(this.opts.userAgent);
    this.conn.send({
      t: "authenticate",
      viewProof,
      ...(writeProof ? { writeProof } : {}),
      ...(adminProof ? { adminProof } : {}),
      ...(this.opts.name ? { name: this.opts.name } : {}),
      device,
    });
  }

  /** New connection, new userId: input counters restart at 1; resume displayed shells; reclaim ours. */
  private afterAuth(): void {
    this.conn.markHealthy();
    this.inputCounters.clear();
    for (const stream of this.streams.values()) {
      stream.ack.reset();
      this.conn.send({ t: "subscribe", shellId: stream.shellId, fromSeq: stream.resumeSeq });
    }
    if (this._state.role !== "reader") {
      const claims = this.owned.claims();
      if (claims.length) this.conn.send({ t: "claimShells", claims });
    }
  }

  /** `sessionInfo` is the first initial-state message: from here input can be sealed (readersEnabled known). */
  private flushQueue(): void {
    this.ready = true;
    for (const entry of this.outbox.drain(this.clock.now())) {
      if (entry.kind === "message") this.transmit(entry.message);
      else if (this._state.role !== "reader") this.sealAndSend(entry.shellId, entry.data, entry.at);
    }
    this.docs.connected(this._state.userId!, this._state.canWrite && this._state.role !== "reader");
  }

  private onDown(code: number, reason: string, retryAt: number | null): void {
    this.ready = false;
    this.synced = false;
    this.docs.disconnected();
    if (this._state.status === "ended") return;
    if (retryAt === null) {
      // The relay closes a removed participant with 4403 "removed by admin": not a key problem.
      const kind = code === CLOSE.authFailed && /removed|kick/i.test(reason) ? "kicked" : (FINAL_CODES[code] ?? "stopped");
      this.end(kind, reason && kind === "stopped" ? reason : END_TEXT[kind]);
      return;
    }
    this.setState({ ...this._state, status: "reconnecting", retryAt });
  }

  private end(kind: EndKind, message: string): void {
    this.ready = false;
    this.setState({ ...this._state, status: "ended", end: { kind, message }, retryAt: null });
    this.conn.stop(1000, kind);
  }

  /**
   * An admin rotated the links: the new fragment comes sealed with the admin-notice key of the old
   * admin secret. Adopt it, tell the page (address bar), and reconnect with the new proofs.
   */
  private async onLinksRotated(msg: ServerMsg<"linksRotated">): Promise<void> {
    const noticeKey = this.keys?.adminNotice;
    if (!noticeKey) return;
    const plain = await openFrame(noticeKey, msg.frame, aad.adminNotice(this.sessionId, 0));
    const fragment = plain ? fromUtf8(plain) : null;
    const secrets = fragment ? parseFragment(fragment) : null;
    if (!fragment || !secrets) {
      this.events.emit("error", { code: "rotation", message: "could not read the new links after rotation" });
      return;
    }
    this.previousEnc = this.keys!.enc;
    this.keys = await deriveSessionKeys(this.sessionId, secrets, this.opts.kdf);
    this.docs.rotated();
    this.fragment = fragment;
    this.events.emit("fragment", fragment);
    this.conn.reconnectNow();
  }

  /**
   * Session-scoped HTTP authentication (spec §2.6.3) for a nonce from `GET /api/s/{id}/auth-challenge`:
   * the viewer proof, and the admin (else write) proof when this link has one. Base64.
   */
  async httpProofs(nonce: string): Promise<{ key: string; auth?: string }> {
    if (!this.keys) throw new Error("session not started");
    return httpProofsFor(this.keys, this.sessionId, nonce);
  }

  /** Answer an `aliasInvocation`: the output sealed with K_enc, readable by the CLI only. */
  async answerAlias(a: AliasAnswer): Promise<void> {
    this.send({ t: "aliasResult", invocationId: a.invocationId, frame: await sealAliasAnswer(this.sessionId, this.keys!.enc, a) });
  }

  /** The current link's fragment (changes after a rotation). */
  get currentFragment(): string {
    return this.fragment;
  }

  private outputKeys(): AeadKey[] {
    return this.previousEnc ? [this.keys!.enc, this.previousEnc] : [this.keys!.enc];
  }

  private onDecryptFailure(shellId: number, seq: number): void {
    this.setState({ ...this._state, decryptFailures: this._state.decryptFailures + 1 });
    if (this.warnedDecrypt) return;
    this.warnedDecrypt = true;
    console.warn(`taiku: discarded output frame ${seq} of shell ${shellId}: it failed authentication`);
    this.events.emit("decryptWarning", { shellId, seq });
  }

  private setState(next: SessionState): void {
    if (next === this._state) return;
    this._state = next;
    this.events.emit("state", next);
  }
}
