/** Steady-state browser messages (§2.2.3 + taiku additions), after the role gate in browser-socket.ts. */
import { encodeCbor, type ClientMessage, type ClientMsg } from "@taiku/protocol";
import { applyKvBatch, RESERVED } from "./kv.js";
import type { Peer } from "./peer.js";
import type { Session } from "./session.js";
import { isOwner, tokenMatches, type Shell } from "./shell.js";

const CURSOR_GAP_MS = 50; // ≤ 20 cursor broadcasts per second per user
const FOCUS_LOCKED_GAP_MS = 1000;
const MAX_PENDING_CREATES = 1024;
const MAX_SESSION_PLUGINS = 256;

const err = (peer: Peer, code: string, message: string) => peer.send({ t: "error", code, message });

/** Messages that do not count as activity for remote-command targeting (§13.3). */
const PASSIVE = new Set<ClientMessage["t"]>(["ping", "ack", "remoteResult"]);
let activity = 0;
/** Activity ordinal: strictly increasing, so two messages in the same millisecond still order. */
export const nextActivity = (): number => ++activity;

export function handleBrowserMessage(session: Session, peer: Peer, msg: ClientMessage): void {
  if (!PASSIVE.has(msg.t)) peer.activeAt = nextActivity();
  switch (msg.t) {
    case "setName": return setName(session, peer, msg.name);
    case "setCursor": return setCursor(session, peer, msg.cursor);
    case "setFocus": return setFocus(session, peer, msg.shellId);
    case "layoutMeta":
      peer.layout = msg.meta;
      return presence(session, peer);
    case "create": {
      if (!needCli(session, peer)) return;
      const requestId = session.nextServerRequestId++;
      session.pendingCreates.set(requestId, { userId: peer.userId, requestId: msg.requestId });
      if (session.pendingCreates.size > MAX_PENDING_CREATES) session.pendingCreates.delete(session.pendingCreates.keys().next().value!);
      session.sendCli({ t: "createShell", requestId, rows: msg.rows, cols: msg.cols, userId: peer.userId });
      return;
    }
    case "close": {
      const shell = shellOf(session, peer, msg.shellId);
      if (!shell) return;
      if (!isOwner(shell, peer) && peer.role !== "admin") return err(peer, "forbidden", "shell owner or admin required");
      if (needCli(session, peer)) session.sendCli({ t: "closeShell", shellId: shell.id });
      return;
    }
    case "resize": return resize(session, peer, msg);
    case "data": return input(session, peer, msg);
    case "subscribe": {
      const shell = shellOf(session, peer, msg.shellId);
      if (!shell) return;
      session.fanout.subscribe(peer, shell, msg.fromSeq);
      if (!peer.agentSent.has(shell.id) && shell.agent.length > 0) {
        peer.send({ t: "agent", shellId: shell.id, frames: shell.agent.all() });
      }
      peer.agentSent.add(shell.id);
      return;
    }
    case "unsubscribe": return session.fanout.unsubscribe(peer, msg.shellId);
    case "ack": return session.fanout.ack(peer, msg.shellId, msg.seq);
    case "chat": {
      if (msg.message.length > session.limits.chatMaxChars) return err(peer, "bad_request", "chat message too long");
      if (!peer.chatRate.take(session.now())) return err(peer, "rate_limited", "Rate limit exceeded");
      session.postChat({ userId: peer.userId, name: peer.name, role: peer.role, message: msg.message, ts: session.now() });
      return;
    }
    case "chatEdit": {
      const entry = session.chat.find(msg.id);
      if (!entry || entry.role === "host" || entry.userId !== peer.userId) return err(peer, "forbidden", "only the author may edit a message");
      if (msg.message.length > session.limits.chatMaxChars) return err(peer, "bad_request", "chat message too long");
      return session.editChat(entry, msg.message);
    }
    case "ping": return peer.send({ t: "pong", ts: msg.ts });
    case "claimShells": return claimShells(session, peer, msg.claims);
    case "adoptRequest": {
      const shell = shellOf(session, peer, msg.shellId);
      if (shell) session.adoptions.request(peer, msg.requestId, shell);
      return;
    }
    case "adoptRespond":
      if (!session.adoptions.respond(peer, msg.requestId, msg.approve)) err(peer, "not_found", "no such adoption request");
      return;
    case "renameSession":
      session.name = msg.name;
      session.dirty = true;
      return session.broadcast(session.sessionInfoMsg());
    case "setTerminalName": {
      const shell = shellOf(session, peer, msg.shellId);
      if (!shell) return;
      if (!isOwner(shell, peer) && peer.role !== "admin") return err(peer, "forbidden", "shell owner or admin required");
      shell.name = msg.name;
      session.dirty = true;
      return session.broadcast(session.shellsMsg());
    }
    case "pluginKvSet":
    case "pluginKvDelete":
    case "setSessionPlugin":
      if (RESERVED.has(msg.pluginId) || ("key" in msg && RESERVED.has(msg.key))) return err(peer, "bad_request", "reserved name");
      return pluginState(session, peer, msg);
    case "pluginKvBatch": return applyKvBatch(session, peer, msg);
    case "pluginEvent": {
      if (encodeCbor(msg.data ?? null).byteLength > session.limits.pluginEventBytes) return err(peer, "bad_request", "plugin event too large");
      return session.broadcast({ t: "pluginEvent", pluginId: msg.pluginId, name: msg.name, data: msg.data ?? null, userId: peer.userId, userName: peer.name, ts: session.now() });
    }
    case "kick": {
      const target = session.peers.get(msg.userId);
      if (!target?.authed) return err(peer, "not_found", "no such user");
      return target.close(4403, "removed by admin");
    }
    case "rotateLinks":
      if (needCli(session, peer)) session.sendCli({ t: "rotateLinks", userId: peer.userId });
      return;
    case "endSession":
      return session.end("ended by admin", "ended by admin");
    // §3.11 documents (docs.ts); docUpdate and docAwareness are not READER_MESSAGES: the role gate refused readers.
    case "docUpdate": return session.docs.update(peer, msg);
    case "docSubscribe": return session.docs.subscribe(peer, msg);
    case "docUnsubscribe": return session.docs.unsubscribe(peer, msg.docId);
    case "docAwareness": return session.docs.awareness(peer, msg);
    case "registerAliases": return registerAliases(session, peer, msg);
    case "aliasResult": {
      const e = session.aliases.onResult(peer.userId, msg.invocationId, msg.frame);
      return e ? err(peer, "not_found", e) : undefined;
    }
    case "remoteResult":
      return session.remote.onResult(peer, msg);
    case "authenticate":
      return; // handled earlier
  }
}

