/**
 * HTTP routes of the integrations API (§11.3.10) plus the callback page, the audit log, the toolkit
 * list, admin routes (local owner only) and the per-user MCP endpoint. When integrations are off,
 * every route answers 503 `Integrations are not enabled on this server`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { INTEGRATION_ERRORS, integrationsConnectParams, integrationsExecuteParams, clampToolLimit, TOOLKIT_SLUG_RE } from "@taiku/protocol";
import { type AuthConfig, requireCaller } from "../http/auth.js";
import { HttpError } from "../http/errors.js";
import type { IntegrationsService } from "./service.js";
import { INTEGRATION_TEXT } from "./text.js";
import { rotateVaultKey } from "./rotation.js";
import { parseVaultKey } from "./vault.js";

export interface IntegrationsRouteDeps {
  /** null = integrations are off. */
  service: IntegrationsService | null;
  auth: AuthConfig;
  /** Extra origins allowed as `callbackUrl` (besides the app origins). */
  callbackOrigins: string[];
  /** Reads a built-in plugin's manifest text (for the declared-toolkit re-check), or null. */
  builtinManifest: (pluginId: string) => Promise<string | null>;
  /**
   * Persists a rotation in the vault key file when the keys came from it: "add" puts the new key first
   * (old keys still listed), "commit" leaves only the new key once every record is re-encrypted.
   */
  saveKeys?: (newKeyBase64: string, phase: "add" | "commit") => Promise<void>;
  db: Parameters<typeof rotateVaultKey>[0];
  vault: Parameters<typeof rotateVaultKey>[1] | null;
}

