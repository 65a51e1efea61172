/**
 * Per-user plugins (§4.1): the built-ins plus plugins the user installed from a manifest URL, each
 * with the user's enabled flag. Built-ins start disabled: enabling is the moment the web app shows
 * the permission list (§4.1 "shows the user its permission list ... before enabling").
 */
import type { FastifyInstance } from "fastify";
import { MANIFEST_MAX_BYTES, type PluginManifest, validateManifest } from "@taiku/protocol";
import { z } from "zod";
import type { Db } from "../db/database.js";
import { type AuthConfig, requireCaller } from "../http/auth.js";
import { HttpError, parseBody } from "../http/errors.js";
import { checkPluginId } from "./owner.js";
import type { Builtins } from "./registry.js";
import { PLUGIN_TEXT } from "./texts.js";

export interface UserPlugin {
  id: string;
  name: string;
  version: string;
  manifestUrl: string;
  enabled: boolean;
  builtIn: boolean;
  manifest: PluginManifest;
}

export interface EnablementDeps {
  db: Db;
  auth: AuthConfig;
  builtins: Builtins;
  now: () => number;
  installTimeoutMs: number;
  /** The app origin, for validateManifest (panel pages on it may be plain http). */
  appOrigin: () => string | undefined;
}

const enableBody = z.object({ enabled: z.boolean() });
const installBody = z.object({ manifestUrl: z.string().min(1).max(2048), enabled: z.boolean().optional() });

const entry = (manifest: PluginManifest, manifestUrl: string, enabled: boolean, builtIn: boolean): UserPlugin => ({
  id: manifest.id,
  name: manifest.name,
  version: manifest.version,
  manifestUrl,
  enabled,
  builtIn,
  manifest,
});

export function registerEnablementRoutes(app: FastifyInstance, deps: EnablementDeps): void {
  const { db, builtins } = deps;

  async function list(accountId: string): Promise<UserPlugin[]> {
    const rows = await db.selectFrom("user_plugins").selectAll().where("account_id", "=", accountId).orderBy("plugin_id").execute();
    const byId = new Map(rows.map((r) => [r.plugin_id, r]));
    const out = [...builtins.values()].map((b) => entry(b.manifest, b.manifestUrl, byId.get(b.manifest.id)?.enabled === 1, true));
    for (const r of rows) {
      // Rows without a manifest are enablement flags of built-ins (listed above, or since removed).
      if (r.manifest !== null && !builtins.has(r.plugin_id)) out.push(entry(JSON.parse(r.manifest) as PluginManifest, r.manifest_url, r.enabled === 1, false));
    }
    return out;
  }

  async function save(accountId: string, pluginId: string, manifestUrl: string, manifest: string | null, enabled: boolean): Promise<void> {
    const row = { manifest_url: manifestUrl, manifest, enabled: enabled ? 1 : 0, updated_at: deps.now() };
    await db
      .insertInto("user_plugins")
      .values({ account_id: accountId, plugin_id: pluginId, ...row })
      .onConflict((oc) => oc.columns(["account_id", "plugin_id"]).doUpdateSet(row))
      .execute();
  }

  app.get("/api/v1/plugins", async (req) => list((await requireCaller(deps.auth, req)).account.id));

  app.put<{ Params: { pluginId: string } }>("/api/v1/plugins/:pluginId", async (req) => {
    const accountId = (await requireCaller(deps.auth, req)).account.id;
    const pluginId = checkPluginId(req.params.pluginId);
    const { enabled } = parseBody(enableBody, req.body);
    const current = (await list(accountId)).find((p) => p.id === pluginId);
    if (!current) throw new HttpError(404, PLUGIN_TEXT.pluginNotFound);
    await save(accountId, pluginId, current.manifestUrl, current.builtIn ? null : JSON.stringify(current.manifest), enabled);
    return { ...current, enabled };
  });

  app.post("/api/v1/plugins/install", async (req, reply) => {
    const accountId = (await requireCaller(deps.auth, req)).account.id;
    const body = parseBody(installBody, req.body);
    const text = await fetchManifest(body.manifestUrl, deps.installTimeoutMs);
    const appOrigin = deps.appOrigin();
    const result = validateManifest(text, { manifestUrl: body.manifestUrl, ...(appOrigin ? { appOrigin } : {}) });
    if (!result.ok) throw new HttpError(400, result.error);
    const { manifest, warnings } = result;
    if (builtins.has(manifest.id)) throw new HttpError(409, PLUGIN_TEXT.builtInId(manifest.id));
    const enabled = body.enabled ?? true;
    await save(accountId, manifest.id, body.manifestUrl, JSON.stringify(manifest), enabled);
    return reply.code(201).send({ ...entry(manifest, body.manifestUrl, enabled, false), warnings });
  });

  // Removing an installed plugin forgets it; for a built-in it forgets the user's choice (back to disabled).
  // The plugin's User KV and files stay: reinstalling it finds them again.
  app.delete<{ Params: { pluginId: string } }>("/api/v1/plugins/:pluginId", async (req) => {
    const accountId = (await requireCaller(deps.auth, req)).account.id;
    const pluginId = checkPluginId(req.params.pluginId);
    const res = await db.deleteFrom("user_plugins").where("account_id", "=", accountId).where("plugin_id", "=", pluginId).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0 && !builtins.has(pluginId)) throw new HttpError(404, PLUGIN_TEXT.pluginNotFound);
    return { ok: true };
  });
}

/**
 * GETs a manifest URL: http(s) only, a deadline, and at most 256 KiB + 1 byte read (one byte over
 * is enough for validateManifest to reject the size with its own message).
 */
export async function fetchManifest(manifestUrl: string, timeoutMs: number): Promise<string> {
  let url: URL;
  try {
    url = new URL(manifestUrl);
  } catch {
    throw new HttpError(400, PLUGIN_TEXT.manifestUrlScheme);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new HttpError(400, PLUGIN_TEXT.manifestUrlScheme);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { signal, headers: { accept: "application/json" }, redirect: "follow" });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new HttpError(502, PLUGIN_TEXT.fetchFailed(`HTTP ${res.status}`));
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(r.value);
      size += r.value.byteLength;
      if (size > MANIFEST_MAX_BYTES) {
        await reader.cancel(); // the rest of an oversized body is never read
        break;
      }
    }
    return Buffer.concat(chunks).subarray(0, MANIFEST_MAX_BYTES + 1).toString("utf8");
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (signal.aborted) throw new HttpError(504, PLUGIN_TEXT.fetchFailed(`no answer within ${timeoutMs} ms`));
    // fetch wraps the reason ("fetch failed"); the cause says what happened (ECONNREFUSED, bad port…).
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HttpError(502, PLUGIN_TEXT.fetchFailed(cause?.code ?? cause?.message ?? (err as Error).message));
  }
}
