/**
 * A minimal stand-in for the server relay: just enough of /api/cli and /api/s/:id (and the
 * one-time sign-in code route) to drive the CLI end to end. It keeps every frame (no ring limit)
 * so tests can compare every output byte, and exposes hooks to drop the CLI's socket.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { decodeCbor, encodeCbor, parseCliUp, parseClientMessage, type Frame } from "@taiku/protocol";
import { randomBytes, verifyProof, wsChallenge } from "@taiku/crypto";

interface FakeSession {
  id: string;
  token: string;
  verifiers?: { view: Uint8Array; write: Uint8Array; admin: Uint8Array };
  shells: Map<number, { frames: Array<{ seq: number; frame: Frame }>; nextSeq: number; open: boolean }>;
  cli: WebSocket | null;
  viewers: Map<number, { ws: WebSocket; subs: Set<number> }>;
  requests: Map<number, { userId: number; requestId: number }>;
  closed: boolean;
  closeReason?: string;
  rekeys: number;
}

export interface FakeRelay {
  url: string;
  sessions: Map<string, FakeSession>;
  /** Every CBOR message received from CLIs, in order (type names only). */
  cliMessages: string[];
  /** X-Taiku-Token headers seen on /api/cli. */
  tokens: Array<string | undefined>;
  /** The field names of every `data` message's frame as sent (before validation drops unknown ones). */
  dataFrameKeys: Set<string>;
  dropCli(sessionId: string): void;
  /** Refuse new CLI connections (simulate an outage) until called with false. */
  refuseCli(refuse: boolean): void;
  sendToCli(sessionId: string, msg: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startFakeRelay(): Promise<FakeRelay> {
  const sessions = new Map<string, FakeSession>();
  const cliMessages: string[] = [];
  const tokens: Array<string | undefined> = [];
  const dataFrameKeys = new Set<string>();
  let refuse = false;
  let nextUser = 1;
  let nextRequest = 1000;
  const http: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/api/v1/auth/one-time-code" && req.headers["x-taiku-token"]) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ code: "onetime0123456789abcdef" }));
      return;
    }
    res.writeHead(404).end();
  });
  const cliWss = new WebSocketServer({ noServer: true });
  const viewerWss = new WebSocketServer({ noServer: true });
  http.on("upgrade", (req, socket, head) => {
    const path = req.url ?? "";
    if (path === "/api/cli") {
      if (refuse) {
        socket.end("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        return;
      }
      tokens.push(req.headers["x-taiku-token"] as string | undefined);
      cliWss.handleUpgrade(req, socket, head, (ws) => onCli(ws));
    } else if (path.startsWith("/api/s/")) {
      const id = path.slice("/api/s/".length);
      viewerWss.handleUpgrade(req, socket, head, (ws) => onViewer(ws, id));
    } else socket.destroy();
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const send = (ws: WebSocket | null | undefined, msg: unknown) => {
    if (ws && ws.readyState === ws.OPEN) ws.send(encodeCbor(msg));
  };
  const toViewers = (s: FakeSession, msg: unknown, shellId?: number) => {
    for (const v of s.viewers.values()) if (shellId === undefined || v.subs.has(shellId)) send(v.ws, msg);
  };

  function onCli(ws: WebSocket): void {
    let session: FakeSession | null = null;
    ws.on("message", (data: Buffer) => {
      const raw = decodeCbor(data) as { t?: unknown; frame?: object };
      if (raw?.t === "data" && raw.frame) for (const k of Object.keys(raw.frame)) dataFrameKeys.add(k);
      const parsed = parseCliUp(raw);
      if (!parsed.ok) throw new Error(`fake relay: bad CLI message: ${JSON.stringify(parsed)}`);
      const m = parsed.message;
      cliMessages.push(m.t);
      switch (m.t) {
        case "open": {
          const id = `S${Math.random().toString(36).slice(2, 12)}`;
          session = { id, token: `tok-${Math.random().toString(36).slice(2)}-0123456789`, shells: new Map(), cli: ws, viewers: new Map(), requests: new Map(), closed: false, rekeys: 0 };
          sessions.set(id, session);
          send(ws, { t: "opened", sessionId: id, token: session.token, baseUrl: url, resumed: false });
          return;
        }
        case "resume": {
          const s = sessions.get(m.sessionId);
          if (!s || s.closed || s.token !== m.token) {
            // As the real relay (cli-link.ts): the error, then close 4404.
            send(ws, { t: "error", message: "Session not found" });
            ws.close(4404, "Session not found");
            return;
          }
          s.cli?.terminate();
          s.cli = ws;
          session = s;
          send(ws, { t: "opened", sessionId: s.id, token: s.token, baseUrl: url, resumed: true });
          return;
        }
        case "hello": {
          if (!session) return;
          session.verifiers = { view: m.viewVerifier, write: m.writeVerifier, admin: m.adminVerifier };
          const nextSeq: Record<string, number> = {};
          for (const [id, sh] of session.shells) if (sh.open) nextSeq[String(id)] = sh.nextSeq;
          send(ws, { t: "sync", nextSeq });
          return;
        }
        case "data": {
          const sh = session?.shells.get(m.shellId);
          if (!session || !sh || m.seq < sh.nextSeq) return; // duplicate or unknown shell
          sh.frames.push({ seq: m.seq, frame: m.frame });
          sh.nextSeq = m.seq + 1;
          toViewers(session, { t: "chunks", shellId: m.shellId, frames: [{ seq: m.seq, ...m.frame }] }, m.shellId);
          return;
        }
        case "createdShell": {
          if (!session) return;
          if (!session.shells.has(m.shellId)) session.shells.set(m.shellId, { frames: [], nextSeq: 0, open: true });
          toViewers(session, { t: "shells", shells: [...session.shells].filter(([, s]) => s.open).map(([id]) => ({ id, rows: m.rows, cols: m.cols, name: null, creatorUserId: null })) });
          return;
        }
        case "closedShell": {
          const sh = session?.shells.get(m.shellId);
          if (sh) sh.open = false;
          return;
        }
        case "rekey":
          if (session) {
            session.verifiers = { view: m.viewVerifier, write: m.writeVerifier, admin: m.adminVerifier };
            session.rekeys++;
          }
          return;
        case "chatSend":
          // As the real relay: the post reaches the CLI as `chat` first, then the answer.
          send(ws, { t: "chat", id: 77, userId: 0, name: m.name, role: "host", message: m.message, ts: Date.now() });
          send(ws, { t: "chatSent", requestId: m.requestId, id: 77 });
          return;
        case "close":
          if (session) {
            session.closed = true;
            session.closeReason = m.reason ?? "";
            toViewers(session, { t: "sessionClosed", reason: m.reason ?? "" });
          }
          ws.close();
          return;
        default:
          return;
      }
    });
    ws.on("close", () => {
      if (session && session.cli === ws) session.cli = null;
    });
  }

  function onViewer(ws: WebSocket, sessionId: string): void {
    const s = sessions.get(sessionId);
    if (!s) return ws.close(4404, "Session not found");
    const userId = nextUser++;
    const challenge = randomBytes(32);
    let authed = false;
    send(ws, { t: "hello", userId, sessionId, challenge, serverVersion: "fake", e2e: "taiku-e2e-v1", features: [] });
    ws.on("message", async (data: Buffer) => {
      const parsed = parseClientMessage(decodeCbor(data));
      if (!parsed.ok) return;
      const m = parsed.message;
      if (m.t === "authenticate") {
        const ok = s.verifiers && (await verifyProof(s.verifiers.view, "ws", sessionId, wsChallenge(challenge, userId), m.viewProof));
        if (!ok) {
          send(ws, { t: "invalidAuth", reason: "invalid key" });
          return ws.close(4403, "invalid key");
        }
        authed = true;
        s.viewers.set(userId, { ws, subs: new Set() });
        send(ws, { t: "authOk", userId, role: "writer", canWrite: true, name: m.name ?? `user${userId}` });
        send(s.cli, { t: "sessionEvent", kind: "user_joined", userId, userName: m.name ?? `user${userId}`, shellId: 0, device: "Web", detail: "" });
        return;
      }
      if (!authed) return;
      const v = s.viewers.get(userId)!;
      switch (m.t) {
        case "subscribe": {
          v.subs.add(m.shellId);
          const frames = (s.shells.get(m.shellId)?.frames ?? []).filter((f) => f.seq >= m.fromSeq).map((f) => ({ seq: f.seq, ...f.frame }));
          send(ws, { t: "chunks", shellId: m.shellId, frames });
          return;
        }
        case "data":
          send(s.cli, { t: "input", shellId: m.shellId, userId, counter: m.counter, frame: m.frame });
          return;
        case "create": {
          const rid = nextRequest++;
          s.requests.set(rid, { userId, requestId: m.requestId });
          send(s.cli, { t: "createShell", requestId: rid, rows: m.rows, cols: m.cols, userId });
          return;
        }
        case "close":
          send(s.cli, { t: "closeShell", shellId: m.shellId });
          return;
        default:
          return;
      }
    });
    ws.on("close", () => {
      s.viewers.delete(userId);
      if (authed) send(s.cli, { t: "sessionEvent", kind: "user_left", userId, userName: `user${userId}`, shellId: 0, device: "Web", detail: "" });
    });
  }

  return {
    url,
    sessions,
    dataFrameKeys,
    cliMessages,
    tokens,
    dropCli: (id) => sessions.get(id)?.cli?.terminate(),
    refuseCli: (r) => {
      refuse = r;
    },
    sendToCli: (id, msg) => send(sessions.get(id)?.cli, msg),
    close: async () => {
      for (const s of sessions.values()) {
        s.cli?.terminate();
        for (const v of s.viewers.values()) v.ws.terminate();
      }
      cliWss.close();
      viewerWss.close();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