/** §2.2.3: owners of at least one shell and admins may register; an empty list always goes (it only removes). */
function registerAliases(session: Session, peer: Peer, msg: ClientMsg<"registerAliases">): void {
  if (RESERVED.has(msg.pluginId)) return err(peer, "bad_request", "reserved name");
  const owns = [...session.shells.values()].some((s) => isOwner(s, peer));
  if (msg.aliases.length > 0 && peer.role !== "admin" && !owns) return err(peer, "forbidden", "shell owner or admin required");
  const e = session.aliases.register(peer.userId, msg.pluginId, msg.aliases);
  if (e) err(peer, "bad_request", e);
}

function pluginState(session: Session, peer: Peer, msg: ClientMsg<"pluginKvSet" | "pluginKvDelete" | "setSessionPlugin">): void {
  switch (msg.t) {
    case "pluginKvSet": {
      const r = session.kv.set(msg.pluginId, msg.key, msg.value);
      if (!r.ok) return err(peer, r.code, r.message);
      session.dirty = true;
      return session.broadcast({ t: "pluginKvDiff", pluginId: msg.pluginId, key: msg.key, value: msg.value, deleted: false, rev: r.rev, userId: peer.userId });
    }
    case "pluginKvDelete": {
      const r = session.kv.delete(msg.pluginId, msg.key);
      if (!r) return;
      session.dirty = true;
      return session.broadcast({ t: "pluginKvDiff", pluginId: msg.pluginId, key: msg.key, value: null, deleted: true, rev: r.rev, userId: peer.userId });
    }
    case "setSessionPlugin":
      if (!Object.hasOwn(session.plugins, msg.pluginId) && Object.keys(session.plugins).length >= MAX_SESSION_PLUGINS) {
        return err(peer, "quota", "too many session plugins");
      }
      session.plugins[msg.pluginId] = { manifest_url: msg.manifestUrl, enabled: msg.enabled };
      session.dirty = true;
      return session.broadcast({ t: "sessionPlugins", plugins: session.plugins });
  }
}

