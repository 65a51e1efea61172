/**
 * One live session: metadata, verifiers, shells, connected users, chat, session KV, session plugins, documents,
 * and the CLI link with its grace window (§1.5, §3.1). Message handlers live in browser-messages.ts
 * and cli-messages.ts; this class holds state, membership and broadcast.
 */
import { encodeCbor, type CliDown, type Limits, type ServerMessage, type ServerMsg } from "@taiku/protocol";
import type { Verifiers } from "@taiku/crypto";
import { ChatLog, type ChatEntry } from "./chat.js";
import type { RelayContext } from "./context.js";
import { Fanout } from "./fanout.js";
import { SessionKv } from "./kv.js";
import type { Peer } from "./peer.js";
import { issueOwnership, newShell, type Shell } from "./shell.js";
import { Adoptions } from "./adoption.js";
import { FsBroker } from "./fs.js";
import { RemoteBroker } from "./remote.js";
import { TUNNEL_DEFAULTS, TunnelBroker } from "./tunnels.js";
import { limitOr } from "./context.js";
import { ALIAS_DEFAULTS, AliasBroker } from "./aliases.js";
import { DOC_AWARENESS_GAP_MS, DocStore } from "./docs.js";

export interface CliLink {
  send(msg: CliDown): void;
  close(code: number, reason: string): void;
  /** Flow control: stop (false) or resume (true) reading the link's socket, so TCP backpressure reaches the CLI. */
  setReading?(on: boolean): void;
}

export type SessionPlugins = Record<string, { manifest_url: string; enabled: boolean }>;

export interface SessionInit {
  id: string;
  createdAt: number;
  name: string | null;
  cwdLabel: string | null;
  ownerAccountId: string | null;
  ownerName: string | null;
  tokenHash: Uint8Array;
  verifiers: Verifiers;
  readersEnabled: boolean;
  viewerAuth: boolean;
  plugins: SessionPlugins;
  /** `open.tunnelPorts` (§3.12); absent in snapshots from before tunnels. */
  tunnelPorts?: number[];
}

export class Session {
  readonly id: string;
  readonly createdAt: number;
  name: string | null;
  cwdLabel: string | null;
  readonly ownerAccountId: string | null;
  ownerName: string | null;
  readonly tokenHash: Uint8Array;
  verifiers: Verifiers;
  readonly readersEnabled: boolean;
  readonly viewerAuth: boolean;
  plugins: SessionPlugins;

  readonly shells = new Map<number, Shell>();
  readonly peers = new Map<number, Peer>();
  readonly chat: ChatLog;
  kv: SessionKv;
  nextUserId = 1;
  /** Server-unique `createShell.requestId` → the browser user and its own requestId (§2.3). */
  readonly pendingCreates = new Map<number, { userId: number; requestId: number }>();
  nextServerRequestId = 1;
  readonly fanout: Fanout;
  readonly adoptions: Adoptions;
  /** CLI-backed filesystem requests (§11.3.5) and remote commands (§13): see fs.ts, remote.ts. */
  readonly fs: FsBroker;
  readonly remote: RemoteBroker;
  /** HTTP tunnels to the CLI's published ports (§3.12): see tunnels.ts. */
  readonly tunnels: TunnelBroker;
  /** Shell aliases (§4.8): see aliases.ts. */
  readonly aliases: AliasBroker;
  /** Collaborative documents (§3.11): see docs.ts. */
  readonly docs: DocStore;

