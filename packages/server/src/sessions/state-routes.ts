/**
 * Session KV over HTTP (§11.3.2) and the session-managed plugin set (§11.3.4). Both read and write
 * the relay's live session state; HTTP KV writes reach every browser as `pluginKvDiff` with userId 0.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ERRORS } from "@taiku/protocol";
import { HttpError } from "../http/errors.js";
import { checkPluginId } from "../plugins/owner.js";
import type { Relay } from "../seams.js";
import { type NonceStore, requireSession } from "./auth.js";

type KvParams = { id: string; pluginId: string; key: string };
const MAX_KEY_CHARS = 256;
/** The quota check (64 KiB) gives the documented 413; the body limit only stops absurd bodies. */
const KV_BODY_LIMIT = 1024 * 1024;

function checkKey(key: string): string {
  if (key.length < 1 || key.length > MAX_KEY_CHARS) throw new HttpError(400, "key must be 1-256 characters");
  return key;
}

export function registerStateRoutes(app: FastifyInstance, relay: () => Relay, nonces: NonceStore): void {
  const viewer = (req: FastifyRequest<{ Params: { id: string } }>) => requireSession(relay(), nonces, req, "viewer");

  app.get<{ Params: { id: string; pluginId: string } }>("/api/v1/sessions/:id/kv/:pluginId", async (req) => {
    const { access } = await viewer(req);
    return access.kvList(checkPluginId(req.params.pluginId));
  });

  app.get<{ Params: KvParams }>("/api/v1/sessions/:id/kv/:pluginId/:key", async (req, reply) => {
    const { access } = await viewer(req);
    const r = access.kvGet(checkPluginId(req.params.pluginId), checkKey(req.params.key));
    if (!r.found) throw new HttpError(404, ERRORS.keyNotFound);
    // Raw JSON value (a bare string must come back quoted, so serialise by hand).
    return reply.type("application/json; charset=utf-8").send(JSON.stringify(r.value));
  });

  app.put<{ Params: KvParams; Body: unknown }>("/api/v1/sessions/:id/kv/:pluginId/:key", { bodyLimit: KV_BODY_LIMIT }, async (req) => {
    const { access } = await viewer(req);
    const pluginId = checkPluginId(req.params.pluginId);
    const key = checkKey(req.params.key);
    const body = req.body as { value?: unknown } | null;
    if (typeof body !== "object" || body === null || !("value" in body) || body.value === undefined) {
      throw new HttpError(400, 'invalid request body: send {"value": <json>}');
    }
    const r = access.kvSet(pluginId, key, body.value);
    if (!r.ok) throw new HttpError(r.code === "quota" ? 413 : 400, r.message);
    return { ok: true };
  });

  app.delete<{ Params: KvParams }>("/api/v1/sessions/:id/kv/:pluginId/:key", async (req) => {
    const { access } = await viewer(req);
    access.kvDelete(checkPluginId(req.params.pluginId), checkKey(req.params.key));
    return { ok: true };
  });

  app.get<{ Params: { id: string } }>("/api/v1/sessions/:id/plugins", async (req) => {
    const { access } = await viewer(req);
    return access.plugins();
  });

  app.patch<{ Params: { id: string; pluginId: string }; Body: unknown }>("/api/v1/sessions/:id/plugins/:pluginId", async (req) => {
    const { access } = await requireSession(relay(), nonces, req, "admin", ERRORS.sessionNotFound);
    const body = req.body as { enabled?: unknown } | null;
    if (typeof body !== "object" || body === null || typeof body.enabled !== "boolean") {
      throw new HttpError(400, 'invalid request body: send {"enabled": true|false}');
    }
    if (!access.setPluginEnabled(req.params.pluginId, body.enabled)) throw new HttpError(404, "Plugin not found.");
    return { ok: true };
  });
}
