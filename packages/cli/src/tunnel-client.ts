/**
 * The CLI side of HTTP tunnels (spec §3.12, §2.3 TunnelRequest/TunnelResponse): `taiku --tunnel 3000`
 * publishes local ports; the server forwards requests for them and this module replays each one
 * against `http://127.0.0.1:{port}{path}` with node:http — `Host` rewritten to `127.0.0.1:{port}`,
 * hop-by-hop headers dropped — and streams the answer back: a first `tunnelResponse` with status and
 * headers, the body in ≤ 64 KiB chunks, `end` on the last. A local failure (connection refused, a
 * reset mid-body) is a `tunnelResponse` with `error` set. Only announced ports are served; requests
 * run concurrently, keyed by `requestId`; `cancel` from the server and a dropped link abort them.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { TUNNEL_CHUNK_BYTES, type CliDownMsg, type CliUpMsg } from "@taiku/protocol";
import { backedUp, whenBelow, type LinkBackpressure } from "./link-drain.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message. */
const HOP_BY_HOP = new Set(["connection", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer", "host"]);
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
const EMPTY = new Uint8Array(0);

type TunnelRequest = CliDownMsg<"tunnelRequest">;
type TunnelResponse = CliUpMsg<"tunnelResponse">;

/** A response body waits while the link is backed up (`pending`, `highWater`). */
export interface TunnelClientOptions extends LinkBackpressure {
  /** Ports announced with `--tunnel`. */
  ports: readonly number[];
  send(msg: TunnelResponse): boolean;
}

/** `:3000  https://…` lines of the `Tunnels:` block use these URLs. */
export function tunnelUrls(baseUrl: string, sessionId: string, ports: readonly number[]): Array<{ port: number; url: string }> {
  return [...new Set(ports)].map((port) => ({ port, url: `${baseUrl.replace(/\/+$/, "")}/t/${sessionId}/p/${port}/` }));
}

const isHopByHop = (name: string) => HOP_BY_HOP.has(name) || name.startsWith("proxy-");

export class TunnelClient {
  private readonly active = new Map<number, ClientRequest>();
  private readonly ports: ReadonlySet<number>;

  constructor(private readonly opts: TunnelClientOptions) {
    this.ports = new Set(opts.ports);
  }

  handle(msg: TunnelRequest): void {
    const req = this.active.get(msg.requestId);
    if (msg.cancel) return this.abort(msg.requestId);
    // A body chunk of an exchange already over (the local request failed or ended) is dropped, not a new request.
    if (!req) return msg.method === "" ? undefined : this.start(msg);
    if (msg.bodyChunk.byteLength > 0) req.write(Buffer.from(msg.bodyChunk));
    if (msg.end) req.end();
  }

  /** The link dropped or the session ended: the server failed these requests already. */
  abortAll(): void {
    for (const id of [...this.active.keys()]) this.abort(id);
  }

  private abort(requestId: number): void {
    const req = this.active.get(requestId);
    this.active.delete(requestId);
    req?.destroy();
  }

  private start(msg: TunnelRequest): void {
    const { requestId, port } = msg;
    const fail = (error: string) => this.opts.send({ t: "tunnelResponse", requestId, status: 502, headers: [], bodyChunk: EMPTY, end: true, error });
    if (!this.ports.has(port)) return void fail(`port ${port} is not published by this CLI`);
    if (!METHOD.test(msg.method)) return void fail("invalid request method");
    let req: ClientRequest;
    try {
      req = httpRequest({
        host: "127.0.0.1", port, method: msg.method, path: msg.path.startsWith("/") ? msg.path : `/${msg.path}`,
        headers: localHeaders(msg.headers, port),
      });
    } catch (err) {
      return void fail(`invalid request: ${(err as Error).message}`); // e.g. unescaped characters in the path
    }
    this.active.set(requestId, req);
    let headed = false;
    const done = (error: string) => {
      if (this.active.get(requestId) !== req) return; // cancelled or aborted: the server moved on
      this.active.delete(requestId);
      if (error && !headed) fail(error);
      else this.opts.send({ t: "tunnelResponse", requestId, status: 0, headers: [], bodyChunk: EMPTY, end: true, error });
    };
    req.on("error", (err) => done(describe(err, port)));
    req.on("response", (res) => {
      headed = true;
      this.opts.send({ t: "tunnelResponse", requestId, status: res.statusCode ?? 502, headers: responseHeaders(res), bodyChunk: EMPTY, end: false, error: "" });
      this.streamBody(requestId, req, res, (error) => done(error));
    });
    if (msg.bodyChunk.byteLength > 0) req.write(Buffer.from(msg.bodyChunk));
    if (msg.end) req.end();
  }

  private streamBody(requestId: number, req: ClientRequest, res: IncomingMessage, done: (error: string) => void): void {
    const gone = () => this.active.get(requestId) !== req;
    res.on("data", (chunk: Buffer) => {
      if (gone()) return;
      for (let i = 0; i < chunk.byteLength; i += TUNNEL_CHUNK_BYTES) {
        this.opts.send({ t: "tunnelResponse", requestId, status: 0, headers: [], bodyChunk: chunk.subarray(i, i + TUNNEL_CHUNK_BYTES), end: false, error: "" });
      }
      if (backedUp(this.opts)) {
        // No credit in the protocol: hold the local socket while the link is backed up (or until cancelled).
        res.pause();
        void whenBelow(this.opts, { pollMs: 5, stop: gone }).then(() => res.resume());
      }
    });
    res.on("end", () => done(""));
    // A reset mid-body: `close` without a complete message (done ignores a second call).
    res.on("close", () => done(res.complete ? "" : "the local server closed the connection mid-response"));
  }
}

function localHeaders(headers: TunnelRequest["headers"], port: number): OutgoingHttpHeaders {
  const out: Record<string, string[]> = {};
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (isHopByHop(name)) continue;
    (out[name] ??= []).push(Buffer.from(h.value).toString("latin1"));
  }
  const merged: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(out)) merged[name] = name === "cookie" ? values.join("; ") : values.length === 1 ? values[0] : values;
  merged.host = `127.0.0.1:${port}`;
  return merged;
}

function responseHeaders(res: IncomingMessage): TunnelResponse["headers"] {
  const out: TunnelResponse["headers"] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length && out.length < 256; i += 2) {
    if (!isHopByHop(raw[i]!.toLowerCase())) out.push({ name: raw[i]!.slice(0, 256), value: Buffer.from(raw[i + 1]!, "latin1") });
  }
  return out;
}

function describe(err: Error, port: number): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return `connection refused by 127.0.0.1:${port} (is the local server running?)`;
  if (code === "ECONNRESET") return `127.0.0.1:${port} reset the connection`;
  return `request to 127.0.0.1:${port} failed: ${err.message}`.slice(0, 4096);
}
