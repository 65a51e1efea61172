/**
 * A running share: one session on the server, its shells, and the encrypted relay between them.
 *
 * Ordering: every step that touches keys or the wire in sequence — sealing an output chunk,
 * announcing or closing a shell, re-sending after `sync`, switching keys on `rekey` — runs on one
 * promise chain (`serial`), so frames leave in seq order and no frame sealed with old keys follows
 * a `rekey`. Output and input use the synchronous node:crypto AES-GCM (`node-aead.ts`): an output
 * chunk is sealed and sent at once when the chain is idle (no promise hop, no thread-pool job) and
 * queued behind it otherwise; input is opened and written to the PTY as it arrives, in order.
 */
import { EventEmitter } from "node:events";
import {
  aad, deriveSessionKeys, formatFragment, generateLinkSecrets, inputKey, openFrameSync, sealFrame, sealFramePartsSync, sessionLinks, utf8,
  verifiersOf, type AeadKey, type LinkSecrets, type SessionKeys,
} from "@taiku/crypto";
import { importNodeAeadKey } from "./node-aead.js";
import { E2E_SUITE, encodeCbor, encodeCliData, LIMITS, type CliDown, type CliDownMsg, type EncodedCliData } from "@taiku/protocol";
import { CliError, EXIT } from "./exit-codes.js";
import { FlowGate, SocketPressure, Watermark } from "./flow.js";
import { Link } from "./link.js";
import { OutputBuffer } from "./output-buffer.js";
import { ShellPool } from "./shells.js";
import { ChatLog, type ChatMessage } from "./chat.js";
import { presenceLine } from "./printer.js";
import { fetchOneTimeCode, withSignIn } from "./signin.js";
import { FsServer, NO_SUCH_FILE } from "./fs-server.js";
import { ShellTitles } from "./titles.js";
import { TunnelClient } from "./tunnel-client.js";
import { ShareAliases } from "./alias-relay.js";

import type { EndResult, SessionOptions, ShareLinks } from "./session-types.js";

export type { EndResult, SessionOptions, ShareLinks };

/**
 * Events: `output` (shellId, bytes — valid only during the listener, as PtyLike.onData), `shells`,
 * `chat`, `presence`, `links`, `linkUp`, `linkDown`, `synced`, `warn`, `end`.
 */
export class ShareSession extends EventEmitter {
  sessionId = "";
  baseUrl = "";
  links!: ShareLinks;
  readonly chat: ChatLog;
  /** Resolves once the session has ended (closed, last shell exited, link lost for good). */
  readonly done: Promise<EndResult>;

  private readonly link: Link;
  private readonly pool: ShellPool;
  private fsServer: FsServer | null = null;
  private readonly tunnels: TunnelClient;
  private readonly flow: FlowGate;
  private readonly pressure: SocketPressure;
  private readonly buffers = new Map<number, OutputBuffer>();
  private readonly lastCounter = new Map<string, number>();
  private readonly pendingClosed = new Set<number>();
  private readonly warnedInput = new Set<string>();
  private readonly pendingChat = new Map<number, { resolve(id: number): void; reject(err: Error): void }>();
  private keys!: SessionKeys;
  private secrets!: LinkSecrets;
  private serial: Promise<void> = Promise.resolve();
  /** Steps queued on `serial` and not finished: output bypasses the chain only when this is 0. */
  private serialDepth = 0;
  /** False between a reconnect and its first `sync`: output is buffered, not sent. */
  private live = false;
  private awaitingSync = false;
  private ended = false;
  private endResolve!: (r: EndResult) => void;
  /** Plaintext bytes handed to the chain and not yet sealed. */
  private pendingBytes = 0;
  private nextChatRequest = 1;
  private readonly agentSeq = new Map<number, number>();
  private readonly titles = new ShellTitles((shellId, version, title) => this.sendTitle(shellId, version, title));
  private readonly log: (m: string) => void;
  private aliases: ShareAliases | null = null;

