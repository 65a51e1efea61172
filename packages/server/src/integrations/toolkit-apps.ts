/**
 * Toolkits and their OAuth apps: built-in providers (app from the admin route or the config) and
 * remote MCP servers (from the config or added by the admin; their OAuth client is discovered and
 * registered once, then stored). `resolveApp` turns either into the `ResolvedApp` the OAuth flow uses.
 */
import { HttpError } from "../http/errors.js";
import type { IntegrationsServiceDeps } from "./deps.js";
import type { ResolvedApp } from "./oauth.js";
import { BUILTIN_PROVIDERS, type McpToolkitConfig, type ToolkitAppConfig } from "./providers/index.js";
import type { CatalogueStore } from "./toolkits/catalogue.js";
import type { discoverMcpApp } from "./toolkits/mcp.js";
import { INTEGRATION_TEXT } from "./text.js";

/** The MCP client (SDK) is loaded on first use: only servers with remote MCP toolkits need it. */
export const mcpClient = () => import("./toolkits/mcp.js");

export class ToolkitApps {
  private mcpFromDb = new Map<string, McpToolkitConfig>();

  constructor(
    private readonly d: IntegrationsServiceDeps,
    private readonly catalogues: CatalogueStore,
    /** The OAuth redirect URI (dynamic client registration of MCP servers). */
    private readonly redirectUri: () => string,
  ) {}

  isMcp(toolkit: string): boolean {
    return toolkit in this.d.mcpServers || this.mcpFromDb.has(toolkit);
  }

  /** Loads admin-set MCP toolkits (they live in integration_apps with kind "mcp-server"). */
  async init(): Promise<void> {
    const rows = await this.d.db.selectFrom("integration_apps").selectAll().where("kind", "=", "mcp-server").execute();
    for (const r of rows) {
      const cfg = JSON.parse(r.config) as McpToolkitConfig;
      if (r.client_secret) cfg.clientSecret = this.d.vault.open(r.client_secret, `app:${r.toolkit}:client_secret`);
      this.mcpFromDb.set(r.toolkit, cfg);
    }
  }

  mcpConfig(toolkit: string): McpToolkitConfig | undefined {
    return this.mcpFromDb.get(toolkit) ?? this.d.mcpServers[toolkit];
  }

  knownToolkit(toolkit: string): boolean {
    return toolkit in BUILTIN_PROVIDERS || this.isMcp(toolkit);
  }

  async listToolkits(): Promise<Array<{ slug: string; name: string; kind: "builtin" | "mcp"; configured: boolean; toolCount: number | null }>> {
    const out: Array<{ slug: string; name: string; kind: "builtin" | "mcp"; configured: boolean; toolCount: number | null }> = [];
    for (const p of Object.values(BUILTIN_PROVIDERS)) {
      const cat = this.catalogues.get(p.toolkit);
      out.push({ slug: p.toolkit, name: p.name, kind: "builtin", configured: (await this.appConfig(p.toolkit)) !== null, toolCount: cat ? cat.catalogue.tools.length : 0 });
    }
    const mcp = new Set([...Object.keys(this.d.mcpServers), ...this.mcpFromDb.keys()]);
    for (const slug of [...mcp].sort()) out.push({ slug, name: this.mcpConfig(slug)?.name ?? slug, kind: "mcp", configured: true, toolCount: null });
    return out;
  }

  /** Admin-set app (db) wins over config. */
  private async appConfig(toolkit: string): Promise<ToolkitAppConfig | null> {
    const row = await this.d.db.selectFrom("integration_apps").selectAll().where("toolkit", "=", toolkit).where("kind", "=", "oauth-app").executeTakeFirst();
    if (row) {
      const cfg = JSON.parse(row.config) as ToolkitAppConfig;
      if (row.client_secret) cfg.clientSecret = this.d.vault.open(row.client_secret, `app:${toolkit}:client_secret`);
      return cfg;
    }
    return this.d.apps[toolkit] ?? null;
  }

  /** Admin: registers (or replaces) a built-in toolkit's OAuth app. The secret goes to the vault. */
  async setApp(toolkit: string, cfg: ToolkitAppConfig): Promise<void> {
    if (!(toolkit in BUILTIN_PROVIDERS)) throw new HttpError(404, INTEGRATION_TEXT.unknownToolkit(toolkit));
    await this.upsertApp(toolkit, "oauth-app", cfg);
  }

