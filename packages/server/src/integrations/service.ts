/**
 * The self-hosted integrations provider (§12.9): OAuth connections per account with tokens in the
 * vault, built-in toolkits from generated catalogues, remote MCP servers as toolkits, refresh ahead of
 * expiry (single-flight per connection), revocation on disconnect, and an audit log of executions.
 *
 * Connections, tokens and tool calls are here; toolkits and their OAuth apps are `toolkit-apps.ts`,
 * the audit log `audit.ts`, the tables `tables.ts`, the constructor's inputs `deps.ts`.
 */
import { createHash } from "node:crypto";
import { HttpError } from "../http/errors.js";
import { AuditLog, type AuditEntry } from "./audit.js";
import type { IntegrationsServiceDeps } from "./deps.js";
import { newId } from "./ids.js";
import { authorizationUrl, exchangeCode, generateState, generateVerifier, OAuthFlowError, refreshTokens, revokeTokens, type ResolvedApp, type TokenSet } from "./oauth.js";
import { BUILTIN_PROVIDERS, type ApiStyle, type McpToolkitConfig, type ToolkitAppConfig } from "./providers/index.js";
import type { ConnectionStatus } from "./tables.js";
import { CatalogueStore, type CatalogueTool, type PublicTool, searchTools, toPublic, validateArguments } from "./toolkits/catalogue.js";
import { executeTool, type ExecuteResult } from "./toolkits/execute.js";
import { INTEGRATION_TEXT } from "./text.js";
import { mcpClient, ToolkitApps } from "./toolkit-apps.js";
import { Vault } from "./vault.js";

export type { ExecuteResult } from "./toolkits/execute.js";

/** §12.9, verbatim. */
export interface IntegrationsProvider {
  listConnections(userId: string): Promise<Array<{ id: string; toolkit: string; status: string }>>;
  connect(userId: string, toolkit: string, callbackUrl: string): Promise<{ connectionId: string; redirectUrl: string; status: string }>;
  listTools(
    userId: string,
    toolkit: string,
    opts: { search?: string; limit: number },
  ): Promise<Array<{ slug: string; name: string; description: string; inputParameters: object }>>;
  execute(userId: string, toolkit: string, action: string, args: Record<string, unknown>): Promise<ExecuteResult>;
}

export type { AuditEntry } from "./audit.js";
export { DEFAULT_INTEGRATIONS_TIMERS, type IntegrationsServiceDeps, type IntegrationsTimers } from "./deps.js";
export type { AppsTable, AuditTable, ConnectionsTable, ConnectionStatus, IntegrationsTables } from "./tables.js";

/** See IntegrationsService.connCache. */
export const CONNECTION_CACHE_MS = 5_000;
const CONNECTION_CACHE_MAX = 10_000;

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");
/** A token answer's `scope` (space- or comma-separated, as GitHub and Linear send it) as a list. */
export const parseScopes = (scope: string | undefined): string[] => (scope ?? "").split(/[\s,]+/).filter(Boolean);
const union = (...lists: string[][]): string[] => [...new Set(lists.flat())];

/**
 * Connector hooks (set by the connectors host): the scopes a user's enabled connectors need for a
 * toolkit (added to every authorization request), and a notice when a connection becomes ACTIVE.
 */
export interface ConnectionHooks {
  scopes(userId: string, toolkit: string): Promise<string[]>;
  activated(userId: string, toolkit: string, grantedScopes: string[]): Promise<void>;
}

export { INTEGRATION_TEXT } from "./text.js";

export class IntegrationsService implements IntegrationsProvider {
  private readonly catalogues: CatalogueStore;
  private readonly refreshing = new Map<string, Promise<TokenSet>>();
  private readonly mcpToolCache = new Map<string, { at: number; tools: Array<PublicTool & { mcpName: string }> }>();
  /** Counts refresh grants actually sent (observability; tests assert single-flight with the AS's own count). */
  refreshCount = 0;
  /**
   * The usable connection per (user, toolkit), with its tokens opened, so that an execute does not
   * read and decrypt the row each time. Every write to integration_connections here drops it all
   * (`connectionsChanged`); `CONNECTION_CACHE_MS` bounds how long a change made outside this process
   * can go unseen. Plaintext tokens live in memory only, as they do during any request.
   */
  private readonly connCache = new Map<string, { connectionId: string; tokens: TokenSet; at: number }>();
  private connGeneration = 0;
  private readonly apps: ToolkitApps;
  private readonly auditRows: AuditLog;