  cli: CliLink | null = null;
  graceExpiresAt: number | null = null;
  latencyMs: number | null = null;
  ended = false;
  /** Set whenever state may have changed; the snapshot loop skips clean sessions. */
  dirty = true;
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly ctx: RelayContext,
    init: SessionInit,
  ) {
    this.id = init.id;
    this.createdAt = init.createdAt;
    this.name = init.name;
    this.cwdLabel = init.cwdLabel;
    this.ownerAccountId = init.ownerAccountId;
    this.ownerName = init.ownerName;
    this.tokenHash = init.tokenHash;
    this.verifiers = init.verifiers;
    this.readersEnabled = init.readersEnabled;
    this.viewerAuth = init.viewerAuth;
    this.plugins = init.plugins;
    this.chat = new ChatLog(this.limits.chatRing);
    this.kv = new SessionKv(this.limits.sessionKvBytes);
    this.fanout = new Fanout(this);
    this.adoptions = new Adoptions(this);
    this.fs = new FsBroker(
      { connected: () => this.cli !== null, send: (msg) => this.sendCli(msg) },
      () => limitOr(ctx.deps, "fsAnswerMs", 15_000),
    );
    this.remote = new RemoteBroker(() => limitOr(ctx.deps, "remoteCommandMs", 10_000));
    this.aliases = new AliasBroker({
      sendCli: (msg) => this.sendCli(msg),
      peer: (userId) => {
        const peer = this.peers.get(userId);
        return peer?.authed ? peer : undefined;
      },
      ownerOf: (shellId) => {
        const shell = this.shells.get(shellId);
        return shell?.ownerTokenHash ? shell.ownerUserId : null;
      },
      limits: () => ({
        aliasAnswerMs: limitOr(ctx.deps, "aliasAnswerMs", ALIAS_DEFAULTS.aliasAnswerMs),
        aliasMaxPending: limitOr(ctx.deps, "aliasMaxPending", ALIAS_DEFAULTS.aliasMaxPending),
        aliasPluginsPerPeer: ALIAS_DEFAULTS.aliasPluginsPerPeer,
      }),
    });
    this.docs = new DocStore({
      now: () => this.now(),
      limits: this.limits,
      awarenessGapMs: () => limitOr(ctx.deps, "docAwarenessGapMs", DOC_AWARENESS_GAP_MS),
      broadcast: (msg) => this.broadcast(msg),
      changed: () => {
        this.dirty = true;
      },
      live: () => !this.ended,
    });
    this.tunnels = new TunnelBroker(
      { connected: () => this.cli !== null, send: (msg) => this.sendCli(msg) },
      init.tunnelPorts ?? [],
      () => ({
        tunnelAnswerMs: limitOr(ctx.deps, "tunnelAnswerMs", TUNNEL_DEFAULTS.tunnelAnswerMs),
        tunnelBodyMaxBytes: limitOr(ctx.deps, "tunnelBodyMaxBytes", TUNNEL_DEFAULTS.tunnelBodyMaxBytes),
        tunnelBufferMaxBytes: limitOr(ctx.deps, "tunnelBufferMaxBytes", TUNNEL_DEFAULTS.tunnelBufferMaxBytes),
        tunnelMaxPending: limitOr(ctx.deps, "tunnelMaxPending", TUNNEL_DEFAULTS.tunnelMaxPending),
      }),
    );
  }

  get limits(): Limits {
    return this.ctx.deps.limits;
  }

  now(): number {
    return this.ctx.deps.now();
  }

  get cliConnected(): boolean {
    return this.cli !== null;
  }

  authedPeers(): Peer[] {
    return [...this.peers.values()].filter((p) => p.authed);
  }

  /** Send to every authenticated browser (encoded once). */
  broadcast(msg: ServerMessage, except?: Peer): void {
    const bytes = encodeCbor(msg);
    for (const p of this.peers.values()) if (p.authed && p !== except) p.sendRaw(bytes);
  }

  sendCli(msg: CliDown): void {
    this.cli?.send(msg);
  }

  newShell(id: number, rows: number, cols: number): Shell {
    const shell = newShell(id, rows, cols, this.limits.shellRingBytes);
    this.shells.set(id, shell);
    return shell;
  }

  // ------------------------------------------------------------------ state messages

  sessionInfoMsg(): ServerMsg<"sessionInfo"> {
    return {
      t: "sessionInfo", name: this.name, readersEnabled: this.readersEnabled, viewerAuth: this.viewerAuth,
      ownerName: this.ownerName, createdAt: this.createdAt, cwdLabel: this.cwdLabel,
    };
  }

  usersMsg(): ServerMsg<"users"> {
    return { t: "users", users: this.authedPeers().map((p) => [p.userId, p.view()]) };
  }

  shellsMsg(): ServerMsg<"shells"> {
    const shells = [...this.shells.values()].map((s) => ({
      id: s.id, rows: s.rows, cols: s.cols, name: s.name, creatorUserId: s.creatorUserId,
    }));
    return { t: "shells", shells };
  }

  ownershipMsg(): ServerMsg<"ownership"> {
    // §3.6: an owner who left still owns the shell (token-bound): userId null, last name kept (greyed).
    // Unowned: both null.
    const owners = [...this.shells.values()].map((s) => {
      if (!s.ownerTokenHash) return { shellId: s.id, userId: null, name: null };
      const online = s.ownerUserId !== null && this.peers.get(s.ownerUserId)?.authed === true;
      return { shellId: s.id, userId: online ? s.ownerUserId : null, name: s.ownerName };
    });
    return { t: "ownership", owners };
  }

  cliStatusMsg(): ServerMsg<"cliStatus"> {
    return { t: "cliStatus", connected: this.cliConnected, expiresAt: this.cliConnected ? null : this.graceExpiresAt };
  }

  /** Published ports with absolute URLs (the isolated tunnel origin when one is configured). */
  tunnelsMsg(): ServerMsg<"tunnels"> {
    const { tunnelUrl, publicUrl } = this.ctx.deps;
    const url = tunnelUrl ?? ((id: string, port: number) => `${publicUrl}/t/${id}/p/${port}/`);
    return { t: "tunnels", tunnels: this.tunnels.ports.map((port) => ({ port, url: url(this.id, port) })) };
  }

  /** §2.2.2 step 5, in this exact order; then titles (not part of the ordered list). */
  sendInitialState(peer: Peer): void {
    peer.send(this.sessionInfoMsg());
    peer.send(this.usersMsg());
    peer.send(this.shellsMsg());
    peer.send(this.ownershipMsg());
    peer.send({ t: "chatHistory", messages: this.chat.history() });
    peer.send({ t: "sessionPlugins", plugins: this.plugins });
    for (const [pluginId, store] of this.kv.plugins) {
      if (store.entries.size > 0) peer.send({ t: "pluginKv", pluginId, entries: Object.fromEntries(store.entries), rev: store.rev });
    }
    peer.send(this.tunnelsMsg());
    peer.send(this.docs.documentsMsg());
    peer.send(this.cliStatusMsg());
    for (const s of this.shells.values()) if (s.title) peer.send({ t: "title", shellId: s.id, ...s.title });
  }

  // ------------------------------------------------------------------ membership

  join(peer: Peer): void {
    peer.authed = true;
    this.dirty = true;
    this.broadcast({ t: "userDiff", userId: peer.userId, user: peer.view() }, peer);
    this.sendCli({ t: "sessionEvent", kind: "user_joined", userId: peer.userId, userName: peer.name, shellId: 0, device: peer.device, detail: peer.role });
    if (peer.role === "admin") this.giveAwaitingShells(peer);
  }

  /** CLI-created shells go to the first admin who connects (§3.6). */
  giveAwaitingShells(admin: Peer): void {
    let changed = false;
    for (const shell of this.shells.values()) {
      if (!shell.awaitingAdmin) continue;
      admin.send({ t: "ownershipToken", shellId: shell.id, token: issueOwnership(shell, admin) });
      changed = true;
    }
    if (changed) this.broadcast(this.ownershipMsg());
  }

  firstAdmin(): Peer | undefined {
    return this.authedPeers().find((p) => p.role === "admin");
  }

  leave(peer: Peer): void {
    if (!this.peers.delete(peer.userId)) return;
    if (peer.cursorTimer) clearTimeout(peer.cursorTimer);
    for (const shellId of [...peer.subs.keys()]) this.fanout.unsubscribe(peer, shellId);
    this.docs.peerLeft(peer);
    if (!peer.authed) return;
    this.dirty = true;
    for (const shell of this.shells.values()) if (shell.lock?.userId === peer.userId) shell.lock = null;
    this.adoptions.userLeft(peer);
    this.remote.clientLeft(peer.userId);
    this.aliases.peerLeft(peer.userId);
    this.broadcast({ t: "userDiff", userId: peer.userId, user: null });
    if ([...this.shells.values()].some((s) => s.ownerTokenHash && s.ownerUserId === peer.userId)) this.broadcast(this.ownershipMsg());
    this.sendCli({ t: "sessionEvent", kind: "user_left", userId: peer.userId, userName: peer.name, shellId: 0, device: peer.device, detail: "" });
  }

  // ------------------------------------------------------------------ chat

  /** Post a chat message: ring, browsers (`chat` with id), and the CLI (with the sender's role). */
  postChat(e: Omit<ChatEntry, "id">): ChatEntry {
    const entry = this.chat.post(e);
    this.dirty = true;
    this.broadcast({ t: "chat", userId: entry.userId, name: entry.name, message: entry.message, ts: entry.ts, id: entry.id });
    this.sendCli({ t: "chat", id: entry.id, userId: entry.userId, name: entry.name, role: entry.role, message: entry.message, ts: entry.ts });
    return entry;
  }

  editChat(entry: ChatEntry, message: string): void {
    entry.message = message;
    entry.editedAt = this.now();
    this.dirty = true;
    this.broadcast({ t: "chatEdit", id: entry.id, message, editedAt: entry.editedAt });
  }

  // ------------------------------------------------------------------ CLI link and grace window

  attachCli(link: CliLink): void {
    const previous = this.cli;
    this.cli = link;
    if (previous && previous !== link) previous.close(4409, "replaced");
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.graceExpiresAt = null;
    this.dirty = true;
    this.sendCli(this.syncMsg());
    this.aliases.cliAttached();
    this.fanout.replayPauses();
    this.broadcast(this.cliStatusMsg());
  }

  syncMsg(): CliDown {
    const nextSeq: Record<string, number> = {};
    for (const s of this.shells.values()) nextSeq[String(s.id)] = s.output.nextSeq;
    return { t: "sync", nextSeq };
  }

  /** The link dropped (or the session was restored without one): start the grace window. */
  detachCli(link: CliLink | null): void {
    if (link !== null && this.cli !== link) return;
    this.cli = null;
    this.fs.failAll("CLI not connected");
    this.tunnels.failAll("CLI not connected");
    this.aliases.cliDetached();
    if (this.ended) return;
    this.graceExpiresAt = this.now() + this.limits.cliGraceMs;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.end("CLI disconnected"), this.limits.cliGraceMs);
    this.graceTimer.unref?.();
    this.broadcast(this.cliStatusMsg());
  }

  /** End the session for everyone; the snapshot is deleted. `cliReason` tells a connected CLI why. */
  end(reason: string, cliReason?: string): void {
    if (this.ended) return;
    this.stopWork();
    if (cliReason) this.sendCli({ t: "closed", reason: cliReason });
    this.broadcast({ t: "sessionClosed", reason });
    this.closeSockets(1000, "session ended", 4410, "Session closed");
    const { deps, sessions } = this.ctx;
    if (sessions.get(this.id) === this) sessions.delete(this.id);
    deps.logger.info({ sessionId: this.id, reason }, "session ended");
    void this.ctx.snapshots.delete(this.id);
    this.ctx.onEnded?.(this.id);
  }

  /** Shutdown without ending: close sockets, keep the snapshot so a restart restores the session. */
  suspend(): void {
    this.stopWork();
    this.closeSockets(1012, "server restarting", 1012, "server restarting");
  }

  /** Shared by `end` and `suspend`: no timers, pending file requests or remote commands outlive the session. */
  private stopWork(): void {
    this.ended = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.fanout.stop();
    this.adoptions.stop();
    this.fs.failAll("Session closed");
    this.tunnels.failAll("Session closed");
    this.remote.stop();
    this.aliases.stop();
    this.docs.stop();
  }

  private closeSockets(cliCode: number, cliReason: string, peerCode: number, peerReason: string): void {
    this.cli?.close(cliCode, cliReason);
    this.cli = null;
    for (const p of [...this.peers.values()]) {
      if (p.cursorTimer) clearTimeout(p.cursorTimer);
      p.close(peerCode, peerReason);
    }
    this.peers.clear();
  }
}
