/**
 * Remote start (§3.14): the daemon sockets at `/api/v1/devices/{device_id}/connect` and the
 * requests waiting for their answers. The server only forwards public keys and the sealed fragment.
 *
 * One socket per device: a second daemon replaces the first (closed with DEVICE_CLOSE.replaced).
 * Results are kept in memory for `resultTtlMs`; a restart forgets them (the page then sees 404).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import {
  daemonUpMessage, decodeCbor, DEVICE_CLOSE, encodeCbor,
  type DaemonDownMessage, type RemoteStartBody, type RemoteStartResult,
} from "@taiku/protocol";
import { randomBase62 } from "@taiku/crypto";
import type { Logger } from "../seams.js";
import { HttpError } from "../http/errors.js";
import { apiKeyOf } from "../credentials.js";
import { toBytes } from "../relay/socket-util.js";
import { rejectUpgrade } from "../upgrade.js";
import type { DeviceStore } from "./store.js";
import { DEVICE_TEXT, type DeviceSettings } from "./settings.js";

const CONNECT_PATH = /^\/api\/v1\/devices\/([A-Za-z0-9_-]{1,64})\/connect$/;
const MAX_MESSAGE_BYTES = 64 * 1024;

interface Pending {
  deviceId: string;
  result: RemoteStartResult;
  timer: NodeJS.Timeout;
}

export class RemoteStartBroker {
  private readonly sockets = new Map<string, WebSocket>();
  private readonly pending = new Map<string, Pending>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  private readonly pinger: NodeJS.Timeout;
  /** Daemons that answered the last ping (or connected since). */
  private readonly alive = new WeakSet<WebSocket>();
  private closing = false;

  constructor(
    private readonly store: DeviceStore,
    private readonly settings: DeviceSettings,
    private readonly logger: Logger,
  ) {
    this.pinger = setInterval(() => {
      for (const ws of this.sockets.values()) {
        if (!this.alive.has(ws)) ws.terminate();
        else {
          this.alive.delete(ws);
          ws.ping();
        }
      }
    }, settings.pingMs);
    this.pinger.unref();
  }

  connected = (deviceId: string): boolean => this.sockets.has(deviceId);

  /** Claims the daemon path; the token check is async, so the answer (101 or 401/403) comes later. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const m = CONNECT_PATH.exec((req.url ?? "").split("?")[0]!);
    if (!m) return false;
    const deviceId = m[1]!;
    if (this.closing) {
      rejectUpgrade(socket, 503, "server is shutting down");
      return true;
    }
    this.store.authenticate(apiKeyOf(req.headers), deviceId).then(
      () => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(deviceId, ws)),
      (err: unknown) => {
        if (err instanceof HttpError) rejectUpgrade(socket, err.status, err.message);
        else {
          this.logger.error({ err: String(err) }, "device connect failed");
          rejectUpgrade(socket, 503, "device lookup failed");
        }
      },
    );
    return true;
  }

  private accept(deviceId: string, ws: WebSocket): void {
    this.sockets.get(deviceId)?.close(DEVICE_CLOSE.replaced, "another daemon connected for this device");
    this.sockets.set(deviceId, ws);
    // noServer mode: handleUpgrade's callback is the only place a new socket shows up ("connection" never fires).
    this.alive.add(ws);
    ws.on("pong", () => this.alive.add(ws));
    void this.store.touch(deviceId).catch(() => undefined);
    this.logger.info({ deviceId }, "device daemon connected");
    ws.on("message", (data: RawData, isBinary: boolean) => this.onMessage(deviceId, ws, data, isBinary));
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      if (this.sockets.get(deviceId) !== ws) return;
      this.sockets.delete(deviceId);
      void this.store.touch(deviceId).catch(() => undefined);
      this.failDevice(deviceId, DEVICE_TEXT.daemonGone);
      this.logger.info({ deviceId }, "device daemon disconnected");
    });
  }

  private onMessage(deviceId: string, ws: WebSocket, data: RawData, isBinary: boolean): void {
    let decoded: unknown;
    try {
      if (!isBinary) throw new Error("text frame");
      decoded = decodeCbor(toBytes(data));
    } catch {
      ws.close(DEVICE_CLOSE.badMessage, "messages must be CBOR binary frames");
      return;
    }
    const parsed = daemonUpMessage.safeParse(decoded);
    if (!parsed.success) {
      ws.close(DEVICE_CLOSE.badMessage, `invalid message: ${parsed.error.issues[0]?.path.join(".") || "t"}`);
      return;
    }
    const msg = parsed.data;
    const p = this.pending.get(msg.requestId);
    // Answers for another device's request, or for one already settled, are ignored.
    if (!p || p.deviceId !== deviceId || p.result.status !== "pending") return;
    this.settle(msg.requestId, msg.t === "sessionStarted"
      ? { status: "started", sessionUrl: msg.sessionUrl, sealedFragment: msg.sealedFragment, daemonPublicKey: msg.daemonPublicKey }
      : { status: "failed", error: msg.error });
  }

  /** Pushes `startSession` to the device's daemon; the caller has already checked ownership. */
  start(deviceId: string, body: RemoteStartBody): string {
    const ws = this.sockets.get(deviceId);
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new HttpError(409, DEVICE_TEXT.noDaemon);
    const waiting = [...this.pending.values()].filter((p) => p.deviceId === deviceId && p.result.status === "pending").length;
    if (waiting >= this.settings.maxPendingPerDevice) throw new HttpError(429, DEVICE_TEXT.tooManyPending);
    const requestId = randomBase62(22);
    const timer = setTimeout(() => this.settle(requestId, { status: "failed", error: DEVICE_TEXT.timeout }), this.settings.startTimeoutMs);
    timer.unref();
    this.pending.set(requestId, { deviceId, result: { status: "pending" }, timer });
    const msg: DaemonDownMessage = { t: "startSession", requestId, clientPublicKey: body.clientPublicKey, ...(body.cwd !== undefined ? { cwd: body.cwd } : {}) };
    ws.send(encodeCbor(msg));
    return requestId;
  }

  result(deviceId: string, requestId: string): RemoteStartResult | null {
    const p = this.pending.get(requestId);
    return p && p.deviceId === deviceId ? p.result : null;
  }

  /** The device was deleted or its token rotated: its daemon must reconnect with a valid token. */
  revoke(deviceId: string): void {
    this.sockets.get(deviceId)?.close(DEVICE_CLOSE.revoked, "device token revoked");
  }

  close(): void {
    this.closing = true;
    clearInterval(this.pinger);
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.wss.close();
  }

  private settle(requestId: string, result: RemoteStartResult): void {
    const p = this.pending.get(requestId);
    if (!p || p.result.status !== "pending") return;
    clearTimeout(p.timer);
    p.result = result;
    p.timer = setTimeout(() => this.pending.delete(requestId), this.settings.resultTtlMs);
    p.timer.unref();
  }

  private failDevice(deviceId: string, error: string): void {
    for (const [id, p] of this.pending) if (p.deviceId === deviceId) this.settle(id, { status: "failed", error });
  }
}