  constructor(private readonly opts: SessionOptions) {
    super();
    this.log = opts.log ?? (() => {});
    this.chat = new ChatLog(opts.limits.chatRing);
    this.done = new Promise((r) => (this.endResolve = r));
    if (opts.plugins) this.on("synced", () => this.sendSessionPlugins());
    this.tunnels = new TunnelClient({ ports: opts.tunnelPorts, send: (m) => this.link.send(m), pending: () => this.link.bufferedAmount });
    this.pool = new ShellPool({
      spawn: opts.spawn,
      shell: opts.shell,
      cwd: opts.dir,
      env: opts.env,
      flushMs: opts.limits.outputFlushMs,
      flushBytes: opts.limits.outputFlushBytes,
      maxChunk: opts.limits.maxDataPlaintext,
      ...(opts.outputBacklogBytes ? { backlogBytes: opts.outputBacklogBytes } : {}),
      onOutput: (id, chunk) => this.onOutput(id, chunk),
      onExit: (id) => this.onShellExit(id),
    });
    this.flow = new FlowGate({ pause: (id) => this.pool.pause(id), resume: (id) => this.pool.resume(id) });
    this.pressure = new SocketPressure(
      new Watermark(opts.socketHighWater ?? 4 * 1024 * 1024, opts.socketLowWater ?? 1024 * 1024),
      // Output waiting to be sealed counts too: a flood of reads pauses before it piles up.
      () => this.link.bufferedAmount + this.pendingBytes,
      (on) => this.flow.setGlobal("socket", on),
    );
    this.link = new Link({
      server: opts.server,
      ...(opts.token ? { token: opts.token } : {}),
      open: {
        cliVersion: opts.cliVersion,
        readersEnabled: opts.enableReaders,
        noViewerAuth: opts.noViewerAuth,
        tunnelPorts: opts.tunnelPorts,
        deviceId: opts.deviceId,
        cwdLabel: basename(opts.dir),
      },
      timers: opts.limits,
      onOpened: (msg, reconnected) => this.onOpened(msg, reconnected),
      onMessage: (msg) => this.onMessage(msg),
      onDown: (reason) => this.onDown(reason),
      onFatal: (err) => void this.end({ exitCode: err.exitCode, reason: err.message }, false),
      log: this.log,
    });
  }

