/**
 * The CLI link at `/api/cli` (ARCHITECTURE "Decisions"): `open` or `resume` → `opened`, then `hello`
 * with the verifiers, then Channel messages. Heartbeat `ping` and `sync` run while attached.
 */
import type { IncomingMessage } from "node:http";
import { WebSocket } from "ws";
import { decodeCbor, encodeCbor, parseCliUp, type CliDown, type CliUpMsg } from "@taiku/protocol";
import { generateSessionId, randomBase62, timingSafeEqual, utf8 } from "@taiku/crypto";
import type { Account } from "../seams.js";
import { handleCliMessage } from "./cli-messages.js";
import type { RelayContext } from "./context.js";
import { Session, type CliLink } from "./session.js";
import { compact } from "./ring.js";
import { sha256 } from "./shell.js";
import { apiKeyOf } from "../credentials.js";
import { closeSocket, SerialQueue, toBytes } from "./socket-util.js";

const MAX_MALFORMED = 20;

type Phase =
  | { kind: "start" }
  | { kind: "hello"; sessionId: string; token: string; tokenHash: Uint8Array; open?: CliUpMsg<"open"> }
  | { kind: "attached"; session: Session }
  | { kind: "done" };

export function acceptCliLink(ctx: RelayContext, ws: WebSocket, req: IncomingMessage): void {
  const { deps } = ctx;
  const log = deps.logger;
  const link: CliLink = {
    send: (m: CliDown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeCbor(m));
    },
    close: (code, reason) => {
      phase = { kind: "done" };
      closeSocket(ws, code, reason);
    },
    setReading: (on) => {
      if (on === !ws.isPaused) return;
      if (on) ws.resume();
      else ws.pause();
      idleTimer?.refresh(); // silence while we are not reading is not the CLI's
    },
  };
  const fail = (message: string, code: number) => {
    link.send({ t: "error", message });
    link.close(code, message.slice(0, 100));
  };

  let phase: Phase = { kind: "start" };
  let account: Account | null = null;
  let malformed = 0;
  const timers: NodeJS.Timeout[] = [];
  /** A CLI answers `ping` every cliPingMs; silence this long means the link is dead even without a FIN. */
  let idleTimer: NodeJS.Timeout | null = null;
  const queue = new SerialQueue((err) => {
    log.error({ err: String(err) }, "CLI link handler failed");
    fail("internal error", 1011);
  });

  const key = apiKeyOf(req.headers);
  queue.push(async () => {
    if (!key) return;
    account = await deps.accounts.fromApiKey(key).catch(() => null);
    if (!account) fail("Unauthorized", 4401);
  });
  const openTimer = setTimeout(() => {
    if (phase.kind === "start" || phase.kind === "hello") fail("timed out waiting for open/hello", 4408);
  }, deps.limits.authTimeoutMs);
  openTimer.unref?.();

  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      closeSocket(ws, 1003, "binary frames only");
      return;
    }
    const bytes = toBytes(data);
    idleTimer?.refresh();
    queue.push(() => onFrame(bytes));
  });
  ws.on("close", () => {
    clearTimeout(openTimer);
    if (idleTimer) clearTimeout(idleTimer);
    for (const t of timers) clearInterval(t);
    if (phase.kind === "attached") {
      const { session } = phase;
      phase = { kind: "done" };
      session.detachCli(link);
    } else if (phase.kind !== "done") {
      phase = { kind: "done" };
    }
  });
  ws.on("error", () => closeSocket(ws, 1011, "socket error"));

  function onFrame(bytes: Uint8Array): void {
    if (phase.kind === "done") return;
    let raw: unknown;
    try {
      raw = decodeCbor(bytes);
    } catch {
      return malformedMessage("message is not CBOR");
    }
    const parsed = parseCliUp(raw);
    if (!parsed.ok) {
      if (parsed.unknownType) return; // forward compatibility
      return malformedMessage(parsed.error);
    }
    const msg = parsed.message;
    if (phase.kind === "attached") {
      if (phase.session.cli !== link || phase.session.ended) return;
      return handleCliMessage(phase.session, msg);
    }
    if (phase.kind === "start") {
      if (msg.t === "open") return onOpen(msg);
      if (msg.t === "resume") return onResume(msg);
      return fail("expected open or resume", 4400);
    }
    if (msg.t !== "hello") return fail("expected hello", 4400);
    onHello(msg, phase);
  }

  function malformedMessage(error: string): void {
    if (phase.kind !== "attached") return fail(error, 4400);
    link.send({ t: "error", message: error });
    if (++malformed >= MAX_MALFORMED) link.close(4400, "too many malformed messages");
  }

  function onOpen(msg: CliUpMsg<"open">): void {
    let sessionId = generateSessionId();
    while (ctx.sessions.has(sessionId)) sessionId = generateSessionId();
    const token = randomBase62(32);
    phase = { kind: "hello", sessionId, token, tokenHash: sha256(utf8(token)), open: msg };
    link.send({ t: "opened", sessionId, token, baseUrl: deps.publicUrl, resumed: false });
  }

  function onResume(msg: CliUpMsg<"resume">): void {
    const session = ctx.sessions.get(msg.sessionId);
    const tokenHash = sha256(utf8(msg.token));
    if (!session || session.ended || !timingSafeEqual(tokenHash, session.tokenHash)) return fail("Session not found", 4404);
    phase = { kind: "hello", sessionId: session.id, token: msg.token, tokenHash };
    link.send({ t: "opened", sessionId: session.id, token: msg.token, baseUrl: deps.publicUrl, resumed: true });
  }

  function onHello(msg: CliUpMsg<"hello">, p: Extract<Phase, { kind: "hello" }>): void {
    if (msg.sessionId !== p.sessionId || !timingSafeEqual(sha256(utf8(msg.token)), p.tokenHash)) {
      return fail("hello does not match the opened session", 4400);
    }
    const verifiers = { view: compact(msg.viewVerifier), write: compact(msg.writeVerifier), admin: compact(msg.adminVerifier) };
    let session: Session;
    if (p.open) {
      session = new Session(ctx, {
        id: p.sessionId, createdAt: deps.now(), name: null, cwdLabel: p.open.cwdLabel || null,
        ownerAccountId: account?.id ?? null, ownerName: account?.name ?? null, tokenHash: p.tokenHash, verifiers,
        readersEnabled: p.open.readersEnabled, viewerAuth: deps.viewerAuth && !p.open.noViewerAuth,
        plugins: structuredClone(deps.defaultSessionPlugins ?? {}),
        tunnelPorts: p.open.tunnelPorts,
      });
      ctx.sessions.set(session.id, session);
      log.info({ sessionId: session.id, owned: account !== null }, "session opened");
    } else {
      const existing = ctx.sessions.get(p.sessionId);
      if (!existing || existing.ended) return fail("Session not found", 4404);
      const v = existing.verifiers;
      const same = timingSafeEqual(v.view, verifiers.view) && timingSafeEqual(v.write, verifiers.write) && timingSafeEqual(v.admin, verifiers.admin);
      if (!same) return fail("verifiers do not match the session", 4403);
      session = existing;
      log.info({ sessionId: session.id }, "CLI resumed");
    }
    clearTimeout(openTimer);
    phase = { kind: "attached", session };
    session.attachCli(link);
    const ping = setInterval(() => link.send({ t: "ping", ts: deps.now() }), deps.limits.cliPingMs);
    const sync = setInterval(() => link.send(session.syncMsg()), deps.limits.cliSyncMs);
    timers.push(ping, sync);
    idleTimer = setTimeout(() => {
      if (ws.isPaused) idleTimer?.refresh(); // flow control stopped reading: nothing to hear
      else closeSocket(ws, 4408, "CLI link silent");
    }, deps.limits.idleTimeoutMs);
  }
}
