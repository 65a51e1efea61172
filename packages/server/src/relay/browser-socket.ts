/**
 * Browser socket lifecycle at `/api/s/{session_id}` (§2.2.2): checks on open, `hello`, `authenticate`
 * (proof verification and role), initial state, then role-gated steady-state messages.
 */
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { ADMIN_MESSAGES, CLOSE, decodeCbor, parseClientMessage, READER_MESSAGES, type ClientMsg } from "@taiku/protocol";
import { randomBytes, verifyProof, wsChallenge } from "@taiku/crypto";
import type { Account } from "../seams.js";
import { handleBrowserMessage, nextActivity } from "./browser-messages.js";
import type { RelayContext } from "./context.js";
import { Peer, type Corkable } from "./peer.js";
import { cookieOf } from "../credentials.js";
import { closeSocket, remoteIp, SerialQueue, toBytes } from "./socket-util.js";

const MAX_MALFORMED = 20;
export const SESSION_COOKIE = "taiku_session";

/** `socket`: the upgraded connection under `ws`, corked while a `chunks` message is written (peer.ts). */
export function acceptBrowser(ctx: RelayContext, ws: WebSocket, req: IncomingMessage, sessionId: string, socket?: Corkable): void {
  const { deps } = ctx;
  const found = ctx.sessions.get(sessionId);
  if (!found || found.ended) {
    // §2.2.2: 4410 for a session that existed and ended, 4404 for an id the relay does not know.
    if (ctx.isEnded?.(sessionId)) return closeSocket(ws, CLOSE.sessionClosed, "Session closed");
    return closeSocket(ws, CLOSE.notFound, "Session not found");
  }
  const session = found;
  const ip = deps.clientIp?.(req) ?? remoteIp(req);
  if (ctx.authLimiter.isBlocked(ip)) return closeSocket(ws, CLOSE.rateLimited, "too many failed attempts");

  let peer: Peer | null = null;
  let account: Account | null = null;
  let challenge: Uint8Array = new Uint8Array(0);
  let closed = false;
  let authTimer: NodeJS.Timeout | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  const queue = new SerialQueue((err) => {
    deps.logger.error({ sessionId, err: String(err) }, "browser handler failed");
    closeSocket(ws, 1011, "internal error");
  });

  queue.push(async () => {
    // A socket has no CORS: a page of another origin on the same site (a tunnel host) would get the
    // SameSite=Lax cookie, and with it the owner's admin role. Only the app's own pages sign in by cookie.
    const origin = req.headers.origin;
    const appOrigin = origin === undefined || deps.allowedOrigins === undefined || deps.allowedOrigins.has(origin);
    const cookie = appOrigin ? cookieOf(req.headers, SESSION_COOKIE) : null;
    account = cookie ? await deps.accounts.fromSessionCookie(cookie).catch(() => null) : null;
    if (closed) return;
    if (session.ended) return closeSocket(ws, CLOSE.sessionClosed, "Session closed");
    if (session.viewerAuth && !account) return closeSocket(ws, CLOSE.loginRequired, "login required");
    const { limits } = deps;
    peer = new Peer(session.nextUserId++, ws, ip, limits.chatRateCount, limits.chatRateWindowMs, socket);
    session.peers.set(peer.userId, peer);
    challenge = randomBytes(32);
    peer.send({
      t: "hello", userId: peer.userId, sessionId, challenge, serverVersion: deps.serverVersion,
      e2e: "taiku-e2e-v1", features: deps.features ?? [],
    });
    authTimer = setTimeout(() => peer?.authed || closeSocket(ws, CLOSE.timeout, "authentication timeout"), limits.authTimeoutMs);
    idleTimer = setTimeout(() => closeSocket(ws, CLOSE.timeout, "idle timeout"), limits.idleTimeoutMs);
  });

  ws.on("message", (data, isBinary) => {
    if (!isBinary) return closeSocket(ws, CLOSE.textFrame, "binary frames only");
    const bytes = toBytes(data);
    queue.push(() => onFrame(bytes));
  });
  ws.on("close", () => {
    closed = true;
    if (authTimer) clearTimeout(authTimer);
    if (idleTimer) clearTimeout(idleTimer);
    if (peer) session.leave(peer);
  });
  ws.on("error", () => closeSocket(ws, 1011, "socket error"));

  async function onFrame(bytes: Uint8Array): Promise<void> {
    const p = peer;
    if (!p || closed || session.ended) return;
    idleTimer?.refresh();
    let raw: unknown;
    try {
      raw = decodeCbor(bytes);
    } catch {
      return malformed(p, "message is not CBOR");
    }
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) {
      if (parsed.unknownType) return; // §2.2.1: unknown `t` is ignored
      return malformed(p, parsed.error);
    }
    const msg = parsed.message;
    if (msg.t === "authenticate") {
      if (p.authed) return p.send({ t: "error", code: "bad_request", message: "already authenticated" });
      return authenticate(p, msg);
    }
    if (!p.authed) return p.send({ t: "error", code: "unauthenticated", message: "authenticate first" });
    if (ADMIN_MESSAGES.has(msg.t) && p.role !== "admin") {
      return p.send({ t: "error", code: "forbidden", message: "admin auth required" });
    }
    if (!READER_MESSAGES.has(msg.t) && !p.canWrite) {
      return p.send({ t: "error", code: "forbidden", message: "write auth required" });
    }
    handleBrowserMessage(session, p, msg);
  }

  function malformed(p: Peer, message: string): void {
    p.send({ t: "error", code: "bad_request", message });
    if (++p.malformed >= MAX_MALFORMED) closeSocket(ws, CLOSE.malformed, "too many malformed messages");
  }

  async function authenticate(p: Peer, msg: ClientMsg<"authenticate">): Promise<void> {
    const ch = wsChallenge(challenge, p.userId);
    const v = session.verifiers;
    const viewOk = await verifyProof(v.view, "ws", session.id, ch, msg.viewProof);
    if (closed || session.ended) return;
    if (!viewOk) {
      ctx.authLimiter.fail(ip);
      p.send({ t: "invalidAuth", reason: "invalid key" });
      return closeSocket(ws, CLOSE.authFailed, "invalid key");
    }
    const adminOk = msg.adminProof ? await verifyProof(v.admin, "ws", session.id, ch, msg.adminProof) : false;
    const writeOk = msg.writeProof ? await verifyProof(v.write, "ws", session.id, ch, msg.writeProof) : false;
    if (closed || session.ended) return;
    // §2.6.2: the owning account is admin even without adminProof.
    const isOwnerAccount = account !== null && session.ownerAccountId !== null && account.id === session.ownerAccountId;
    p.role = adminOk || isOwnerAccount ? "admin" : writeOk || !session.readersEnabled ? "writer" : "reader";
    p.name = msg.name ?? account?.name ?? p.name;
    p.device = msg.device;
    p.accountId = account?.id ?? null;
    p.authed = true;
    p.activeAt = nextActivity();
    if (authTimer) clearTimeout(authTimer);
    p.send({
      t: "authOk", userId: p.userId, role: p.role, canWrite: p.canWrite, name: p.name,
      ...(p.accountId ? { accountId: p.accountId } : {}),
    });
    session.sendInitialState(p);
    session.join(p);
  }
}