function shellOf(session: Session, peer: Peer, shellId: number): Shell | undefined {
  const shell = session.shells.get(shellId);
  if (!shell) err(peer, "not_found", "Shell not found");
  return shell;
}

function needCli(session: Session, peer: Peer): boolean {
  if (session.cliConnected) return true;
  err(peer, "cli_disconnected", "CLI not connected");
  return false;
}

function presence(session: Session, peer: Peer): void {
  session.broadcast({ t: "userDiff", userId: peer.userId, user: peer.view() });
}

function setName(session: Session, peer: Peer, name: string): void {
  const before = peer.name;
  peer.name = name;
  for (const shell of session.shells.values()) if (isOwner(shell, peer)) shell.ownerName = name;
  presence(session, peer);
  // `detail`: the previous name, so the host can print "[session] old is now new".
  session.sendCli({ t: "sessionEvent", kind: "user_renamed", userId: peer.userId, userName: name, shellId: 0, device: peer.device, detail: before });
}

function setCursor(session: Session, peer: Peer, cursor: ClientMsg<"setCursor">["cursor"]): void {
  peer.cursor = cursor;
  if (peer.cursorTimer) return; // a trailing broadcast is already scheduled and will carry this cursor
  const wait = peer.cursorAt + CURSOR_GAP_MS - session.now();
  const send = () => {
    peer.cursorTimer = null;
    peer.cursorAt = session.now();
    if (peer.authed && !session.ended) presence(session, peer);
  };
  if (wait <= 0) return send();
  peer.cursorTimer = setTimeout(send, wait);
}

function setFocus(session: Session, peer: Peer, shellId: number | null): void {
  // §3.5: focusing elsewhere releases the focus lock.
  for (const shell of session.shells.values()) if (shell.id !== shellId && shell.lock?.userId === peer.userId) shell.lock = null;
  peer.focus = shellId;
  presence(session, peer);
}

function resize(session: Session, peer: Peer, msg: ClientMsg<"resize">): void {
  const shell = shellOf(session, peer, msg.shellId);
  if (!shell) return;
  const now = session.now();
  const holdsLock = shell.lock?.userId === peer.userId && shell.lock.expiresAt > now;
  const allowed = peer.role === "admin" || isOwner(shell, peer) || holdsLock || shell.ownerTokenHash === null;
  if (!allowed) return err(peer, "forbidden", "not allowed to resize this shell");
  if (!needCli(session, peer)) return;
  shell.rows = msg.rows;
  shell.cols = msg.cols;
  session.dirty = true;
  session.sendCli({ t: "resize", shellId: shell.id, rows: msg.rows, cols: msg.cols });
  session.broadcast(session.shellsMsg());
}

/** §3.5 focus lock: the owner overrides; otherwise a free, expired or own lock lets input through. */
function input(session: Session, peer: Peer, msg: ClientMsg<"data">): void {
  if (!needCli(session, peer)) return;
  const shell = shellOf(session, peer, msg.shellId);
  if (!shell) return;
  const now = session.now();
  const lock = shell.lock;
  const free = !lock || lock.expiresAt <= now || lock.userId === peer.userId;
  if (!isOwner(shell, peer) && !free) {
    if (now - peer.focusLockedAt >= FOCUS_LOCKED_GAP_MS) {
      peer.focusLockedAt = now;
      const holder = session.peers.get(lock.userId);
      peer.send({ t: "focusLocked", shellId: shell.id, holderUserId: lock.userId, holderName: holder?.name ?? "" });
    }
    return;
  }
  shell.lock = { userId: peer.userId, expiresAt: now + session.limits.focusLockMs };
  session.sendCli({ t: "input", shellId: shell.id, userId: peer.userId, counter: msg.counter, frame: msg.frame });
}

function claimShells(session: Session, peer: Peer, claims: ClientMsg<"claimShells">["claims"]): void {
  let changed = false;
  for (const { shellId, token } of claims) {
    const shell = session.shells.get(shellId);
    if (!shell || !tokenMatches(shell, token)) continue;
    shell.ownerUserId = peer.userId;
    shell.ownerName = peer.name;
    changed = true;
  }
  if (changed) {
    session.dirty = true;
    session.broadcast(session.ownershipMsg());
  }
}
