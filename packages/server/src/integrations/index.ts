/**
 * Integrations wiring: options → vault, service and routes. Off unless `integrations.enabled`;
 * when on, a vault key is required (`$TAIKU_HOME/vault.key`, env TAIKU_VAULT_KEY or the option) and
 * the server refuses to start without one, saying how to make it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { AuthConfig } from "../http/auth.js";
import type { McpToolkitConfig, ToolkitAppConfig } from "./providers/index.js";
import { registerIntegrationRoutes } from "./routes.js";
import type { IntegrationsService, IntegrationsTables } from "./service.js";
import { loadVaultKeys, Vault, VAULT_KEY_ENV, VAULT_KEY_FILE } from "./vault.js";

export type { McpToolkitConfig, ToolkitAppConfig } from "./providers/index.js";
export type { IntegrationsService } from "./service.js";
export { VaultKeyError, vaultKeyHelp } from "./vault.js";

export interface IntegrationsOptions {
  /** Turn integrations on (`TAIKU_INTEGRATIONS_PROVIDER=builtin`). Default false: every route answers 503. */
  enabled?: boolean;
  /** Vault keys, base64 (current first). Default: env TAIKU_VAULT_KEY, else `$TAIKU_HOME/vault.key`. */
  vaultKey?: string | string[];
  /** OAuth apps per built-in toolkit (github, linear, slack, gmail); the admin route can set them too. */
  apps?: Record<string, ToolkitAppConfig>;
  /** Remote MCP servers offered as toolkits, by slug. */
  mcpServers?: Record<string, McpToolkitConfig>;
  /** Refresh access tokens this long before expiry (default 5 min). */
  refreshLeadMs?: number;
  /** An authorization not completed within this time fails (default 10 min). */
  stateTtlMs?: number;
  /** Timeout of every outbound request (default 30 s). */
  requestTimeoutMs?: number;
  /** Extra origins allowed as `callbackUrl` (the app origins always are). */
  callbackOrigins?: string[];
  /** Where the generated catalogues live (default: next to the bundle, else packages/server/scripts/catalogues). */
  catalogueDir?: string;
}

export interface IntegrationsSetup {
  service: IntegrationsService | null;
  register(app: FastifyInstance, auth: AuthConfig): void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export async function setupIntegrations(p: {
  options: IntegrationsOptions | undefined;
  egressHosts: Record<string, string> | undefined;
  db: object;
  home: string;
  now: () => number;
  publicUrl: () => string;
  pluginsDir: string;
}): Promise<IntegrationsSetup> {
  const o = p.options ?? {};
  const db = p.db as unknown as Kysely<IntegrationsTables>;
  const builtinManifest = (id: string) =>
    /^[A-Za-z0-9._-]+$/.test(id) && !id.startsWith(".") ? readFile(join(p.pluginsDir, id, "manifest.json"), "utf8").catch(() => null) : Promise.resolve(null);
  if (!o.enabled) {
    return {
      service: null,
      register: (app, auth) => registerIntegrationRoutes(app, { service: null, auth, callbackOrigins: [], builtinManifest, db, vault: null }),
    };
  }
  const keysFromFile = o.vaultKey === undefined && !process.env[VAULT_KEY_ENV];
  const vault = new Vault(await loadVaultKeys(p.home, o.vaultKey));
  const keyFile = join(p.home, VAULT_KEY_FILE);
  // Loaded only when integrations are on: the service brings OAuth, the catalogues (Ajv) and, on
  // first use, the MCP SDK, which an idle server with integrations off does not need.
  const [{ createEgressFetch }, { DEFAULT_INTEGRATIONS_TIMERS, IntegrationsService }, { defaultCatalogueDir }] = await Promise.all([
    import("./egress.js"),
    import("./service.js"),
    import("./toolkits/catalogue.js"),
  ]);
  const service = new IntegrationsService({
    db,
    vault,
    fetch: createEgressFetch(p.egressHosts ?? {}, o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    now: p.now,
    publicUrl: p.publicUrl,
    apps: o.apps ?? {},
    mcpServers: o.mcpServers ?? {},
    catalogueDir: o.catalogueDir ?? defaultCatalogueDir(),
    timers: {
      refreshLeadMs: o.refreshLeadMs ?? DEFAULT_INTEGRATIONS_TIMERS.refreshLeadMs,
      stateTtlMs: o.stateTtlMs ?? DEFAULT_INTEGRATIONS_TIMERS.stateTtlMs,
    },
  });
  await service.init();
  const saveKeys = keysFromFile
    ? async (newKey: string, phase: "add" | "commit") => {
        const old = phase === "add" ? await readFile(keyFile, "utf8").catch(() => "") : "";
        await writeFile(keyFile, `${newKey}\n${old}`, { mode: 0o600 });
      }
    : undefined;
  return {
    service,
    register: (app, auth) =>
      registerIntegrationRoutes(app, {
        service,
        auth,
        callbackOrigins: o.callbackOrigins ?? [],
        builtinManifest,
        db,
        vault,
        ...(saveKeys ? { saveKeys } : {}),
      }),
  };
}
