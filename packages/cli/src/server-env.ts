/**
 * Server settings taken from the environment (spec §11.5), shared by `taiku serve` and the embedded
 * server. `TAIKU_LIMITS` holds JSON overrides of protocol timers and limits (ARCHITECTURE.md,
 * "Decisions": every timer is configuration) — e.g. `{"cliGraceMs": 60000}`.
 */
import { LIMITS } from "@taiku/protocol";
import { CliError } from "./exit-codes.js";
import { findPluginsDir } from "./webroot.js";
import { integrationsServerOptions, type IntegrationsServerOptions } from "./integrations-config.js";

/** Relay settings that are not protocol limits but are tunable the same way. */
const EXTRA_LIMIT_KEYS = ["viewerStallMs", "flowTickMs", "shellRingHardBytes",
  // Session-scoped HTTP routes (CLI filesystem, downloads, auth challenge, remote commands).
  "fsAnswerMs", "fsReadsPerUser", "fsStageMaxBytes", "fsWriteMaxBytes", "downloadTokenMs", "sessionNonceMs", "remoteCommandMs", "remoteMostRecent",
  // HTTP tunnels: header deadline, request body cap, response bytes waiting for a slow client.
  "tunnelAnswerMs", "tunnelBodyMaxBytes", "tunnelBufferMaxBytes", "tunnelMaxPending",
  // Shell aliases: answer deadline, invocations waiting per session.
  "aliasAnswerMs", "aliasMaxPending"];

export interface ServerEnvOptions extends IntegrationsServerOptions {
  limits?: Record<string, number>;
  pluginsDir?: string;
  pluginFileMaxBytes?: number;
  pluginQuotaBytes?: number;
  tunnelOrigin?: string;
}

export function parseLimitsJson(text: string): Record<string, number> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError("TAIKU_LIMITS must be a JSON object, e.g. {\"cliGraceMs\": 60000}");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new CliError("TAIKU_LIMITS must be a JSON object");
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in LIMITS) && !EXTRA_LIMIT_KEYS.includes(key)) throw new CliError(`TAIKU_LIMITS: unknown limit "${key}"`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new CliError(`TAIKU_LIMITS: "${key}" must be a non-negative number`);
    out[key] = value;
  }
  return out;
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i;
const UNITS: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1e3, mb: 1e6, gb: 1e9 };

export function parseSize(name: string, text: string): number {
  const m = text.trim().match(SIZE_RE);
  if (!m) throw new CliError(`${name} must be a size such as 25MiB`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? "b").toLowerCase()]!);
}

/** With `home`, also the `[integrations]` / `[egress]` tables of `<home>/taiku.toml` (see integrations-config.ts). */
export function serverEnvOptions(env: NodeJS.ProcessEnv, home?: string): ServerEnvOptions {
  const out: ServerEnvOptions = home !== undefined ? integrationsServerOptions(env, home) : {};
  if (env.TAIKU_LIMITS) out.limits = parseLimitsJson(env.TAIKU_LIMITS);
  const pluginsDir = findPluginsDir(env);
  if (pluginsDir) out.pluginsDir = pluginsDir;
  if (env.TAIKU_PLUGIN_FILE_MAX) out.pluginFileMaxBytes = parseSize("TAIKU_PLUGIN_FILE_MAX", env.TAIKU_PLUGIN_FILE_MAX);
  if (env.TAIKU_TUNNEL_ORIGIN) out.tunnelOrigin = env.TAIKU_TUNNEL_ORIGIN;
  if (env.TAIKU_PLUGIN_QUOTA) out.pluginQuotaBytes = parseSize("TAIKU_PLUGIN_QUOTA", env.TAIKU_PLUGIN_QUOTA);
  return out;
}
