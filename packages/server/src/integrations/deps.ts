/** What the integrations service is built from: db, vault, outbound fetch, clock, configured apps, timers. */
import type { Kysely } from "kysely";
import type { Fetch } from "./egress.js";
import type { McpToolkitConfig, ToolkitAppConfig } from "./providers/index.js";
import type { IntegrationsTables } from "./tables.js";
import type { Vault } from "./vault.js";

export interface IntegrationsTimers {
  /** Refresh an access token this long before it expires (default 5 min). */
  refreshLeadMs: number;
  /** An authorization not completed within this time fails (default 10 min). */
  stateTtlMs: number;
}
export const DEFAULT_INTEGRATIONS_TIMERS: IntegrationsTimers = { refreshLeadMs: 5 * 60_000, stateTtlMs: 10 * 60_000 };

export interface IntegrationsServiceDeps {
  db: Kysely<IntegrationsTables>;
  vault: Vault;
  fetch: Fetch;
  now: () => number;
  /** Public origin of this server (for the OAuth redirect URI). */
  publicUrl: () => string;
  apps: Record<string, ToolkitAppConfig>;
  mcpServers: Record<string, McpToolkitConfig>;
  catalogueDir: string;
  timers: IntegrationsTimers;
}
