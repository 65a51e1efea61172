/**
 * The relay (README.md): sessions, the CLI link at `/api/cli` and the browser socket at
 * `/api/s/{session_id}`. Created by the app with the services of seams.ts; it stores and forwards
 * ciphertext only.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { CLI_LINK_PATH, WS_SUBPROTOCOL } from "@taiku/protocol";
import type { Relay, RelayDeps } from "../seams.js";
import { AuthLimiter } from "./auth-limiter.js";
import { acceptBrowser } from "./browser-socket.js";
import { acceptCliLink } from "./cli-link.js";
import { limitOr, type RelayContext } from "./context.js";
import { SnapshotWriter } from "./persist.js";
import { decodeSnapshot, encodeSnapshot } from "./snapshot.js";
import type { Session } from "./session.js";
import { EndedSessions, sessionAccess } from "./access.js";

const BROWSER_PATH = /^\/api\/s\/([^/]+)\/?$/;

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? "/", "http://relay").pathname;
  } catch {
    return "";
  }
}

/** A malformed %-escape simply names no session (→ 4404), never an exception. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return "";
  }
}

export function createRelay(deps: RelayDeps): Relay {
  const ctx: RelayContext = {
    deps,
    sessions: new Map(),
    authLimiter: new AuthLimiter(deps.limits.authFailuresPerMinute, deps.now),
    snapshots: new SnapshotWriter(deps),
    stallMs: limitOr(deps, "viewerStallMs", 5_000),
    flowTickMs: limitOr(deps, "flowTickMs", 50),
    ringHardCapBytes: limitOr(deps, "shellRingHardBytes", 8 * deps.limits.shellRingBytes),
  };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.limits.maxFrameBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  let closing = false;
  const ended = new EndedSessions();
  ctx.onEnded = (id) => ended.add(id);
  ctx.isEnded = (id) => ended.has(id);

  const saveOne = async (s: Session): Promise<void> => {
    s.dirty = false;
    if (!(await ctx.snapshots.save(s.id, s.ownerAccountId, encodeSnapshot(s)))) s.dirty = true;
  };
  const snapshotTimer = setInterval(() => {
    // A session whose previous write is still running stays dirty and is saved next time.
    for (const s of ctx.sessions.values()) if (s.dirty && !ctx.snapshots.busy(s.id)) void saveOne(s);
  }, deps.snapshotIntervalMs);
  snapshotTimer.unref?.();

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const path = pathOf(req.url);
      const m = BROWSER_PATH.exec(path);
      if (path !== CLI_LINK_PATH && !m) return false;
      if (closing) {
        socket.destroy();
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (m) acceptBrowser(ctx, ws, req, safeDecode(m[1]!), socket);
        else acceptCliLink(ctx, ws, req);
      });
      return true;
    },

    async restore(): Promise<void> {
      for (const { sessionId, snapshot } of await deps.snapshots.loadAll()) {
        if (ctx.sessions.has(sessionId)) continue;
        try {
          const s = decodeSnapshot(ctx, snapshot);
          ctx.sessions.set(s.id, s);
          s.detachCli(null); // grace window starts now
          // Written back before anyone joins: the ids it now hands out start past a gap (snapshot.ts), and a
          // crash before its next periodic snapshot must not restore the old counters and hand them out again.
          await saveOne(s);
          deps.logger.info({ sessionId }, "session restored");
        } catch (err) {
          deps.logger.warn({ sessionId, err: String(err) }, "unreadable snapshot skipped");
        }
      }
    },

    listSessions(accountId: string) {
      return [...ctx.sessions.values()]
        .filter((s) => s.ownerAccountId === accountId)
        .map((s) => ({
          sessionId: s.id, name: s.name, createdAt: s.createdAt, cliConnected: s.cliConnected,
          users: s.authedPeers().length, shells: s.shells.size, cwdLabel: s.cwdLabel,
        }));
    },

    sessionOwner(sessionId: string) {
      return ctx.sessions.get(sessionId)?.ownerAccountId;
    },

    chatTuples(sessionId: string) {
      const s = ctx.sessions.get(sessionId);
      return s?.chat.entries.map((e): [number, string, string] => [e.userId, e.name, e.message]);
    },

    session(sessionId: string) {
      const s = ctx.sessions.get(sessionId);
      return s && !s.ended ? sessionAccess(s) : undefined;
    },

    sessionIgnoringCase(sessionId: string) {
      const id = sessionId.toLowerCase();
      let found: Session | undefined;
      for (const s of ctx.sessions.values()) {
        if (s.ended || s.id.toLowerCase() !== id) continue;
        if (found) return undefined; // two matches: refuse rather than guess
        found = s;
      }
      return found ? sessionAccess(found) : undefined;
    },

    sessionEnded: (sessionId: string) => ended.has(sessionId),
    onSessionEnd: (listener: (sessionId: string) => void) => ended.listen(listener),

    async close(): Promise<void> {
      closing = true;
      clearInterval(snapshotTimer);
      const sessions = [...ctx.sessions.values()];
      await Promise.all(sessions.map((s) => saveOne(s)));
      await ctx.snapshots.idle(); // includes deletes of sessions that ended just before
      for (const s of sessions) s.suspend();
      ctx.sessions.clear();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