export const CALLBACK_PATH = "/api/v1/integrations/callback";
const PLUGIN_HEADER = "x-taiku-plugin-id";

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  return reply
    .code(status)
    .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
    .header("cache-control", "no-store")
    .header("referrer-policy", "no-referrer")
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>` +
        `<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem;text-align:center}</style></head>` +
        `<body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`,
    );
}

/** Maps the protocol's param schema failures to the §11.3.10 / §12 texts. */
function paramError(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): HttpError {
  const i = issues[0]!;
  const field = String(i.path[0] ?? "");
  if (field === "toolkit") return new HttpError(400, i.message === "invalid toolkit slug" ? INTEGRATION_ERRORS.serverInvalidSlug : INTEGRATION_ERRORS.toolkitRequired);
  if (field === "action") return new HttpError(400, INTEGRATION_ERRORS.actionRequired);
  if (field === "arguments") return new HttpError(400, INTEGRATION_ERRORS.argumentsNotObject);
  if (field === "callbackUrl") return new HttpError(400, INTEGRATION_ERRORS.callbackNotAllowed);
  return new HttpError(400, `Invalid params: ${i.message}`);
}

const adminAppBody = z.object({
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().max(4096).optional(),
  scopes: z.array(z.string().max(256)).max(100).optional(),
  issuer: z.string().url().optional(),
  authorizationEndpoint: z.string().url().optional(),
  tokenEndpoint: z.string().url().optional(),
  revocationEndpoint: z.string().url().optional(),
  revocationStyle: z.enum(["rfc7009", "github-grant", "bearer-post", "none"]).optional(),
  tokenAuth: z.enum(["client_secret_post", "client_secret_basic", "none"]).optional(),
  extraAuthParams: z.record(z.string(), z.string()).optional(),
});
const adminMcpBody = z.object({
  url: z.string().url(),
  name: z.string().max(128).optional(),
  clientId: z.string().max(512).optional(),
  clientSecret: z.string().max(4096).optional(),
  scopes: z.array(z.string().max(256)).max(100).optional(),
});

export function registerIntegrationRoutes(app: FastifyInstance, deps: IntegrationsRouteDeps): void {
  const svc = (): IntegrationsService => {
    if (!deps.service) throw new HttpError(503, INTEGRATION_ERRORS.notEnabled);
    return deps.service;
  };
  const caller = async (req: FastifyRequest) => (await requireCaller(deps.auth, req, { unauthenticated: INTEGRATION_ERRORS.notSignedIn })).account;
  // Execute answers before its audit row is written; closing waits for the rows still queued.
  if (deps.service) {
    const service = deps.service;
    app.addHook("onClose", async () => {
      await service.auditFlushed();
    });
  }
  const pluginIdOf = (req: FastifyRequest): string | null => {
    const v = req.headers[PLUGIN_HEADER];
    const id = Array.isArray(v) ? v[0] : v;
    return id && id.length <= 100 ? id : null;
  };
  const slugOf = (raw: unknown): string => {
    if (typeof raw !== "string" || raw.trim() === "") throw new HttpError(400, INTEGRATION_ERRORS.toolkitRequired);
    const slug = raw.trim().toLowerCase();
    if (!TOOLKIT_SLUG_RE.test(slug)) throw new HttpError(400, INTEGRATION_ERRORS.serverInvalidSlug);
    return slug;
  };
  /** §11.3.10: when the server knows the plugin's manifest it re-checks the declaration. */
  const checkDeclared = async (userId: string, req: FastifyRequest, toolkit: string): Promise<void> => {
    const pluginId = pluginIdOf(req);
    if (!pluginId) return;
    const declared = await svc().declaredToolkits(userId, pluginId, deps.builtinManifest);
    if (declared && !declared.includes(toolkit)) throw new HttpError(403, INTEGRATION_ERRORS.serverNotDeclared(toolkit, pluginId));
  };
  const appOrigins = (): Set<string> => new Set([...deps.auth.allowedOrigins, ...deps.callbackOrigins.map((o) => new URL(o).origin)]);
  const checkCallbackUrl = (raw: string | undefined, redirectUri: string): string => {
    if (raw === undefined || raw === "") return redirectUri;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new HttpError(400, INTEGRATION_ERRORS.callbackNotAllowed);
    }
    const localHttp = u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
    if ((u.protocol !== "https:" && !localHttp) || !appOrigins().has(u.origin)) throw new HttpError(400, INTEGRATION_ERRORS.callbackNotAllowed);
    return u.href;
  };

  app.get("/api/v1/integrations/connections", async (req) => {
    const s = svc();
    const account = await caller(req);
    return { connections: await s.listConnections(account.id) };
  });

  app.post("/api/v1/integrations/connections", async (req) => {
    const s = svc();
    const account = await caller(req);
    const parsed = integrationsConnectParams.safeParse(req.body ?? {});
    if (!parsed.success) throw paramError(parsed.error.issues);
    await checkDeclared(account.id, req, parsed.data.toolkit);
    const callbackUrl = checkCallbackUrl(parsed.data.callbackUrl, s.redirectUri);
    return s.connect(account.id, parsed.data.toolkit, callbackUrl);
  });

  app.delete<{ Params: { id: string } }>("/api/v1/integrations/connections/:id", async (req) => {
    const s = svc();
    const account = await caller(req);
    await s.disconnect(account.id, req.params.id);
    return { ok: true };
  });

  app.get("/api/v1/integrations/toolkits", async (req) => {
    const s = svc();
    await caller(req);
    return { toolkits: await s.listToolkits() };
  });

  app.get<{ Params: { toolkit: string }; Querystring: { search?: string; limit?: string } }>("/api/v1/integrations/toolkits/:toolkit/tools", async (req) => {
    const s = svc();
    const account = await caller(req);
    const toolkit = slugOf(req.params.toolkit);
    await checkDeclared(account.id, req, toolkit);
    const search = typeof req.query.search === "string" ? req.query.search : undefined;
    return { tools: await s.listTools(account.id, toolkit, { ...(search ? { search } : {}), limit: clampToolLimit(req.query.limit) }) };
  });

  app.post("/api/v1/integrations/execute", async (req, reply) => {
    const s = svc();
    const account = await caller(req);
    const parsed = integrationsExecuteParams.safeParse(req.body ?? {});
    if (!parsed.success) throw paramError(parsed.error.issues);
    const { toolkit, action, arguments: args } = parsed.data;
    await checkDeclared(account.id, req, toolkit);
    const pluginId = pluginIdOf(req);
    let outcome = "error";
    let status: number | null = null;
    try {
      const result = await s.execute(account.id, toolkit, action, args);
      if (result.kind === "http_error") {
        outcome = "upstream_error";
        status = result.status;
        // Verbatim: no wrapping, no summary (§12.7). The upstream status travels in a header.
        return reply.code(502).header("x-taiku-upstream-status", String(result.status)).type("text/plain; charset=utf-8").send(result.bodyText);
      }
      outcome = "ok";
      status = 200;
      return reply.code(200).type("application/json; charset=utf-8").send(JSON.stringify(result.body ?? null));
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        outcome = err.status === 400 ? "invalid_arguments" : err.status === 404 ? "unknown_tool" : err.status === 409 ? "not_connected" : "error";
      } else {
        outcome = "network_error";
        status = 502;
        req.log.warn({ toolkit, action, err: (err as Error).message }, "integration upstream request failed");
        throw new HttpError(502, `Upstream request failed: ${(err as Error).message}`);
      }
      throw err;
    } finally {
      // Not awaited: the row is queued in call order and written right after (see service.audit).
      void s.audit(account.id, { pluginId, toolkit, action, outcome, status }).catch((e: Error) => req.log.error({ err: e.message }, "audit write failed"));
    }
  });

  app.get<{ Querystring: { limit?: string } }>("/api/v1/integrations/audit", async (req) => {
    const s = svc();
    const account = await caller(req);
    const limit = Math.min(1000, Math.max(1, Number.parseInt(req.query.limit ?? "100", 10) || 100));
    return { entries: await s.auditLog(account.id, limit) };
  });

  app.get(CALLBACK_PATH, async (req, reply) => {
    const s = svc();
    const params = new URL(req.url, "http://callback.invalid").searchParams;
    const r = await s.handleCallback(params);
    if (!r.callbackUrl) return page(reply, 400, "Connection failed", r.message);
    if (r.callbackUrl === s.redirectUri) {
      return r.ok ? page(reply, 200, "Connected — you can close this tab", `Your ${r.toolkit} account is connected to taiku.`) : page(reply, 400, "Connection failed", r.message);
    }
    const target = new URL(r.callbackUrl);
    target.searchParams.set("toolkit", r.toolkit ?? "");
    target.searchParams.set("connectionId", r.connectionId ?? "");
    target.searchParams.set("status", r.ok ? "ACTIVE" : "FAILED");
    return reply.redirect(target.href, 302);
  });

  // ---- admin (the local owner account)
  const admin = async (req: FastifyRequest) => {
    const s = svc();
    const account = await caller(req);
    if (!(await s.isOwner(account.id))) throw new HttpError(403, INTEGRATION_TEXT.adminOnly);
    return s;
  };
  app.put<{ Params: { toolkit: string } }>("/api/v1/integrations/admin/apps/:toolkit", async (req) => {
    const s = await admin(req);
    const parsed = adminAppBody.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, `invalid request body: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const body = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as typeof parsed.data;
    await s.setApp(slugOf(req.params.toolkit), body);
    return { ok: true };
  });
  app.put<{ Params: { toolkit: string } }>("/api/v1/integrations/admin/mcp/:toolkit", async (req) => {
    const s = await admin(req);
    const parsed = adminMcpBody.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, `invalid request body: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const body = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as typeof parsed.data;
    await s.addMcpServer(slugOf(req.params.toolkit), body);
    return { ok: true };
  });
  app.post("/api/v1/integrations/admin/rotate-key", async (req) => {
    await admin(req);
    const raw = (req.body as { key?: unknown } | undefined)?.key;
    if (typeof raw !== "string") throw new HttpError(400, "invalid request body: key: a new base64 vault key is required (openssl rand -base64 32)");
    let key: Buffer;
    try {
      key = parseVaultKey(raw);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    const vault = deps.vault!;
    // Old keys stay in the file until every record is re-encrypted.
    if (deps.saveKeys) await deps.saveKeys(raw.trim(), "add");
    const r = await rotateVaultKey(deps.db, vault, key);
    if (deps.saveKeys) await deps.saveKeys(raw.trim(), "commit");
    return { ok: true, keyId: r.keyId, records: r.records, keyFileUpdated: Boolean(deps.saveKeys) };
  });

  // ---- MCP endpoint: the user's connected toolkits as one MCP server (Streamable HTTP, API key).
  const mcp = async (req: FastifyRequest, reply: FastifyReply) => {
    const s = svc();
    const account = (await requireCaller(deps.auth, req, { apiKeyOnly: true, unauthenticated: INTEGRATION_ERRORS.notSignedIn })).account;
    // The MCP SDK is loaded on the first MCP request, not at start (docs/decisions.md, "Smaller choices").
    const { handleMcpRequest } = await import("./mcp-server.js");
    await handleMcpRequest(s, account.id, req, reply);
  };
  app.post("/api/v1/mcp", mcp);
  app.get("/api/v1/mcp", mcp);
  app.delete("/api/v1/mcp", mcp);
}

