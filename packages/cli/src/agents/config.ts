/**
 * Agents configuration for the CLI: `$TAIKU_HOME/taiku.toml` (or `--config`) through
 * `loadConfig`, plugin discovery under `$TAIKU_HOME/agents/plugins`, and the runtime. A missing
 * config file means defaults; a present but invalid one is an error naming the file and key.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  BUILTIN_ENGINES, ConfigError, PluginRegistry, buildRouterEntries, loadConfig, parseAgentsConfig, runtimeFromConfig,
  type AgentsConfig, type EngineBackend, type TransportRuntime,
} from "@taiku/agents";

export interface AgentsSetupOptions {
  /** `$TAIKU_HOME` (default ~/.taiku). */
  home: string;
  /** Explicit config file; default `<home>/taiku.toml` (optional there). */
  configPath?: string;
  /** PATH lookup (tests). */
  which?: (cmd: string) => string | null;
}

export interface EngineIssue {
  engine: string;
  issue: string;
}

export interface AgentsSetup {
  config: AgentsConfig;
  registry: PluginRegistry;
  backends: EngineBackend[];
  /** Null when no engine CLI is installed at all (see `missing`). */
  runtime: TransportRuntime | null;
  /** Engines whose CLI is missing or whose config is invalid, with the install command. */
  missing: EngineIssue[];
  /** The default engine actually used (the configured one, else the first installed). */
  defaultEngine: string | null;
}

export function defaultConfigPath(home: string): string {
  return join(home, "taiku.toml");
}

export async function setupAgents(opts: AgentsSetupOptions): Promise<AgentsSetup> {
  const configPath = opts.configPath ?? defaultConfigPath(opts.home);
  if (opts.configPath && !existsSync(configPath)) throw new ConfigError(`${configPath}: config file not found`);
  // Discovery first (engine ids are needed to validate the config), restricted afterwards.
  const probe = existsSync(configPath) ? loadConfig(configPath) : parseAgentsConfig({}, configPath);
  const pluginRoot = probe.plugins.dir ?? join(opts.home, "agents", "plugins");
  const registry = new PluginRegistry({ roots: [join(pluginRoot, "node_modules")], builtins: { engines: BUILTIN_ENGINES }, enabled: probe.plugins.enabled });
  const backends = await registry.loadEngines();
  const engineIds = backends.map((b) => b.id);
  const config = existsSync(configPath) ? loadConfig(configPath, { engineIds }) : parseAgentsConfig({}, configPath, { engineIds });
  const entries = buildRouterEntries({ backends, engineConfigs: config.engines, configPath, ...(opts.which ? { which: opts.which } : {}) });
  const missing = entries.filter((e) => e.status !== "ok").map((e) => ({ engine: e.engine, issue: e.issue ?? e.status }));
  const ok = entries.filter((e) => e.status === "ok").map((e) => e.engine);
  let defaultEngine: string | null = config.default_engine ?? null;
  if (defaultEngine && !ok.includes(defaultEngine)) {
    const why = missing.find((m) => m.engine === defaultEngine)?.issue ?? "not available";
    throw new ConfigError(`${configPath}: agents.default_engine: engine '${defaultEngine}' is unavailable: ${why}`);
  }
  defaultEngine ??= ok.includes("codex") ? "codex" : (ok[0] ?? null);
  const runtime = defaultEngine ? runtimeFromConfig(config, { backends, defaultEngineOverride: defaultEngine, ...(opts.which ? { which: opts.which } : {}) }) : null;
  return { config, registry, backends, runtime, missing, defaultEngine };
}

/** Lines for `taiku agents doctor` and the start-up warning. */
export function doctorLines(setup: AgentsSetup): string[] {
  const lines: string[] = [`config: ${setup.config.configPath}${existsSync(setup.config.configPath) ? "" : " (not found; defaults)"}`];
  const ids = setup.backends.map((b) => b.id).sort();
  for (const id of ids) {
    const m = setup.missing.find((x) => x.engine === id);
    lines.push(m ? `  ✗ ${id}: ${m.issue}` : `  ✓ ${id}${id === setup.defaultEngine ? " (default)" : ""}`);
  }
  for (const e of setup.registry.errors()) lines.push(`  plugin error: ${e.group} ${e.name} (${e.distribution ?? "?"}): ${e.error}`);
  if (!setup.runtime) lines.push("no agent CLI is installed: install one of the engines above.");
  return lines;
}
