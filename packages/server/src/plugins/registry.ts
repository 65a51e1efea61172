/**
 * Built-in plugins (§4.1, §11.3.11): every `<pluginsDir>/<id>/manifest.json` that passes
 * validateManifest is listed in the registry and its directory is served under `/plugins/<id>/`.
 * A manifest that fails is skipped with a logged reason and never served.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from "fastify";
import { type PluginManifest, validateManifest } from "@taiku/protocol";
import { fileFor, MIME } from "../http/static.js";
import { sendText, TEXT } from "../http/errors.js";

export interface BuiltinPlugin {
  manifest: PluginManifest;
  /** Root-relative, so it resolves the same against /plugins/registry.json and /api/v1/registry. */
  manifestUrl: string;
  /** Real path of the plugin's directory. */
  dir: string;
}

export type Builtins = ReadonlyMap<string, BuiltinPlugin>;

/**
 * Default plugins directory: `plugins/` next to the running module (the bundled CLI ships it there),
 * else the checkout's top-level `plugins/` (this file is `packages/server/{src,dist}/plugins/registry.*`).
 */
export function defaultPluginsDir(moduleDir = dirname(fileURLToPath(import.meta.url))): string {
  const candidates = [join(moduleDir, "plugins"), resolve(moduleDir, "..", "..", "..", "..", "plugins")];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[1]!;
}

export async function loadBuiltins(pluginsDir: string, log: FastifyBaseLogger): Promise<Map<string, BuiltinPlugin>> {
  const builtins = new Map<string, BuiltinPlugin>();
  const entries = await readdir(pluginsDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    log.warn({ pluginsDir, code: err.code }, "no built-in plugins: plugins directory not readable");
    return [];
  });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const dir = join(pluginsDir, entry.name);
    const skip = (reason: string) => log.warn({ plugin: entry.name, reason }, "built-in plugin skipped");
    const text = await readFile(join(dir, "manifest.json"), "utf8").catch(() => null);
    if (text === null) {
      skip("no readable manifest.json");
      continue;
    }
    const result = validateManifest(text);
    if (!result.ok) {
      skip(result.error);
      continue;
    }
    const { manifest } = result;
    // The URL path is the directory name, so the two must agree or /plugins/<id>/ would serve another plugin.
    if (manifest.id !== entry.name) {
      skip(`manifest id "${manifest.id}" does not match its directory name`);
      continue;
    }
    for (const warning of result.warnings) log.warn({ plugin: manifest.id, warning }, "built-in plugin manifest warning");
    builtins.set(manifest.id, { manifest, manifestUrl: `/plugins/${manifest.id}/manifest.json`, dir: await realpath(dir) });
  }
  log.info({ pluginsDir, plugins: [...builtins.keys()] }, "built-in plugins loaded");
  return builtins;
}

/**
 * The registry document (§4.1). `manifest_url` repeats `manifestUrl` in the snake_case spelling of
 * the session plugin set (§10), so either reader finds it.
 */
export function registryDocument(builtins: Builtins) {
  return {
    version: 1 as const,
    plugins: [...builtins.values()].map(({ manifest: m, manifestUrl }) => ({
      id: m.id,
      name: m.name,
      version: m.version,
      ...(m.author !== undefined ? { author: m.author } : {}),
      ...(m.description !== undefined ? { description: m.description } : {}),
      ...(m.tagline !== undefined ? { tagline: m.tagline } : {}),
      ...(m.categories !== undefined ? { categories: m.categories } : {}),
      ...(m.icon !== undefined ? { icon: m.icon } : {}),
      manifestUrl,
      manifest_url: manifestUrl,
      builtIn: true,
    })),
  };
}

/**
 * CSP of everything under /plugins/. Panel pages run in sandboxed iframes and talk to the host only
 * through postMessage, so they need inline and same-directory scripts and styles, images and media
 * (data:/blob: for generated ones), and nothing else:
 * - `connect-src 'none'`: no fetch/XHR/WebSocket, so data a plugin receives over the bridge cannot be
 *   sent anywhere; network access goes through host methods that check permissions (integrations).
 * - `sandbox ...`: the same flags as the host's iframe attribute, applied by the server too, so a
 *   plugin page opened directly (top level, on the app origin) still gets an opaque origin and
 *   cannot read the app's cookies or storage.
 * - `frame-ancestors 'self'`: only the taiku app may frame built-in pages.
 * - `form-action 'none'`, `base-uri 'none'`: no posting data away, no rebasing relative URLs.
 */
export const PLUGIN_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
  "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads",
].join("; ");

async function sendPluginFile(reply: FastifyReply, plugin: BuiltinPlugin, urlPath: string): Promise<FastifyReply> {
  const file = fileFor(plugin.dir, urlPath);
  // realpath also defeats symlinks inside the plugin directory that point out of it.
  const real = file && (await realpath(file).catch(() => null));
  const info = real && real.startsWith(plugin.dir + sep) ? await stat(real).catch(() => null) : null;
  if (!real || !info?.isFile()) return sendText(reply, 404, TEXT.notFound);
  return reply
    .header("content-type", MIME[extname(real).toLowerCase()] ?? "application/octet-stream")
    .header("content-security-policy", PLUGIN_CSP)
    .header("cache-control", "no-cache")
    .send(await readFile(real));
}

export function registerRegistryRoutes(app: FastifyInstance, builtins: Builtins): void {
  const doc = registryDocument(builtins);
  app.get("/plugins/registry.json", async () => doc);
  app.get("/api/v1/registry", async () => doc);
  app.get<{ Params: { pluginId: string } }>("/plugins/:pluginId/*", async (req, reply) => {
    const plugin = builtins.get(req.params.pluginId);
    if (!plugin) return sendText(reply, 404, TEXT.notFound);
    // From the raw URL, not the decoded wildcard: fileFor decodes exactly once and then rejects
    // dot segments, so `%2e%2e` cannot slip through as an already-decoded `..`.
    const afterPrefix = req.url.split("?")[0]!.slice("/plugins/".length);
    return sendPluginFile(reply, plugin, afterPrefix.slice(afterPrefix.indexOf("/")));
  });
}
