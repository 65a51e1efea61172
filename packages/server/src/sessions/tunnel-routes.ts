/**
 * HTTP tunnels (§3.12, §11.3.11): `ANY /t/{session_id}/p/{port}/{path}` and, with a tunnel origin
 * (`TAIKU_TUNNEL_ORIGIN`, e.g. `https://t.example.com`), any request whose Host is
 * `{port}-{session_id}.t.example.com`. The relay forwards each request to the session's CLI
 * (relay/tunnels.ts) and the answer is streamed to the client as it arrives.
 *
 * Isolation: a tunneled page must not run with the app origin's rights (its localStorage holds plugin
 * secrets, its cookie authenticates the API). With a tunnel origin, the `/t/…` form answers 307 to the
 * per-tunnel host, which shares nothing with the app. Without one, tunneled responses are served on
 * the app origin under `Content-Security-Policy: sandbox …` without `allow-same-origin`, so pages run
 * in an opaque origin; `Set-Cookie` and other headers that act on the whole origin are dropped, and
 * the app's own cookie and API credentials (X-Taiku-*, a taiku API key as Bearer) are never forwarded to the CLI.
 */
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ERRORS } from "@taiku/protocol";
import { isApiKeyShaped } from "../accounts/tokens.js";
import { HttpError, sendText } from "../http/errors.js";
import type { Relay, SessionAccess, TunnelCall, TunnelFailureKind, TunnelHeader } from "../seams.js";

