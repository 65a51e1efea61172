/**
 * Integrations settings for `taiku serve` and the embedded server, from the environment and the
 * `[integrations]` / `[egress]` tables of `$TAIKU_HOME/taiku.toml` (the same file as `[agents]`,
 * which the agents loader validates on its own). Every error names the file (or variable) and the
 * key. The environment wins over the file.
 *
 *   TAIKU_INTEGRATIONS=on|off            turn integrations on (or TAIKU_INTEGRATIONS_PROVIDER=builtin|none)
 *   TAIKU_VAULT_KEY=<base64>[,<old>…]    vault keys (else $TAIKU_HOME/vault.key; see `taiku integrations keygen`)
 *   TAIKU_EGRESS_HOSTS=host=url[,…]      outbound host rewrites (or a JSON object)
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import type { McpToolkitConfig, ServerOptions, ToolkitAppConfig } from "@taiku/server";
import { CliError } from "./exit-codes.js";

/** The ServerOptions fields this module fills: the server's own types, so the two cannot drift. */
export type IntegrationsServerOptions = Pick<ServerOptions, "integrations" | "egressHosts">;

export const BUILTIN_TOOLKITS = ["github", "linear", "slack", "gmail"] as const;

const httpUrl = z.string().refine((s) => {
  try {
    return ["http:", "https:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, "must be an http(s) URL");
const scopes = z.union([z.array(z.string().min(1)), z.string()]).transform((s) => (typeof s === "string" ? s.split(/[\s,]+/).filter(Boolean) : s));
const ms = z.number().int().nonnegative();
const secretFields = {
  client_secret: z.string().min(1).optional(),
  /** Name of an environment variable holding the secret (keeps it out of the file). */
  client_secret_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional(),
};

const appSchema = z
  .object({
    client_id: z.string().min(1),
    ...secretFields,
    scopes: scopes.optional(),
    issuer: httpUrl.optional(),
    authorization_endpoint: httpUrl.optional(),
    token_endpoint: httpUrl.optional(),
    revocation_endpoint: httpUrl.optional(),
    revocation_style: z.enum(["rfc7009", "github-grant", "bearer-post", "none"]).optional(),
    token_auth: z.enum(["client_secret_post", "client_secret_basic", "none"]).optional(),
    extra_auth_params: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const mcpSchema = z
  .object({ url: httpUrl, name: z.string().min(1).optional(), client_id: z.string().min(1).optional(), ...secretFields, scopes: scopes.optional() })
  .strict();

const integrationsSchema = z
  .object({
    enabled: z.boolean().optional(),
    apps: z.partialRecord(z.enum(BUILTIN_TOOLKITS), appSchema).optional(),
    mcp_servers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "toolkit slugs are lower case letters, digits, - and _"), mcpSchema).optional(),
    refresh_lead_ms: ms.optional(),
    state_ttl_ms: ms.optional(),
    request_timeout_ms: ms.optional(),
    callback_origins: z.array(httpUrl).optional(),
    catalogue_dir: z.string().min(1).optional(),
  })
  .strict();

const egressSchema = z.object({ hosts: z.record(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "must be a host name"), httpUrl).optional() }).strict();

function zodError(where: string, prefix: string, err: z.ZodError): CliError {
  const issue = err.issues[0]!;
  const key = [prefix, ...issue.path.map(String)].join(".");
  const extra = issue.code === "unrecognized_keys" ? ` (${(issue as { keys: string[] }).keys.join(", ")})` : "";
  return new CliError(`${where}: ${key}: ${issue.message}${extra}`);
}

function secretOf(where: string, key: string, t: { client_secret?: string | undefined; client_secret_env?: string | undefined }, env: NodeJS.ProcessEnv): string | undefined {
  if (t.client_secret !== undefined && t.client_secret_env !== undefined) throw new CliError(`${where}: ${key}: give client_secret or client_secret_env, not both`);
  if (t.client_secret_env === undefined) return t.client_secret;
  const v = env[t.client_secret_env];
  if (!v) throw new CliError(`${where}: ${key}.client_secret_env: environment variable ${t.client_secret_env} is not set`);
  return v;
}

/** Validates the `[integrations]` and `[egress]` tables of a parsed taiku.toml. */
export function parseIntegrationsToml(doc: Record<string, unknown>, file: string, env: NodeJS.ProcessEnv = {}): IntegrationsServerOptions {
  const out: IntegrationsServerOptions = {};
  if (doc["integrations"] !== undefined) {
    const parsed = integrationsSchema.safeParse(doc["integrations"]);
    if (!parsed.success) throw zodError(file, "integrations", parsed.error);
    const t = parsed.data;
    const apps: Record<string, ToolkitAppConfig> = {};
    for (const [slug, a] of Object.entries(t.apps ?? {})) {
      const secret = secretOf(file, `integrations.apps.${slug}`, a, env);
      apps[slug] = {
        clientId: a.client_id,
        ...(secret !== undefined ? { clientSecret: secret } : {}),
        ...(a.scopes ? { scopes: a.scopes } : {}),
        ...(a.issuer ? { issuer: a.issuer } : {}),
        ...(a.authorization_endpoint ? { authorizationEndpoint: a.authorization_endpoint } : {}),
        ...(a.token_endpoint ? { tokenEndpoint: a.token_endpoint } : {}),
        ...(a.revocation_endpoint ? { revocationEndpoint: a.revocation_endpoint } : {}),
        ...(a.revocation_style ? { revocationStyle: a.revocation_style } : {}),
        ...(a.token_auth ? { tokenAuth: a.token_auth } : {}),
        ...(a.extra_auth_params ? { extraAuthParams: a.extra_auth_params } : {}),
      };
    }
    const mcpServers: Record<string, McpToolkitConfig> = {};
    for (const [slug, m] of Object.entries(t.mcp_servers ?? {})) {
      if ((BUILTIN_TOOLKITS as readonly string[]).includes(slug)) throw new CliError(`${file}: integrations.mcp_servers.${slug}: "${slug}" is a built-in toolkit; pick another slug`);
      const secret = secretOf(file, `integrations.mcp_servers.${slug}`, m, env);
      mcpServers[slug] = {
        url: m.url,
        ...(m.name ? { name: m.name } : {}),
        ...(m.client_id ? { clientId: m.client_id } : {}),
        ...(secret !== undefined ? { clientSecret: secret } : {}),
        ...(m.scopes ? { scopes: m.scopes } : {}),
      };
    }
    out.integrations = {
      ...(t.enabled !== undefined ? { enabled: t.enabled } : {}),
      ...(Object.keys(apps).length ? { apps } : {}),
      ...(Object.keys(mcpServers).length ? { mcpServers } : {}),
      ...(t.refresh_lead_ms !== undefined ? { refreshLeadMs: t.refresh_lead_ms } : {}),
      ...(t.state_ttl_ms !== undefined ? { stateTtlMs: t.state_ttl_ms } : {}),
      ...(t.request_timeout_ms !== undefined ? { requestTimeoutMs: t.request_timeout_ms } : {}),
      ...(t.callback_origins ? { callbackOrigins: t.callback_origins } : {}),
      ...(t.catalogue_dir ? { catalogueDir: t.catalogue_dir } : {}),
    };
  }
  if (doc["egress"] !== undefined) {
    const parsed = egressSchema.safeParse(doc["egress"]);
    if (!parsed.success) throw zodError(file, "egress", parsed.error);
    if (parsed.data.hosts) out.egressHosts = { ...parsed.data.hosts };
  }
  return out;
}

function onOff(value: string, name: string): boolean {
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new CliError(`${name} must be on or off, got '${value}'`);
}

/** `TAIKU_EGRESS_HOSTS`: `host=url,host=url` or a JSON object. */
export function parseEgressHosts(text: string): Record<string, string> {
  const name = "TAIKU_EGRESS_HOSTS";
  let raw: unknown;
  if (text.trim().startsWith("{")) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new CliError(`${name} must be host=url pairs separated by commas, or a JSON object`);
    }
  } else {
    const pairs: Record<string, string> = {};
    for (const item of text.split(",").map((s) => s.trim()).filter(Boolean)) {
      const eq = item.indexOf("=");
      if (eq <= 0) throw new CliError(`${name}: '${item}' must be host=url, e.g. api.github.com=http://127.0.0.1:4100`);
      pairs[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    }
    raw = pairs;
  }
  const parsed = egressSchema.shape.hosts.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${name}: ${issue.path.map(String).join(".") || "value"}: ${issue.message}`);
  }
  return parsed.data ?? {};
}

/** Reads `<home>/taiku.toml` (optional) and the environment. */
export function integrationsServerOptions(env: NodeJS.ProcessEnv, home: string): IntegrationsServerOptions {
  const file = join(home, "taiku.toml");
  let fromFile: IntegrationsServerOptions = {};
  if (existsSync(file)) {
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`${file}: invalid TOML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
    fromFile = parseIntegrationsToml(doc, file, env);
  }
  const integrations = { ...fromFile.integrations };
  if (env.TAIKU_INTEGRATIONS) integrations.enabled = onOff(env.TAIKU_INTEGRATIONS, "TAIKU_INTEGRATIONS");
  else if (env.TAIKU_INTEGRATIONS_PROVIDER) {
    const p = env.TAIKU_INTEGRATIONS_PROVIDER.trim().toLowerCase();
    if (p !== "builtin" && p !== "none") throw new CliError(`TAIKU_INTEGRATIONS_PROVIDER: '${env.TAIKU_INTEGRATIONS_PROVIDER}' is not supported; use builtin (the self-hosted broker) or none`);
    integrations.enabled = p === "builtin";
  }
  if (env.TAIKU_VAULT_KEY) integrations.vaultKey = env.TAIKU_VAULT_KEY.split(/[\s,]+/).filter(Boolean);
  const egressHosts = { ...fromFile.egressHosts, ...(env.TAIKU_EGRESS_HOSTS ? parseEgressHosts(env.TAIKU_EGRESS_HOSTS) : {}) };
  return {
    ...(Object.keys(integrations).length ? { integrations } : {}),
    ...(Object.keys(egressHosts).length ? { egressHosts } : {}),
  };
}

/** The server's "no vault key" start-up error as a plain CLI error that also names `taiku integrations keygen`. */
export function vaultKeyCliError(err: unknown): CliError | null {
  const message = (err as Error)?.message ?? "";
  if (!/^Integrations need a vault key/.test(message)) return null;
  return new CliError(`${message}\nor run: taiku integrations keygen`);
}
