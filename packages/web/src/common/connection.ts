/**
 * One logical connection to `/api/s/{id}` that survives network drops: opens sockets, reconnects
 * with backoff (spec §2.2.5), pings every 15 s, and notices a dead link (no inbound traffic for
 * `livenessMs`) faster than TCP would on a phone that changed networks. It knows CBOR framing but
 * nothing about session semantics; the session client decides which close codes are final.
 */
import { decodeCbor, encodeCbor, type ClientMessage } from "@taiku/protocol";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { SOCKET_OPEN, type Clock, type SocketFactory, type SocketLike } from "./services.js";

export const SUBPROTOCOL = "taiku.v1";

export interface ConnectionOptions {
  url: string;
  WebSocket: SocketFactory;
  clock: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  pingMs?: number;
  livenessMs?: number;
  /** Close codes after which no reconnect is attempted. */
  isFinal: (code: number) => boolean;
}

export interface ConnectionEvents extends Record<string, unknown> {
  /** A socket opened; `epoch` numbers sockets so late async work can tell it is stale. */
  open: { epoch: number };
  message: { epoch: number; value: unknown };
  /** The socket closed; `retryAt` is null when no reconnect follows. */
  down: { code: number; reason: string; retryAt: number | null };
}

export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  /** Increments per socket. */
  epoch = 0;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private lastInbound = 0;
  private stopped = false;

  constructor(private opts: ConnectionOptions) {}

  get isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === SOCKET_OPEN;
  }

  /** Point later reconnects somewhere else (not used yet; kept for link rotation across hosts). */
  setUrl(url: string): void {
    this.opts = { ...this.opts, url };
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Encode and send; false when there is no open socket (the caller queues). */
  send(msg: ClientMessage): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(encodeCbor(msg));
    return true;
  }

  /** The session has authenticated: the next drop starts the backoff from 500 ms again. */
  markHealthy(): void {
    this.attempt = 0;
  }

  /** Drop the current socket and connect again at once (browser came back online, link rotated). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.clearRetry();
    this.attempt = 0;
    if (this.socket) this.dropSocket(4000, "reconnect", true);
    else this.open();
  }

  /** Close for good. */
  stop(code = 1000, reason = "bye"): void {
    this.stopped = true;
    this.clearRetry();
    if (this.socket) this.dropSocket(code, reason, false);
  }

  private open(): void {
    this.clearRetry();
    const epoch = ++this.epoch;
    let ws: SocketLike;
    try {
      ws = new this.opts.WebSocket(this.opts.url, SUBPROTOCOL);
    } catch (err) {
      this.afterClose(epoch, 1006, err instanceof Error ? err.message : String(err));
      return;
    }
    this.socket = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (epoch !== this.epoch) return;
      this.lastInbound = this.opts.clock.now();
      this.schedulePing(epoch);
      this.events.emit("open", { epoch });
    };
    ws.onmessage = (ev) => {
      if (epoch !== this.epoch) return;
      this.lastInbound = this.opts.clock.now();
      const bytes = toBytes(ev.data);
      if (!bytes) return; // text frames are not part of the protocol
      let value: unknown;
      try {
        value = decodeCbor(bytes);
      } catch {
        return;
      }
      this.events.emit("message", { epoch, value });
    };
    ws.onerror = () => {
      // Always followed by onclose, which does the work.
    };
    ws.onclose = (ev) => {
      if (epoch !== this.epoch || this.socket !== ws) return;
      this.socket = null;
      this.afterClose(epoch, ev.code, ev.reason);
    };
  }

  private afterClose(epoch: number, code: number, reason: string): void {
    if (epoch !== this.epoch) return;
    this.clearPing();
    const final = this.stopped || this.opts.isFinal(code);
    let retryAt: number | null = null;
    if (!final) {
      const delay = backoffDelay(this.attempt++, this.opts.random ?? Math.random, this.opts.backoff ?? DEFAULT_BACKOFF);
      retryAt = this.opts.clock.now() + delay;
      this.retryTimer = this.opts.clock.setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.open();
      }, delay);
    } else {
      this.stopped = true;
    }
    this.events.emit("down", { code, reason, retryAt });
  }

  /** Close our side without waiting for the peer's close frame (it may never come on a dead link). */
  private dropSocket(code: number, reason: string, reopen: boolean): void {
    const ws = this.socket!;
    this.socket = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.clearPing();
    if (reopen) {
      this.events.emit("down", { code, reason, retryAt: this.opts.clock.now() });
      this.open();
    } else {
      this.events.emit("down", { code, reason, retryAt: null });
    }
  }

  private schedulePing(epoch: number): void {
    const pingMs = this.opts.pingMs ?? 15_000;
    const livenessMs = this.opts.livenessMs ?? 45_000;
    this.pingTimer = this.opts.clock.setTimeout(() => {
      this.pingTimer = null;
      if (epoch !== this.epoch || !this.socket) return;
      if (this.opts.clock.now() - this.lastInbound > livenessMs) {
        // Dead link: treat as a drop and go through the normal backoff.
        const ws = this.socket;
        this.socket = null;
        ws.onopen = ws.onmessage = ws.onclose = null;
        try {
          ws.close(4408, "no traffic");
        } catch {}
        this.afterClose(epoch, 4408, "no traffic");
        return;
      }
      this.send({ t: "ping", ts: this.opts.clock.now() });
      this.schedulePing(epoch);
    }, pingMs);
  }

  private clearPing(): void {
    if (this.pingTimer !== null) this.opts.clock.clearTimeout(this.pingTimer);
    this.pingTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.opts.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // `ws` may hand over a Buffer[] for fragmented messages when binaryType is "fragments" (not ours).
  return null;
}