export const TUNNEL_NOT_FOUND = "Tunnel not found";
export const TUNNEL_BODY_TOO_LARGE = "Request body too large";
/** Scripts, forms, popups and downloads work; `allow-same-origin` is absent, so the page's origin is opaque. */
export const TUNNEL_SANDBOX_CSP = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/** Hop-by-hop headers (RFC 9110 §7.6.1) and Host, which the CLI sets to the local address. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "proxy-connection", "proxy-authenticate", "proxy-authorization"]);
/** Response headers that would act on the whole app origin (cookies, site data, service worker scope). */
const APP_ORIGIN_UNSAFE = new Set(["set-cookie", "set-cookie2", "clear-site-data", "service-worker-allowed"]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What node:http accepts in a header value. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HOST_LABEL = /^(\d{1,5})-([0-9a-z]{1,64})$/;
const ROUTE_PREFIX = /^\/t\/[^/?#]+\/p\/[^/?#]+/;

const FAILURE_STATUS: Record<TunnelFailureKind, number> = {
  notFound: 404, notConnected: 502, timeout: 504, cli: 502, tooLarge: 413, overflow: 502, closed: 502, busy: 503,
};

// ------------------------------------------------------------------ isolated tunnel origin

/** Validates `TAIKU_TUNNEL_ORIGIN`: a bare http(s) origin. */
export function parseTunnelOrigin(text: string): URL {
  if (!/^https?:\/\/[^/?#]+\/?$/.test(text)) {
    throw new Error(`tunnelOrigin must be an http(s) origin like https://t.example.com, got ${JSON.stringify(text)}`);
  }
  return new URL(text);
}

/** Browsers lowercase host names, so the session id appears lowercased (looked up ignoring case). */
export function isolatedTunnelUrl(origin: URL, sessionId: string, port: number): string {
  return `${origin.protocol}//${port}-${sessionId.toLowerCase()}.${origin.host}/`;
}

/** Public URL of a tunnel: the isolated host when configured, else the `/t/…` form on the app origin. */
export function tunnelUrlFor(publicUrl: string, origin: URL | undefined): (sessionId: string, port: number) => string {
  return (sessionId, port) => (origin ? isolatedTunnelUrl(origin, sessionId, port) : `${publicUrl}/t/${sessionId}/p/${port}/`);
}

/** `{port}-{session_id}.<tunnel host>[:port]` → its parts; null for any other Host. */
export function tunnelHostTarget(host: string | undefined, origin: URL): { sessionId: string; port: string } | null {
  if (!host) return null;
  const name = host.toLowerCase().replace(/:\d+$/, "");
  const suffix = `.${origin.hostname.toLowerCase()}`;
  if (!name.endsWith(suffix)) return null;
  const m = HOST_LABEL.exec(name.slice(0, -suffix.length));
  return m ? { port: m[1]!, sessionId: m[2]! } : null;
}

const TUNNEL_HOST = Symbol("taiku.tunnelHost");
type Marked = IncomingMessage & { [TUNNEL_HOST]?: { sessionId: string; port: string; path: string } };

/**
 * Fastify `rewriteUrl`: a request for a tunnel host is routed to the tunnel route, marked on the raw
 * request (a symbol no client can set, so an app-origin request can never pose as an isolated one).
 */
export function tunnelHostRewriter(origin: URL): (req: IncomingMessage) => string {
  return (req) => {
    const url = req.url ?? "/";
    const target = tunnelHostTarget(req.headers.host, origin);
    if (!target || !url.startsWith("/")) return url;
    (req as Marked)[TUNNEL_HOST] = { ...target, path: url };
    return `/t/${target.sessionId}/p/${target.port}${url}`;
  };
}

// ------------------------------------------------------------------ routes

type Req = FastifyRequest<{ Params: { sessionId: string; port: string } }>;

export function registerTunnelRoutes(app: FastifyInstance, relay: () => Relay, origin: URL | undefined): void {
  void app.register(async (scope) => {
    // Bodies are streamed to the CLI as they arrive: any content type, never parsed here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
    scope.all<{ Params: { sessionId: string; port: string } }>("/t/:sessionId/p/:port", async (req, reply) => {
      const [path, query] = splitQuery(req.url);
      return reply.code(308).header("location", `${path}/${query}`).send();
    });
    scope.all<{ Params: { sessionId: string; port: string } }>("/t/:sessionId/p/:port/*", { bodyLimit: Number.MAX_SAFE_INTEGER }, (req, reply) =>
      proxy(req, reply, relay(), origin),
    );
  });
}

async function proxy(req: Req, reply: FastifyReply, relay: Relay, origin: URL | undefined): Promise<FastifyReply> {
  const marked = (req.raw as Marked)[TUNNEL_HOST];
  const isolated = marked !== undefined;
  const sessionId = marked?.sessionId ?? req.params.sessionId;
  const portText = marked?.port ?? req.params.port;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
  const access = isolated ? relay.sessionIgnoringCase?.(sessionId) : relay.session?.(sessionId);
  if (!access?.tunnel || !access.tunnelPorts) throw new HttpError(404, ERRORS.sessionNotFound);
  if (!access.tunnelPorts().includes(port)) throw new HttpError(404, TUNNEL_NOT_FOUND);
  const path = marked?.path ?? req.url.replace(ROUTE_PREFIX, "");
  if (origin && !isolated) {
    reply.header("cache-control", "no-store");
    return reply.code(307).header("location", isolatedTunnelUrl(origin, access.sessionId, port) + path.slice(1)).send();
  }
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > access.settings.tunnelBodyMaxBytes) {
    reply.header("connection", "close"); // the unread body must not be parsed as the next request
    throw new HttpError(413, TUNNEL_BODY_TOO_LARGE);
  }
  const hasBody = req.headers["transfer-encoding"] !== undefined || length > 0;
  const call: TunnelCall = { port, method: req.method, path, headers: requestHeaders(req.raw.rawHeaders, isolated), body: hasBody ? req.raw : null };
  const base = isolated ? isolatedTunnelUrl(origin!, access.sessionId, port) : `/t/${access.sessionId}/p/${port}/`;
  return exchange(reply, access, call, { isolated, port, base });
}

interface Mode {
  isolated: boolean;
  port: number;
  /** Where the tunnel's `/` is, for Location rewriting. */
  base: string;
}

/** Runs one exchange: error texts before the head, a streamed body after it. */
function exchange(reply: FastifyReply, access: SessionAccess, call: TunnelCall, mode: Mode): Promise<FastifyReply> {
  return new Promise((resolve) => {
    const res = reply.raw;
    const out = new PassThrough();
    let headed = false;
    let settled = false;
    const settle = (r: FastifyReply) => {
      settled = true;
      resolve(r);
    };
    const ex = access.tunnel!(call, {
      head(status, headers) {
        headed = true;
        applyHead(reply, status, headers, mode);
        settle(reply.send(out));
      },
      // Everything accepted but not yet taken by the client's socket counts towards the memory bound.
      data(chunk) {
        out.write(chunk);
        return out.writableLength + out.readableLength + res.writableLength;
      },
      end: () => void out.end(),
      fail(kind, error) {
        if (headed) out.destroy(new Error(error));
        else if (!settled) settle(sendText(reply, FAILURE_STATUS[kind], kind === "tooLarge" ? TUNNEL_BODY_TOO_LARGE : error));
      },
    });
    res.once("close", () => {
      if (res.writableFinished) return;
      ex.cancel(); // the client went away: the CLI stops its local request
      if (!settled) settle(reply.hijack());
    });
  });
}

function isTaikuBearer(value: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m !== null && isApiKeyShaped(m[1]!);
}

function requestHeaders(raw: string[], isolated: boolean): TunnelHeader[] {
  const out: TunnelHeader[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === "host" || HOP_BY_HOP.has(name) || name.startsWith("x-taiku-")) continue;
    // On the app origin the browser sends the app's cookie: it is taiku's credential, not the tunnel's;
    // so is a taiku API key sent as a Bearer token (other Authorization values belong to the tunneled app).
    if (!isolated && (name === "cookie" || (name === "authorization" && isTaikuBearer(raw[i + 1]!)))) continue;
    out.push({ name: raw[i]!, value: Buffer.from(raw[i + 1]!, "latin1") });
  }
  return out;
}

/** Status and the CLI's headers (validated: the CLI is not trusted to produce well-formed ones). */
function applyHead(reply: FastifyReply, status: number, headers: TunnelHeader[], mode: Mode): void {
  const grouped = new Map<string, string[]>();
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (!HEADER_NAME.test(name) || HOP_BY_HOP.has(name)) continue;
    if (!mode.isolated && APP_ORIGIN_UNSAFE.has(name)) continue;
    let value = Buffer.from(h.value).toString("latin1");
    if (!HEADER_VALUE.test(value)) continue;
    // Host-only cookies: a tunnel must not set cookies for the parent domain (and so for the app).
    if (name === "set-cookie") value = value.replace(/;\s*domain=[^;]*/gi, "");
    if (name === "location") value = rewriteLocation(value, mode);
    grouped.set(name, [...(grouped.get(name) ?? []), value]);
  }
  if (!mode.isolated) grouped.set("content-security-policy", [...(grouped.get("content-security-policy") ?? []), TUNNEL_SANDBOX_CSP]);
  reply.code(status);
  for (const [name, values] of grouped) reply.header(name, values.length === 1 ? values[0] : values);
}

/** Redirects to the local server itself, or (on the app origin) to an absolute path, stay in the tunnel. */
function rewriteLocation(location: string, mode: Mode): string {
  for (const local of [`http://127.0.0.1:${mode.port}`, `http://localhost:${mode.port}`]) {
    if (location === local || location.startsWith(`${local}/`)) return mode.base + location.slice(local.length + 1);
  }
  if (!mode.isolated && location.startsWith("/") && !location.startsWith("//")) return mode.base + location.slice(1);
  return location;
}

function splitQuery(url: string): [string, string] {
  const i = url.indexOf("?");
  return i < 0 ? [url, ""] : [url.slice(0, i), url.slice(i)];
}
