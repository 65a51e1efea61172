/**
 * The built web app (packages/web output) from ServerOptions.webRoot. App routes get index.html
 * (the client router takes over); other paths map to files under webRoot and nothing outside it.
 * Without a webRoot, app routes get a short page saying how to build the web app.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendText, TEXT } from "./errors.js";

/** Client-side routes of the web app (§1.6, §11.3.8). */
export const APP_ROUTES = ["/", "/s/:id", "/login", "/signup", "/verify", "/account", "/dashboard", "/integrations", "/connections"];

export const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/**
 * Plugin panels are sandboxed iframes from any origin (manifest URLs), hence the broad frame-src;
 * everything the app itself loads comes from 'self'. ws:/wss: cover the session sockets on
 * browsers whose 'self' does not yet match WebSocket schemes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-src 'self' https: http:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join("; ");

/** Vite-style content-hashed names (`index-3fa9c1d2.js`, `app.BzX9-q1a.css`) never change content. */
const HASHED = /[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

const MISSING_WEB_APP = `<!doctype html><meta charset="utf-8"><title>taiku</title>
<h1>taiku server is running</h1>
<p>The web app is not available: this server was started without a built web app directory.
Build it with <code>npm run build -w @taiku/web</code> and start the server with its <code>webRoot</code>
(the <code>taiku</code> CLI finds it automatically).</p>
<p>The API is up: <a href="/healthz">/healthz</a>.</p>`;

function securityHeaders(reply: FastifyReply): void {
  reply.header("content-security-policy", CONTENT_SECURITY_POLICY).header("x-content-type-options", "nosniff");
}

async function sendFile(reply: FastifyReply, file: string, cache: string): Promise<FastifyReply | null> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;
  securityHeaders(reply);
  return reply
    .header("content-type", MIME[extname(file).toLowerCase()] ?? "application/octet-stream")
    .header("content-length", info.size)
    .header("cache-control", cache)
    .send(createReadStream(file));
}

/** Maps a URL path into webRoot; null for anything that could escape it or name a dotfile. */
export function fileFor(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.split("/").some((seg) => seg.startsWith("."))) return null;
  const file = resolve(root, "." + decoded);
  return file.startsWith(root + sep) ? file : null;
}

/** `sessionExists` (the relay's live sessions): the page of an unknown or ended session is the app with status 404 (§11.3.1). */
export function registerStatic(app: FastifyInstance, webRoot: string | undefined, sessionExists?: (id: string) => boolean): void {
  const root = webRoot === undefined ? undefined : resolve(webRoot);

  const serveApp = async (req: FastifyRequest, reply: FastifyReply) => {
    const sessionId = (req.params as { id?: string }).id;
    // The app still loads (it tells the visitor the session was not found); only the status says 404.
    if (sessionId !== undefined && sessionExists && !sessionExists(sessionId)) reply.code(404);
    const sent = root && (await sendFile(reply, resolve(root, "index.html"), "no-cache"));
    if (sent) return sent;
    securityHeaders(reply);
    return reply.code(503).type("text/html; charset=utf-8").send(MISSING_WEB_APP);
  };
  for (const route of APP_ROUTES) app.get(route, serveApp);

  app.get("/*", async (req, reply) => {
    const path = req.url.split("?")[0]!;
    const file = root && !path.startsWith("/api/") ? fileFor(root, path) : null;
    // Only the last segment, and only as long as a file name can be: HASHED backtracks quadratically.
    const name = path.slice(path.lastIndexOf("/") + 1);
    const cache = path.startsWith("/assets/") && name.length <= 255 && HASHED.test(name) ? "public, max-age=31536000, immutable" : "no-cache";
    const sent = file && (await sendFile(reply, file, cache));
    return sent || sendText(reply, 404, TEXT.notFound);
  });
}
