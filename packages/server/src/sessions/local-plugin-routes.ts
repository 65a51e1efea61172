/**
 * Files of a `taiku --plugin ./dir` plugin (spec §10, §14.2): `GET /api/s/:id/local-plugins/:pluginId/<path>`.
 * The server holds nothing; each request is read through the session's CLI (`pluginFile`, answered
 * like an `fsRequest` read), which serves only the files of that plugin's directory (no `..`,
 * absolute paths or symlinks out of it), at most LOCAL_PLUGIN_READS at a time per client. Answers carry the CSP of built-in plugin files, so a page
 * opened directly still runs sandboxed with an opaque origin.
 */
import { extname } from "node:path";
import type { FastifyInstance } from "fastify";
import { ERRORS } from "@taiku/protocol";
import { sendText } from "../http/errors.js";
import { MIME } from "../http/static.js";
import { PLUGIN_CSP } from "../plugins/registry.js";
import type { Relay } from "../seams.js";

/** A plugin file larger than this is refused (413). */
export const LOCAL_PLUGIN_FILE_MAX_BYTES = 8 * 1024 * 1024;
export const LOCAL_PLUGIN_PREFIX = "local-plugins";
/** Concurrent reads per (session, client address); more answer 503 (each one is a round trip to the CLI). */
export const LOCAL_PLUGIN_READS = 8;

/** The path after `/api/s/<id>/local-plugins/<pluginId>/`, decoded once; null when malformed. */
export function localPluginPath(rawUrl: string): string | null {
  const parts = rawUrl.split("?")[0]!.split("/"); // "", "api", "s", id, "local-plugins", pluginId, ...rest
  const rest = parts.slice(6);
  if (rest.length === 0) return null;
  try {
    const segs = rest.map((s) => decodeURIComponent(s));
    if (segs.some((s) => s === "" || s === "." || s === ".." || s.includes("/") || s.includes("\\") || s.includes("\0"))) return null;
    return segs.join("/");
  } catch {
    return null;
  }
}

export function registerLocalPluginRoutes(app: FastifyInstance, relay: () => Relay): void {
  const inUse = new Map<string, number>();
  app.get<{ Params: { id: string; pluginId: string } }>(`/api/s/:id/${LOCAL_PLUGIN_PREFIX}/:pluginId/*`, async (req, reply) => {
    const access = relay().session?.(req.params.id);
    if (!access?.pluginFile) return sendText(reply, 404, ERRORS.sessionNotFoundDot);
    const path = localPluginPath(req.url);
    if (path === null) return sendText(reply, 404, ERRORS.noSuchFile);
    const slot = `${access.sessionId}\n${req.ip}`;
    const n = inUse.get(slot) ?? 0;
    if (n >= LOCAL_PLUGIN_READS) return sendText(reply, 503, ERRORS.tooManyReads);
    inUse.set(slot, n + 1);
    let o: Awaited<ReturnType<typeof access.pluginFile>>;
    try {
      o = await access.pluginFile(req.params.pluginId, path, LOCAL_PLUGIN_FILE_MAX_BYTES);
    } finally {
      const left = (inUse.get(slot) ?? 1) - 1;
      if (left <= 0) inUse.delete(slot);
      else inUse.set(slot, left);
    }
    if (!o.ok) {
      switch (o.kind) {
        case "notConnected":
          return sendText(reply, 502, ERRORS.cliNotConnected);
        case "timeout":
          return sendText(reply, 504, ERRORS.cliNoResponse);
        case "tooLarge":
          return sendText(reply, 413, "File too large.");
        case "cli":
          return sendText(reply, 404, ERRORS.noSuchFile);
      }
    }
    return reply
      .header("content-type", MIME[extname(path).toLowerCase()] ?? "application/octet-stream")
      .header("content-security-policy", PLUGIN_CSP)
      .header("x-content-type-options", "nosniff")
      .header("cache-control", "no-cache")
      .send(Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength));
  });
}