  constructor(private readonly d: IntegrationsServiceDeps) {
    this.catalogues = new CatalogueStore(d.catalogueDir);
    this.apps = new ToolkitApps(d, this.catalogues, () => this.redirectUri);
    this.auditRows = new AuditLog(d);
  }

  private hooks: ConnectionHooks | null = null;
  setConnectionHooks(h: ConnectionHooks): void {
    this.hooks = h;
  }

  get redirectUri(): string {
    return `${this.d.publicUrl()}/api/v1/integrations/callback`;
  }

  // ---------------------------------------------------------------- toolkits and apps

  isMcp(toolkit: string): boolean {
    return this.apps.isMcp(toolkit);
  }

  /** Loads admin-set MCP toolkits (they live in integration_apps with kind "mcp-server"). */
  init(): Promise<void> {
    return this.apps.init();
  }

  listToolkits(): Promise<Array<{ slug: string; name: string; kind: "builtin" | "mcp"; configured: boolean; toolCount: number | null }>> {
    return this.apps.listToolkits();
  }

  /** Admin: registers (or replaces) a built-in toolkit's OAuth app. The secret goes to the vault. */
  setApp(toolkit: string, cfg: ToolkitAppConfig): Promise<void> {
    return this.apps.setApp(toolkit, cfg);
  }

  /** Admin: adds a remote MCP server as a toolkit. */
  addMcpServer(toolkit: string, cfg: McpToolkitConfig): Promise<void> {
    return this.apps.addMcpServer(toolkit, cfg);
  }

  // ---------------------------------------------------------------- connections

  async listConnections(userId: string): Promise<Array<{ id: string; toolkit: string; status: string }>> {
    const rows = await this.d.db
      .selectFrom("integration_connections")
      .select(["id", "toolkit", "status", "expires_at", "tokens", "created_at", "updated_at"])
      .where("account_id", "=", userId)
      .execute();
    const now = this.d.now();
    const out: Array<{ id: string; toolkit: string; status: string; rank: number; updated: number }> = [];
    for (const r of rows) {
      let status = r.status;
      if (status === "INITIATED" && r.created_at + this.d.timers.stateTtlMs < now) {
        status = "FAILED";
        await this.setStatus(r.id, "FAILED", INTEGRATION_TEXT.stateExpired);
      }
      if (status === "ACTIVE" && r.expires_at !== null && r.expires_at <= now && !this.tokensOf(r.id, r.tokens)?.refreshToken) {
        status = "EXPIRED";
        await this.setStatus(r.id, "EXPIRED", "access token expired and no refresh token");
      }
      out.push({ id: r.id, toolkit: r.toolkit, status, rank: status === "ACTIVE" ? 0 : status === "INITIATED" ? 1 : 2, updated: r.updated_at });
    }
    // ACTIVE first, so `connections.find(c => c.toolkit === "github")` picks the working one.
    out.sort((a, b) => a.rank - b.rank || b.updated - a.updated);
    return out.map(({ id, toolkit, status }) => ({ id, toolkit, status }));
  }