  /** Open the session, register verifiers, spawn the first shell. Links are ready when this resolves. */
  async start(): Promise<void> {
    const opened = await this.link.start();
    this.sessionId = opened.sessionId;
    this.baseUrl = (opened.baseUrl || this.opts.server).replace(/\/+$/, "");
    this.secrets = generateLinkSecrets();
    this.keys = await deriveSessionKeys(this.sessionId, this.secrets, { ...this.opts.kdf, importAeadKey: importNodeAeadKey });
    // Before hello: the server's `aliases` follows it.
    // Optional: a temp dir or socket that cannot be made costs the aliases, not the session.
    const aliases = this.opts.aliases ? await ShareAliases.start({
      ...this.opts.aliases, basePath: this.opts.env.PATH ?? "", sessionId: () => this.sessionId, key: () => this.keys.enc,
      send: (m) => this.link.send(m), shellIds: () => this.pool.ids(), warn: (m) => this.emit("warn", m),
    }).catch((err: unknown) => {
      this.emit("warn", `shell aliases are off: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }) : null;
    if (this.ended) {
      // The session ended meanwhile (the server closed it, the link failed for good): end() had nothing to close.
      aliases?.close();
      const r = await this.done;
      throw new CliError(r.reason, r.exitCode);
    }
    this.aliases = aliases;
    this.sendHello(opened.token);
    // The server answers an accepted hello with `sync`: only then does the session exist for
    // viewers, so links are printed after it (a viewer joining sooner would fail "invalid key").
    this.awaitingSync = true;
    await this.firstSync();
    this.links = await this.makeLinks();
    const size = this.opts.initialSize ?? { rows: 24, cols: 80 };
    this.spawnShell(size.rows, size.cols, 0);
  }

  private firstSync(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A server that never syncs still gets a working session: go live without the ack.
        this.log("no sync after hello; continuing");
        this.awaitingSync = false;
        this.live = true;
        done();
      }, this.opts.limits.authTimeoutMs);
      const onSynced = () => done();
      const onEnd = (r: EndResult) => {
        done();
        reject(new CliError(r.reason, r.exitCode));
      };
      const done = () => {
        clearTimeout(timer);
        this.off("synced", onSynced);
        this.off("end", onEnd);
        resolve();
      };
      this.on("synced", onSynced);
      this.on("end", onEnd);
    });
  }

  /** Figures for tests, the benchmark and --verbose. */
  stats(): { bufferedAmount: number; pausedShells: number[]; resendBytes: number; linkUp: boolean } {
    let resendBytes = 0;
    for (const b of this.buffers.values()) resendBytes += b.bufferedBytes;
    return {
      bufferedAmount: this.link.bufferedAmount,
      pausedShells: this.pool.ids().filter((id) => this.flow.isPaused(id)),
      resendBytes,
      linkUp: this.link.up,
    };
  }

  /** Shell ids currently running. */
  shellIds(): number[] {
    return this.pool.ids();
  }

  /** Spawn a shell from the host side (requestId 0 = CLI-initiated). */
  createShell(rows = 24, cols = 80): number {
    return this.spawnShell(rows, cols, 0);
  }

  /** Post a chat message as the host (agents); resolves with the message id. */
  postChat(name: string, message: string): Promise<number> {
    const requestId = this.nextChatRequest++;
    return new Promise((resolve, reject) => {
      if (!this.link.send({ t: "chatSend", requestId, name, message })) {
        reject(new Error("the link to the server is down"));
        return;
      }
      this.pendingChat.set(requestId, { resolve, reject });
    });
  }

  /**
   * Edit a message this CLI posted. Returns false when the link is down, and when the message has left
   * the chat ring (the server keeps the last `chatRing` messages and refuses edits of older ones).
   */
  editChat(id: number, message: string): boolean {
    if (!this.chat.all().some((m) => m.id === id)) return false;
    return this.link.send({ t: "chatEdit", id, message });
  }

  /**
   * Send one agent event (spec §3.13, §8) to viewers: CBOR `{type, data, timestamp}` sealed with
   * K_enc and the `agent` AAD, numbered per shell. Dropped (false) while the link is down or for
   * a shell that is not running, and when it is larger than one frame (the server refuses those).
   */
  sendAgentEvent(shellId: number, event: { type: string; data: Record<string, unknown>; timestamp?: number }): boolean {
    if (!this.pool.has(shellId) || !this.live || this.awaitingSync) return false;
    const plain = encodeCbor({ type: event.type, data: event.data, timestamp: event.timestamp ?? Date.now() });
    if (plain.byteLength > LIMITS.maxDataPlaintext) {
      this.log(`agent event ${event.type} dropped: ${plain.byteLength} bytes is more than one frame`);
      return false;
    }
    void this.enqueue(async () => {
      if (!this.live || this.awaitingSync) return;
      const seq = this.agentSeq.get(shellId) ?? 0;
      this.agentSeq.set(shellId, seq + 1);
      const frame = await sealFrame(this.keys.enc, plain, aad.agent(this.sessionId, shellId, seq));
      this.link.send({ t: "agent", shellId, seq, frame });
    });
    return true;
  }

  /** A shell's new terminal title (titles.ts), sealed with K_enc; while offline, resendAfterSync sends the latest. */
  private sendTitle(shellId: number, version: number, title: string): void {
    if (!this.live || this.awaitingSync) return;
    void this.enqueue(async () => {
      if (!this.live || this.awaitingSync || !this.pool.has(shellId)) return;
      const frame = await sealFrame(this.keys.enc, utf8(title), aad.title(this.sessionId, shellId, version));
      this.link.send({ t: "title", shellId, version, frame });
    });
  }

  /** Subscribe to chat messages (the agents subsystem hooks in here). Returns an unsubscribe function. */
  onChat(listener: (m: ChatMessage) => void): () => void {
    this.on("chat", listener);
    return () => this.off("chat", listener);
  }

  /** Send the `--plugin` set (`setSessionPlugins`); again after a resume and after a local plugin changed. */
  sendSessionPlugins(): void {
    const plugins = this.opts.plugins?.list(this.sessionId) ?? [];
    if (plugins.length === 0 || !this.live || this.awaitingSync || this.ended) return;
    this.link.send({ t: "setSessionPlugins", plugins });
  }

  /** End the session: tell the server (`close`), stop every shell. */
  async close(reason = "host ended the session"): Promise<EndResult> {
    return this.end({ exitCode: EXIT.ok, reason }, true);
  }

  /** Test hook: drop the link socket as a network failure would. */
  dropLinkForTest(): void {
    this.link.dropForTest();
  }

  // ------------------------------------------------------------------ link events

  private sendHello(token: string): void {
    const v = verifiersOf(this.keys);
    this.link.send({
      t: "hello",
      sessionId: this.sessionId,
      token,
      viewVerifier: v.view,
      writeVerifier: v.write,
      adminVerifier: v.admin,
      e2e: E2E_SUITE,
    });
  }

  private onOpened(msg: CliDownMsg<"opened">, reconnected: boolean): void {
    if (!reconnected) return; // start() finishes the first hello once keys exist
    if (msg.sessionId !== this.sessionId) {
      void this.end({ exitCode: EXIT.sessionGone, reason: `the server resumed a different session (${msg.sessionId})` }, false);
      return;
    }
    this.sendHello(msg.token);
    this.awaitingSync = true;
    this.emit("linkUp");
    this.log("link re-established; waiting for sync");
  }

  private onDown(reason: string): void {
    this.live = false;
    this.awaitingSync = false;
    this.pressure.reset();
    this.tunnels.abortAll(); // the server failed them when the link dropped
    this.fsServer?.abortAll();
    this.aliases?.linkDown();
    for (const pending of this.pendingChat.values()) pending.reject(new Error("the link to the server went down"));
    this.pendingChat.clear();
    this.emit("linkDown", reason);
    this.emit("warn", `link to the server lost (${reason}); reconnecting…`);
  }

  private onMessage(msg: CliDown): void {
    switch (msg.t) {
      case "input":
        try {
          this.onInput(msg);
        } catch (err) {
          this.log(`input: ${String(err)}`);
        }
        return;
      case "createShell":
        this.spawnShell(msg.rows, msg.cols, msg.requestId);
        return;
      case "closeShell":
        this.pool.kill(msg.shellId);
        return;
      case "resize":
        this.pool.resize(msg.shellId, msg.rows, msg.cols);
        return;
      case "sync":
        if (this.awaitingSync) {
          this.awaitingSync = false;
          this.enqueue(() => this.resendAfterSync(msg.nextSeq));
        }
        return;
      case "flow":
        this.flow.set(msg.shellId, "server", msg.pause);
        return;
      case "sessionEvent": {
        const line = presenceLine(msg);
        if (line) this.emit("presence", line);
        return;
      }
      case "chat":
        this.chat.add(msg);
        this.emit("chat", this.chat.last()!);
        return;
      case "chatSent": {
        const pending = this.pendingChat.get(msg.requestId);
        this.pendingChat.delete(msg.requestId);
        pending?.resolve(msg.id);
        return;
      }
      case "rotateLinks":
        void this.rotate().catch((err) => this.emit("warn", `link rotation failed: ${String(err)}`));
        return;
      case "closed":
        void this.end({ exitCode: EXIT.ok, reason: msg.reason || "the session was closed" }, false);
        return;
      case "error":
        if (/session not found/i.test(msg.message)) {
          void this.end({ exitCode: EXIT.sessionGone, reason: `the server no longer knows this session: ${msg.message}` }, false);
        } else {
          this.emit("warn", `server: ${msg.message}`);
        }
        return;
      case "tunnelRequest":
        this.tunnels.handle(msg);
        return;
      case "pluginFile":
        if (this.opts.plugins) void this.opts.plugins.handle(msg, (m) => this.link.send(m));
        else this.link.send({ t: "fsResponse", requestId: msg.requestId, ok: false, error: NO_SUCH_FILE, json: new Uint8Array(0), data: new Uint8Array(0), end: true });
        return;
      case "fsRequest":
        this.fsServer ??= new FsServer({
          root: this.opts.dir, enabled: !this.opts.noFs, send: (m) => this.link.send(m), pending: () => this.link.bufferedAmount,
        });
        void this.fsServer.handle(msg);
        return;
      case "aliases":
      case "aliasResult":
        this.aliases?.onMessage(msg);
        return;
      default:
        return; // opened (handled by the link)
    }
  }

  // ------------------------------------------------------------------ shells and output

  private spawnShell(rows: number, cols: number, requestId: number): number {
    const shell = this.pool.create(rows, cols, {
      TAIKU_SESSION_ID: this.sessionId, TAIKU_SERVER: this.baseUrl || this.opts.server,
      ...(this.opts.shellToken ? { TAIKU_TOKEN: this.opts.shellToken } : {}),
      ...this.aliases?.shims.env(),
    });
    this.buffers.set(shell.id, new OutputBuffer(Math.max(this.opts.resendBufferBytes ?? 0, 2 * 1024 * 1024)));
    this.flow.add(shell.id);
    // Announce before any output of this shell can reach the chain.
    if (this.live) this.link.send({ t: "createdShell", shellId: shell.id, rows, cols, requestId });
    this.emit("shells", this.pool.ids());
    return shell.id;
  }

  private onOutput(shellId: number, chunk: Uint8Array): void {
    const buf = this.buffers.get(shellId);
    if (!buf) return;
    this.emit("output", shellId, chunk);
    this.titles.onOutput(shellId, chunk);
    const seq = buf.takeSeq();
    const seal = (plain: Uint8Array) => {
      // Sealed straight into the encoded `data` message: one output copy instead of three (cli-data.ts).
      const msg = sealDataMessage(this.keys.enc, shellId, seq, plain, aad.output(this.sessionId, shellId, seq));
      buf.push(seq, { n: msg.n, c: msg.c }); // views into msg.bytes: a re-send encodes the frame only
      if (this.live && !this.awaitingSync) {
        this.link.sendEncoded(msg.bytes, true);
        this.checkSocket();
        buf.markSent(seq + 1);
      }
      if (buf.full) this.flow.set(shellId, "buffer", true);
    };
    if (this.serialDepth === 0) {
      // The common case: sealed and sent now.
      try {
        seal(chunk);
      } catch (err) {
        this.log(`internal: ${String(err)}`);
      }
      return;
    }
    // Behind a re-send or a rekey: keep seq order. Copy, node-pty may reuse the Buffer it handed us.
    const plain = Uint8Array.from(chunk);
    this.pendingBytes += plain.byteLength;
    this.checkSocket();
    this.enqueue(() => {
      this.pendingBytes -= plain.byteLength;
      seal(plain);
    });
  }

  private onShellExit(shellId: number): void {
    this.flow.remove(shellId);
    this.titles.remove(shellId);
    this.enqueue(() => {
      if (this.live && !this.awaitingSync) this.link.send({ t: "closedShell", shellId });
      else this.pendingClosed.add(shellId);
      this.buffers.delete(shellId);
    });
    this.emit("shells", this.pool.ids());
    if (this.pool.size === 0 && !this.ended) {
      this.enqueue(() => void this.end({ exitCode: EXIT.ok, reason: "the last shell exited" }, true));
    }
  }

  /** After a reconnect: re-send what the server lacks, announce shells it never saw, report closures. */
  private resendAfterSync(nextSeq: Record<string, number>): void {
    for (const shellId of this.pool.ids()) {
      const buf = this.buffers.get(shellId);
      if (!buf) continue;
      const known = nextSeq[String(shellId)];
      if (known === undefined) {
        const dims = this.pool.dims(shellId)!;
        this.link.send({ t: "createdShell", shellId, rows: dims.rows, cols: dims.cols, requestId: 0 });
      }
      const from = known ?? 0;
      const { frames, missing } = buf.from(from);
      if (missing > 0) this.emit("warn", `shell ${shellId}: ${missing} output frames were dropped from the local buffer while offline`);
      buf.rewind(from);
      for (const f of frames) this.link.send({ t: "data", shellId, seq: f.seq, frame: f.frame });
      buf.markSent(buf.nextSeq);
      this.flow.set(shellId, "buffer", false);
    }
    for (const shellId of this.pendingClosed) this.link.send({ t: "closedShell", shellId });
    this.pendingClosed.clear();
    this.live = true;
    this.titles.resendAll(); // the server keeps the highest version: one it already has is ignored
    this.link.markHealthy();
    this.checkSocket();
    this.emit("synced");
    this.log("resynchronised after reconnect");
  }

  // ------------------------------------------------------------------ input

  private onInput(msg: CliDownMsg<"input">): void {
    const pair = `${msg.userId}:${msg.shellId}`;
    const last = this.lastCounter.get(pair) ?? 0;
    const warnOnce = (why: string) => {
      if (this.warnedInput.has(pair + why)) return;
      this.warnedInput.add(pair + why);
      this.emit("warn", `discarded input from user ${msg.userId} to shell ${msg.shellId}: ${why}`);
    };
    if (msg.counter <= last) return warnOnce("replayed or out-of-order counter");
    const key = inputKey(this.keys, this.opts.enableReaders);
    if (!key) return warnOnce("no input key");
    const plain = openFrameSync(key, msg.frame, aad.input(this.sessionId, msg.shellId, msg.userId, msg.counter));
    if (!plain) return warnOnce("frame failed authentication");
    this.lastCounter.set(pair, msg.counter);
    this.pool.write(msg.shellId, plain);
  }

  // ------------------------------------------------------------------ backpressure

  private checkSocket(): void {
    this.pressure.check();
  }

  // ------------------------------------------------------------------ links and rotation

  private async makeLinks(): Promise<ShareLinks> {
    const l = sessionLinks(this.baseUrl, this.sessionId, this.secrets);
    let adminSignIn = l.admin;
    if (this.opts.ownerSignIn && this.opts.token) {
      const code = await fetchOneTimeCode(this.opts.server, this.opts.token, this.opts.fetch ?? fetch, this.log);
      if (code) adminSignIn = withSignIn(l.admin, code);
    }
    return { ...l, adminSignIn, readersEnabled: this.opts.enableReaders };
  }

  private async rotate(): Promise<void> {
    const secrets = generateLinkSecrets();
    const keys = await deriveSessionKeys(this.sessionId, secrets, { ...this.opts.kdf, importAeadKey: importNodeAeadKey });
    await this.enqueue(async () => {
      const old = this.keys;
      const notice = await sealFrame(old.adminNotice!, utf8(formatFragment(secrets)), aad.adminNotice(this.sessionId, 0));
      const v = verifiersOf(keys);
      this.link.send({ t: "rekey", viewVerifier: v.view, writeVerifier: v.write, adminVerifier: v.admin, notice });
      this.keys = keys;
      this.secrets = secrets;
      this.lastCounter.clear(); // input counters restart with the new keys' viewers
    });
    this.links = await this.makeLinks();
    this.emit("links", this.links);
    for (const id of this.pool.ids()) this.pool.nudge(id);
  }

  // ------------------------------------------------------------------ teardown

  private enqueue(step: () => void | Promise<void>): Promise<void> {
    this.serialDepth++;
    const next = this.serial.then(step).finally(() => this.serialDepth--);
    this.serial = next.catch((err) => this.log(`internal: ${String(err)}`));
    return this.serial;
  }

  private async end(result: EndResult, notifyServer: boolean): Promise<EndResult> {
    if (this.ended) return this.done;
    this.ended = true;
    this.pressure.reset();
    this.pool.killAll();
    this.tunnels.abortAll();
    this.fsServer?.abortAll();
    this.aliases?.close();
    await this.serial; // let sealed output go out before `close`
    await this.link.shutdown(notifyServer ? { t: "close", reason: result.reason } : undefined);
    for (const pending of this.pendingChat.values()) pending.reject(new Error("the session ended"));
    this.pendingChat.clear();
    this.endResolve(result);
    this.emit("end", result);
    return result;
  }
}

function basename(path: string): string {
  const parts = path.replace(/\/+$/, "").split("/");
  return parts[parts.length - 1] || "/";
}

/** Seal one output chunk and encode its `data` message in one buffer (`frame.n`/`frame.c` view into it). */
function sealDataMessage(key: AeadKey, shellId: number, seq: number, plain: Uint8Array, associated: Uint8Array): EncodedCliData {
  const { n, parts } = sealFramePartsSync(key, plain, associated); // output keys come from importNodeAeadKey
  return encodeCliData(shellId, seq, n, parts);
}