  /** Admin: adds a remote MCP server as a toolkit. */
  async addMcpServer(toolkit: string, cfg: McpToolkitConfig): Promise<void> {
    if (toolkit in BUILTIN_PROVIDERS) throw new HttpError(409, `Toolkit ${toolkit} is built in`);
    await this.upsertApp(toolkit, "mcp-server", cfg);
    await this.d.db.deleteFrom("integration_apps").where("toolkit", "=", `mcp-client:${toolkit}`).execute();
    this.mcpFromDb.set(toolkit, cfg);
  }

  /** Inserts or replaces an app row; the client secret is sealed into the vault. */
  private async upsertApp(toolkit: string, kind: "oauth-app" | "mcp-server", cfg: ToolkitAppConfig | McpToolkitConfig): Promise<void> {
    const { clientSecret, ...rest } = cfg;
    const sealed = clientSecret ? this.d.vault.seal(clientSecret, `app:${toolkit}:client_secret`) : null;
    const row = { kind: kind, config: JSON.stringify(rest), client_secret: sealed, key_id: sealed ? this.d.vault.currentKeyId : null, updated_at: this.d.now() };
    await this.d.db
      .insertInto("integration_apps")
      .values({ toolkit, ...row })
      .onConflict((oc) => oc.column("toolkit").doUpdateSet(row))
      .execute();
  }

  async resolveApp(toolkit: string): Promise<ResolvedApp> {
    const mcp = this.mcpConfig(toolkit);
    if (mcp) return this.resolveMcpApp(toolkit, mcp);
    const p = BUILTIN_PROVIDERS[toolkit];
    if (!p) throw new HttpError(404, INTEGRATION_TEXT.unknownToolkit(toolkit));
    const cfg = await this.appConfig(toolkit);
    if (!cfg) throw new HttpError(409, INTEGRATION_TEXT.notConfigured(toolkit));
    return {
      toolkit,
      issuer: cfg.issuer ?? p.issuer,
      authorizationEndpoint: cfg.authorizationEndpoint ?? p.authorizationEndpoint,
      tokenEndpoint: cfg.tokenEndpoint ?? p.tokenEndpoint,
      ...((cfg.revocationEndpoint ?? p.revocationEndpoint) ? { revocationEndpoint: (cfg.revocationEndpoint ?? p.revocationEndpoint)! } : {}),
      revocationStyle: cfg.revocationStyle ?? p.revocationStyle,
      clientId: cfg.clientId,
      ...(cfg.clientSecret ? { clientSecret: cfg.clientSecret } : {}),
      scopes: cfg.scopes ?? p.defaultScopes,
      scopeSeparator: p.scopeSeparator,
      tokenAuth: cfg.tokenAuth ?? p.tokenAuth,
      extraAuthParams: { ...p.extraAuthParams, ...cfg.extraAuthParams },
      quirks: p.quirks,
    };
  }

  /** MCP: discovered once (and the dynamically registered client stored, secret sealed), then reused. */
  private async resolveMcpApp(toolkit: string, cfg: McpToolkitConfig): Promise<ResolvedApp> {
    const key = `mcp-client:${toolkit}`;
    const row = await this.d.db.selectFrom("integration_apps").selectAll().where("toolkit", "=", key).executeTakeFirst();
    let app: Awaited<ReturnType<typeof discoverMcpApp>>;
    if (row) {
      app = JSON.parse(row.config) as typeof app;
      if (row.client_secret) app.clientSecret = this.d.vault.open(row.client_secret, `app:${key}:client_secret`);
    } else {
      app = await (await mcpClient()).discoverMcpApp(cfg, this.redirectUri(), this.d.fetch);
      const { clientSecret, ...rest } = app;
      const sealed = clientSecret ? this.d.vault.seal(clientSecret, `app:${key}:client_secret`) : null;
      await this.d.db
        .insertInto("integration_apps")
        .values({ toolkit: key, kind: "mcp-client", config: JSON.stringify(rest), client_secret: sealed, key_id: sealed ? this.d.vault.currentKeyId : null, updated_at: this.d.now() })
        .onConflict((oc) => oc.column("toolkit").doNothing())
        .execute();
    }
    return {
      toolkit,
      issuer: app.issuer,
      authorizationEndpoint: app.authorizationEndpoint,
      tokenEndpoint: app.tokenEndpoint,
      ...(app.revocationEndpoint ? { revocationEndpoint: app.revocationEndpoint } : {}),
      revocationStyle: app.revocationEndpoint ? "rfc7009" : "none",
      clientId: app.clientId,
      ...(app.clientSecret ? { clientSecret: app.clientSecret } : {}),
      scopes: app.scopes,
      scopeSeparator: " ",
      tokenAuth: app.tokenAuth,
      extraAuthParams: {},
      quirks: {},
      resource: app.resource,
    };
  }
}