  /**
   * Starts an authorization. The request asks for the union of the toolkit app's scopes, the scopes
   * of the user's connectors on this toolkit and `extraScopes` (a connector about to be enabled).
   */
  async connect(userId: string, toolkit: string, callbackUrl: string, extraScopes: string[] = []): Promise<{ connectionId: string; redirectUrl: string; status: string }> {
    if (!this.apps.knownToolkit(toolkit)) throw new HttpError(404, INTEGRATION_TEXT.unknownToolkit(toolkit));
    const resolved = await this.apps.resolveApp(toolkit);
    const app = this.isMcp(toolkit) ? resolved : { ...resolved, scopes: union(resolved.scopes, (await this.hooks?.scopes(userId, toolkit)) ?? [], extraScopes) };
    const now = this.d.now();
    // Earlier unfinished attempts for this toolkit are superseded.
    await this.d.db
      .deleteFrom("integration_connections")
      .where("account_id", "=", userId)
      .where("toolkit", "=", toolkit)
      .where("status", "in", ["INITIATED", "FAILED"])
      .execute();
    this.connectionsChanged();
    const id = newId("conn");
    const state = generateState();
    const verifier = generateVerifier();
    await this.d.db
      .insertInto("integration_connections")
      .values({
        id,
        account_id: userId,
        toolkit,
        status: "INITIATED",
        tokens: null,
        // The requested scopes ride along (sealed JSON); a token answer without `scope` grants them (RFC 6749 §5.1).
        pkce_verifier: this.d.vault.seal(JSON.stringify({ v: verifier, s: app.scopes }), `connection:${id}:pkce`),
        key_id: this.d.vault.currentKeyId,
        state_hash: sha256(state),
        callback_url: callbackUrl,
        expires_at: null,
        error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    this.connectionsChanged();
    const redirectUrl = await authorizationUrl(app, { redirectUri: this.redirectUri, state, verifier });
    return { connectionId: id, redirectUrl, status: "INITIATED" };
  }

  /**
   * The OAuth redirect back to us. Returns where to send the browser (the connection's callbackUrl)
   * and what happened; never throws for provider-side failures (they make the connection FAILED).
   */
  async handleCallback(params: URLSearchParams): Promise<{ ok: boolean; message: string; callbackUrl: string | null; connectionId?: string; toolkit?: string }> {
    const state = params.get("state");
    const row = state
      ? await this.d.db.selectFrom("integration_connections").selectAll().where("state_hash", "=", sha256(state)).executeTakeFirst()
      : undefined;
    if (!state || !row || row.status !== "INITIATED" || !row.pkce_verifier) return { ok: false, message: INTEGRATION_TEXT.unknownState, callbackUrl: null };
    // The state is single use, whatever happens next.
    await this.d.db.updateTable("integration_connections").set({ state_hash: null }).where("id", "=", row.id).execute();
    this.connectionsChanged();
    const base = { callbackUrl: row.callback_url, connectionId: row.id, toolkit: row.toolkit };
    const now = this.d.now();
    if (row.created_at + this.d.timers.stateTtlMs < now) {
      await this.setStatus(row.id, "FAILED", INTEGRATION_TEXT.stateExpired);
      return { ok: false, message: INTEGRATION_TEXT.stateExpired, ...base };
    }
    try {
      const app = await this.apps.resolveApp(row.toolkit);
      const opened = this.d.vault.open(row.pkce_verifier, `connection:${row.id}:pkce`);
      const pending = opened.startsWith("{") ? (JSON.parse(opened) as { v: string; s: string[] }) : { v: opened, s: app.scopes };
      const verifier = pending.v;
      const tokens = await exchangeCode(app, this.d.fetch, { params, expectedState: state, verifier, redirectUri: this.redirectUri, now });
      // Granted scopes: the token answer's `scope`, else what was requested.
      tokens.scope = (tokens.scope !== undefined ? parseScopes(tokens.scope) : pending.s).join(" ");
      await this.d.db
        .updateTable("integration_connections")
        .set({
          status: "ACTIVE",
          tokens: this.d.vault.seal(JSON.stringify(tokens), `connection:${row.id}:tokens`),
          pkce_verifier: null,
          key_id: this.d.vault.currentKeyId,
          expires_at: tokens.expiresAt,
          error: null,
          updated_at: now,
        })
        .where("id", "=", row.id)
        .execute();
      this.connectionsChanged();
      // A successful reconnect replaces the user's older connections to the same toolkit.
      const older = await this.d.db
        .selectFrom("integration_connections")
        .select(["id", "tokens"])
        .where("account_id", "=", row.account_id)
        .where("toolkit", "=", row.toolkit)
        .where("id", "!=", row.id)
        .execute();
      for (const o of older) await this.removeConnection(o.id, o.tokens, app);
      this.mcpToolCache.delete(row.account_id + "\0" + row.toolkit);
      await this.hooks?.activated(row.account_id, row.toolkit, parseScopes(tokens.scope)).catch(() => undefined);
      return { ok: true, message: "Connected", ...base };
    } catch (err) {
      const message = err instanceof OAuthFlowError || err instanceof HttpError ? err.message : `authorization failed: ${(err as Error).message}`;
      await this.setStatus(row.id, "FAILED", message);
      return { ok: false, message, ...base };
    }
  }

  async disconnect(userId: string, connectionId: string): Promise<void> {
    const row = await this.d.db
      .selectFrom("integration_connections")
      .select(["id", "toolkit", "tokens"])
      .where("id", "=", connectionId)
      .where("account_id", "=", userId)
      .executeTakeFirst();
    if (!row) throw new HttpError(404, INTEGRATION_TEXT.connectionNotFound);
    const app = await this.apps.resolveApp(row.toolkit).catch(() => null);
    await this.removeConnection(row.id, row.tokens, app);
  }

  private async removeConnection(id: string, sealedTokens: string | null, app: ResolvedApp | null): Promise<void> {
    const tokens = this.tokensOf(id, sealedTokens);
    await this.d.db.deleteFrom("integration_connections").where("id", "=", id).execute();
    this.connectionsChanged();
    if (tokens && app) await revokeTokens(app, this.d.fetch, tokens).catch(() => undefined);
  }

  private tokensOf(id: string, sealed: string | null): TokenSet | null {
    if (!sealed) return null;
    try {
      return JSON.parse(this.d.vault.open(sealed, `connection:${id}:tokens`)) as TokenSet;
    } catch {
      throw new HttpError(500, INTEGRATION_TEXT.undecryptable(Vault.keyIdOf(sealed) ?? "?"));
    }
  }

  private async setStatus(id: string, status: ConnectionStatus, error: string | null): Promise<void> {
    await this.d.db.updateTable("integration_connections").set({ status, error, updated_at: this.d.now() }).where("id", "=", id).execute();
    this.connectionsChanged();
  }

  /** Scopes granted to the user's ACTIVE connection to a toolkit; null without one. */
  async grantedScopes(userId: string, toolkit: string): Promise<string[] | null> {
    const row = await this.d.db
      .selectFrom("integration_connections")
      .select(["id", "tokens"])
      .where("account_id", "=", userId)
      .where("toolkit", "=", toolkit)
      .where("status", "=", "ACTIVE")
      .orderBy("updated_at", "desc")
      .executeTakeFirst();
    const tokens = row ? this.tokensOf(row.id, row.tokens) : null;
    if (!tokens) return null;
    // Connections made before scopes were tracked: they were granted what the app asked for then.
    if (tokens.scope === undefined) return this.isMcp(toolkit) ? [] : (await this.apps.resolveApp(toolkit)).scopes.flatMap((s) => parseScopes(s));
    return parseScopes(tokens.scope);
  }

  /** The user's usable access token for a toolkit, refreshed ahead of expiry; one refresh per connection at a time. */
  async accessToken(userId: string, toolkit: string): Promise<{ connectionId: string; token: string; scopes: string[] }> {
    const key = userId + "\0" + toolkit;
    const hit = this.connCache.get(key);
    const at = this.d.now();
    if (hit && at >= hit.at && at - hit.at < CONNECTION_CACHE_MS) return this.usableToken(hit.connectionId, toolkit, hit.tokens);
    const generation = this.connGeneration;
    const row = await this.d.db
      .selectFrom("integration_connections")
      .select(["id", "status", "tokens", "expires_at"])
      .where("account_id", "=", userId)
      .where("toolkit", "=", toolkit)
      .where("status", "in", ["ACTIVE", "EXPIRED"])
      .orderBy("updated_at", "desc")
      .executeTakeFirst();
    if (!row) throw new HttpError(409, INTEGRATION_TEXT.notConnected(toolkit));
    if (row.status === "EXPIRED") throw new HttpError(409, INTEGRATION_TEXT.expired(toolkit));
    const tokens = this.tokensOf(row.id, row.tokens);
    if (!tokens) throw new HttpError(409, INTEGRATION_TEXT.notConnected(toolkit));
    if (generation === this.connGeneration) {
      if (this.connCache.size >= CONNECTION_CACHE_MAX) this.connCache.clear();
      this.connCache.set(key, { connectionId: row.id, tokens, at: this.d.now() });
    }
    return this.usableToken(row.id, toolkit, tokens);
  }

  /** Drops every cached connection: called after each write to integration_connections. */
  private connectionsChanged(): void {
    this.connGeneration++;
    this.connCache.clear();
  }

  private async usableToken(connectionId: string, toolkit: string, tokens: TokenSet): Promise<{ connectionId: string; token: string; scopes: string[] }> {
    const row = { id: connectionId };
    const now = this.d.now();
    const scopes = parseScopes(tokens.scope);
    if (tokens.expiresAt === null || tokens.expiresAt - this.d.timers.refreshLeadMs > now) return { connectionId: row.id, token: tokens.accessToken, scopes };
    if (!tokens.refreshToken) {
      if (tokens.expiresAt > now) return { connectionId: row.id, token: tokens.accessToken, scopes };
      await this.setStatus(row.id, "EXPIRED", "access token expired and no refresh token");
      throw new HttpError(409, INTEGRATION_TEXT.expired(toolkit));
    }
    let flight = this.refreshing.get(row.id);
    if (!flight) {
      flight = this.refresh(row.id, toolkit, tokens).finally(() => this.refreshing.delete(row.id));
      this.refreshing.set(row.id, flight);
    }
    const fresh = await flight;
    return { connectionId: row.id, token: fresh.accessToken, scopes: parseScopes(fresh.scope) };
  }

  private async refresh(id: string, toolkit: string, tokens: TokenSet): Promise<TokenSet> {
    const app = await this.apps.resolveApp(toolkit);
    this.refreshCount++;
    let fresh: TokenSet;
    try {
      fresh = await refreshTokens(app, this.d.fetch, tokens.refreshToken!, this.d.now());
      // A refresh answer without `scope` keeps the grant's scopes.
      fresh.scope = fresh.scope !== undefined ? parseScopes(fresh.scope).join(" ") : tokens.scope ?? "";
    } catch (err) {
      if (err instanceof OAuthFlowError && err.code) {
        // The AS refused (invalid_grant: revoked or expired refresh token): the user must reconnect.
        await this.setStatus(id, "EXPIRED", err.message);
        throw new HttpError(409, INTEGRATION_TEXT.expired(toolkit));
      }
      throw err;
    }
    await this.d.db
      .updateTable("integration_connections")
      .set({
        tokens: this.d.vault.seal(JSON.stringify(fresh), `connection:${id}:tokens`),
        key_id: this.d.vault.currentKeyId,
        expires_at: fresh.expiresAt,
        updated_at: this.d.now(),
      })
      .where("id", "=", id)
      .execute();
    this.connectionsChanged();
    return fresh;
  }

  // ---------------------------------------------------------------- tools

  async listTools(userId: string, toolkit: string, opts: { search?: string; limit: number }): Promise<PublicTool[]> {
    return searchTools(await this.toolsOf(userId, toolkit), opts.search, opts.limit).map(toPublic);
  }

  async toolsOf(userId: string, toolkit: string): Promise<Array<PublicTool & { mcpName?: string }>> {
    const mcp = this.apps.mcpConfig(toolkit);
    if (mcp) {
      const key = userId + "\0" + toolkit;
      const hit = this.mcpToolCache.get(key);
      if (hit && hit.at + 60_000 > this.d.now()) return hit.tools;
      const { token } = await this.accessToken(userId, toolkit);
      const tools = await (await mcpClient()).listMcpTools(mcp.url, token, this.d.fetch, toolkit.toUpperCase().replace(/-/g, "_"));
      this.mcpToolCache.set(key, { at: this.d.now(), tools });
      return tools;
    }
    const cat = this.catalogues.get(toolkit);
    if (!cat) throw new HttpError(404, INTEGRATION_TEXT.unknownToolkit(toolkit));
    return cat.catalogue.tools;
  }

  async execute(userId: string, toolkit: string, action: string, args: Record<string, unknown>): Promise<ExecuteResult> {
    if (!this.apps.knownToolkit(toolkit)) throw new HttpError(404, INTEGRATION_TEXT.unknownToolkit(toolkit));
    const tools = await this.toolsOf(userId, toolkit);
    const tool = tools.find((t) => t.slug === action);
    if (!tool) throw new HttpError(404, INTEGRATION_TEXT.unknownTool(action, toolkit));
    const invalid = validateArguments(tool, args);
    if (invalid) throw new HttpError(400, invalid);
    const { token } = await this.accessToken(userId, toolkit);
    const mcp = this.apps.mcpConfig(toolkit);
    if (mcp) return (await mcpClient()).callMcpTool(mcp.url, token, this.d.fetch, tool.mcpName!, args);
    const api = BUILTIN_PROVIDERS[toolkit]!.api as ApiStyle;
    const result = await executeTool(api, tool as CatalogueTool, args, token, this.d.fetch);
    // Slack: a revoked or expired token shows up as HTTP 200 `ok: false`; the result is returned as is,
    // and the connection is marked so the user sees they must reconnect.
    if (result.kind === "result" && toolkit === "slack") {
      const b = result.body as { ok?: boolean; error?: string } | null;
      if (b && b.ok === false && ["token_revoked", "token_expired", "invalid_auth", "account_inactive"].includes(b.error ?? "")) {
        const row = await this.accessToken(userId, toolkit).catch(() => null);
        if (row) await this.setStatus(row.connectionId, "EXPIRED", `Slack: ${b.error}`);
      }
    }
    return result;
  }

  /** Toolkits the user has an ACTIVE connection to (for the MCP endpoint). */
  async activeToolkits(userId: string): Promise<string[]> {
    const conns = await this.listConnections(userId);
    return [...new Set(conns.filter((c) => c.status === "ACTIVE").map((c) => c.toolkit))].sort();
  }

  // ---------------------------------------------------------------- audit

  /**
   * Records one audit row. The row is built now (time, id) and inserted after the ones recorded
   * before it, so callers may answer without awaiting this; reads (`auditLog`) wait for it.
   */
  audit(userId: string, e: { pluginId: string | null; toolkit: string; action: string; outcome: string; status: number | null }): Promise<void> {
    return this.auditRows.audit(userId, e);
  }

  /** Resolves when every audit row recorded so far has been written (or failed and been reported). */
  auditFlushed(): Promise<void> {
    return this.auditRows.auditFlushed();
  }

  auditLog(userId: string, limit: number): Promise<AuditEntry[]> {
    return this.auditRows.auditLog(userId, limit);
  }

  // ---------------------------------------------------------------- plugin manifests, admin

  /** The toolkits a plugin declared, when the server knows its manifest (user-installed plugins); null = unknown. */
  async declaredToolkits(userId: string, pluginId: string, builtin: (id: string) => Promise<string | null>): Promise<string[] | null> {
    const row = await this.d.db
      .selectFrom("user_plugins")
      .select("manifest")
      .where("account_id", "=", userId)
      .where("plugin_id", "=", pluginId)
      .executeTakeFirst();
    const text = row?.manifest ?? (await builtin(pluginId));
    if (!text) return null;
    try {
      const m = JSON.parse(text) as { integrations?: unknown };
      return Array.isArray(m.integrations) ? m.integrations.filter((s): s is string => typeof s === "string").map((s) => s.trim().toLowerCase()) : [];
    } catch {
      return null;
    }
  }

  async isOwner(userId: string): Promise<boolean> {
    const row = await this.d.db.selectFrom("server_meta").select("value").where("key", "=", "owner_account_id").executeTakeFirst();
    return row?.value === userId;
  }
}
