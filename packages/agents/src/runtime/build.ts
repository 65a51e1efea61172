/** Builds the router/runtime from engine backends and their config tables (spec §9.3, §3.0). */
import type { EngineBackend, EngineConfig } from "../engines/backend.js";
import { getLogger } from "../logger.js";
import { ConfigError, type EngineId } from "../model.js";
import { which as defaultWhich } from "../proc.js";
import { AutoRouter, type RunnerEntry } from "./router.js";
import { TransportRuntime, type ProjectsConfig } from "./transport-runtime.js";

export interface BuildRuntimeOptions {
  backends: readonly EngineBackend[];
  engineConfigs?: Readonly<Record<string, EngineConfig>>;
  defaultEngine?: EngineId | null;
  projects?: ProjectsConfig;
  configPath?: string | null;
  pluginConfigs?: Record<string, unknown>;
  allowlist?: readonly string[];
  watchConfig?: boolean;
  /** PATH lookup; injectable for tests. */
  which?: (cmd: string) => string | null;
}

/** The text shown when an engine CLI is missing: names the command and how to install it. */
export function installIssue(cmd: string, installCmd: string | null | undefined): string {
  return installCmd ? `\`${cmd}\` not found on PATH; install it with \`${installCmd}\`` : `\`${cmd}\` not found on PATH`;
}

export function buildRouterEntries(opts: BuildRuntimeOptions): RunnerEntry[] {
  const which = opts.which ?? ((c: string) => defaultWhich(c));
  const entries: RunnerEntry[] = [];
  for (const backend of [...opts.backends].sort((a, b) => a.id.localeCompare(b.id))) {
    const config = opts.engineConfigs?.[backend.id] ?? {};
    const configPath = opts.configPath ?? "";
    let runner;
    let status: RunnerEntry["status"] = "ok";
    let issue: string | null = null;
    try {
      runner = backend.buildRunner(config, configPath);
    } catch (err) {
      if (!(err instanceof ConfigError)) {
        getLogger().warn(`engine '${backend.id}' failed to load`, { error: String(err) });
        continue; // load_error: dropped
      }
      status = "bad_config";
      issue = err.message;
      try {
        runner = backend.buildRunner({}, configPath);
      } catch (err2) {
        getLogger().warn(`engine '${backend.id}' failed to load`, { error: String(err2) });
        continue;
      }
    }
    const exe = typeof config["executable"] === "string" ? config["executable"] : (backend.cliCmd ?? backend.id);
    if (!which(exe)) {
      status = "missing_cli";
      issue = installIssue(exe, backend.installCmd);
    }
    entries.push({ engine: backend.id, runner, status, issue });
  }
  return entries;
}

export function buildRuntime(opts: BuildRuntimeOptions): TransportRuntime {
  const entries = buildRouterEntries(opts);
  const defaultEngine = opts.defaultEngine ?? "codex";
  const entry = entries.find((e) => e.engine === defaultEngine);
  if (!entry) throw new ConfigError(`Unknown default engine '${defaultEngine}'. Available: ${entries.map((e) => e.engine).join(", ")}.`);
  if (entry.status === "missing_cli") throw new ConfigError(`default engine '${defaultEngine}' is unavailable: ${entry.issue}`);
  return new TransportRuntime({
    router: new AutoRouter(entries, defaultEngine),
    ...(opts.projects ? { projects: opts.projects } : {}),
    configPath: opts.configPath ?? null,
    pluginConfigs: opts.pluginConfigs ?? {},
    allowlist: opts.allowlist ?? [],
    watchConfig: opts.watchConfig ?? false,
  });
}
