/**
 * HTTP tunnels (§3.12, §2.3 TunnelRequest/TunnelResponse): the relay side of one session's
 * published ports. A request goes to the CLI as `tunnelRequest` messages — the first carries method,
 * path and headers, the body follows in ≤ 64 KiB `bodyChunk`s, `end` on the last — and the CLI answers
 * with `tunnelResponse` messages matched by `requestId`: the first carries status and headers, then
 * body chunks, `end` on the last; a non-empty `error` fails the exchange.
 *
 * Bounds: the CLI has `tunnelAnswerMs` (30 s) to send the response head, counted from the last body
 * chunk sent; bodies over `tunnelBodyMaxBytes` (32 MiB) fail `tooLarge`. The protocol has no credit
 * for the response stream, so when the HTTP client reads slower than the CLI sends and more than
 * `tunnelBufferMaxBytes` (16 MiB) waits in server memory, that response is aborted (`overflow`).
 * Whenever the server gives up first it sends `tunnelRequest {cancel: true}` so the CLI stops too.
 * Tunnel URLs need no sign-in, so at most `tunnelMaxPending` (32) exchanges run per session at once:
 * that caps what one session's tunnels can hold in server memory (each ≤ the limits above).
 */
import { TUNNEL_CHUNK_BYTES, type CliDownMsg, type CliUpMsg } from "@taiku/protocol";
import type { TunnelCall, TunnelExchange, TunnelFailureKind, TunnelHeader, TunnelSink } from "../seams.js";

export const TUNNEL_DEFAULTS = {
  tunnelAnswerMs: 30_000,
  tunnelBodyMaxBytes: 32 * 1024 * 1024,
  tunnelBufferMaxBytes: 16 * 1024 * 1024,
  tunnelMaxPending: 32,
};
export type TunnelLimits = typeof TUNNEL_DEFAULTS;

const EMPTY = new Uint8Array(0);

export interface TunnelLink {
  connected(): boolean;
  send(msg: CliDownMsg<"tunnelRequest">): void;
}

interface Pending {
  port: number;
  sink: TunnelSink;
  headed: boolean;
  timer: NodeJS.Timeout;
}

export class TunnelBroker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Ports announced in `open.tunnelPorts` (fixed for the session's life). */
  readonly ports: readonly number[];

  constructor(
    private readonly link: TunnelLink,
    ports: readonly number[],
    private readonly limits: () => TunnelLimits,
  ) {
    this.ports = [...new Set(ports)].sort((a, b) => a - b);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  request(call: TunnelCall, sink: TunnelSink): TunnelExchange {
    const requestId = this.nextId++;
    const cancel = () => this.finish(requestId, null, true);
    if (!this.ports.includes(call.port)) {
      sink.fail("notFound", "Tunnel not found");
      return { cancel };
    }
    if (!this.link.connected()) {
      sink.fail("notConnected", "CLI not connected");
      return { cancel };
    }
    if (this.pending.size >= this.limits().tunnelMaxPending) {
      sink.fail("busy", "Too many tunnel requests in progress");
      return { cancel };
    }
    const timer = setTimeout(() => this.finish(requestId, { kind: "timeout", error: "CLI did not respond" }, true), this.limits().tunnelAnswerMs);
    timer.unref?.();
    this.pending.set(requestId, { port: call.port, sink, headed: false, timer });
    void this.pump(requestId, call);
    return { cancel };
  }

  /** Sends the request head and body; stops when the exchange ended meanwhile. */
  private async pump(requestId: number, call: TunnelCall): Promise<void> {
    const head = { t: "tunnelRequest" as const, requestId, port: call.port, method: call.method, path: call.path, headers: call.headers };
    const send = (bodyChunk: Uint8Array, end: boolean, first: boolean): boolean => {
      const p = this.pending.get(requestId);
      if (!p) return false;
      this.link.send(first ? { ...head, bodyChunk, end } : { ...head, method: "", path: "", headers: [], bodyChunk, end });
      if (!p.headed) p.timer.refresh(); // the answer deadline counts from the last byte sent
      return true;
    };
    if (!call.body) {
      send(EMPTY, true, true);
      return;
    }
    let first = true;
    let total = 0;
    try {
      for await (const chunk of call.body) {
        total += chunk.byteLength;
        if (total > this.limits().tunnelBodyMaxBytes) {
          this.finish(requestId, { kind: "tooLarge", error: "Request body too large" }, true);
          return;
        }
        for (let i = 0; i < chunk.byteLength; i += TUNNEL_CHUNK_BYTES) {
          if (!send(chunk.subarray(i, i + TUNNEL_CHUNK_BYTES), false, first)) return;
          first = false;
        }
      }
    } catch {
      // The HTTP client aborted its upload: nobody is waiting for an answer.
      this.finish(requestId, { kind: "closed", error: "request aborted" }, true);
      return;
    }
    send(EMPTY, true, first);
  }

  /** A `tunnelResponse` from the CLI. Unknown ids (answers after a timeout or cancel) are ignored. */
  onResponse(msg: CliUpMsg<"tunnelResponse">): void {
    const p = this.pending.get(msg.requestId);
    if (!p) return;
    if (msg.error) return this.finish(msg.requestId, { kind: "cli", error: msg.error }, false);
    if (!p.headed) {
      if (msg.status < 200 || msg.status > 599) {
        return this.finish(msg.requestId, { kind: "cli", error: `the CLI answered an invalid status ${msg.status}` }, true);
      }
      p.headed = true;
      clearTimeout(p.timer); // streaming responses (SSE, long downloads) may take as long as they like
      p.sink.head(msg.status, msg.headers.map(copyHeader));
    }
    if (msg.bodyChunk.byteLength > 0) {
      // Copy: the decoder hands out views into the whole frame, which would stay alive with the chunk.
      const waiting = p.sink.data(Uint8Array.from(msg.bodyChunk));
      if (waiting > this.limits().tunnelBufferMaxBytes) {
        return this.finish(msg.requestId, { kind: "overflow", error: "the HTTP client reads too slowly" }, true);
      }
    }
    if (msg.end) {
      this.forget(msg.requestId, p);
      p.sink.end();
    }
  }

  /** The CLI link dropped or the session ended: every pending exchange fails now. */
  failAll(error: "CLI not connected" | "Session closed"): void {
    const kind: TunnelFailureKind = error === "CLI not connected" ? "notConnected" : "closed";
    for (const id of [...this.pending.keys()]) this.finish(id, { kind, error }, false);
  }

  /** Ends an exchange: the sink hears `failure` (none on cancel), the CLI hears `cancel` when asked. */
  private finish(requestId: number, failure: { kind: TunnelFailureKind; error: string } | null, tellCli: boolean): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.forget(requestId, p);
    if (tellCli && this.link.connected()) {
      this.link.send({ t: "tunnelRequest", requestId, port: p.port, method: "", path: "", headers: [], bodyChunk: EMPTY, end: true, cancel: true });
    }
    if (failure) p.sink.fail(failure.kind, failure.error);
  }

  private forget(requestId: number, p: Pending): void {
    this.pending.delete(requestId);
    clearTimeout(p.timer);
  }
}

function copyHeader(h: { name: string; value: Uint8Array }): TunnelHeader {
  return { name: h.name, value: Uint8Array.from(h.value) };
}
