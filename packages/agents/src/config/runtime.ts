/** From a loaded config to a TransportRuntime (spec §9.3). */
import type { EngineBackend } from "../engines/backend.js";
import { buildRuntime } from "../runtime/build.js";
import type { TransportRuntime } from "../runtime/transport-runtime.js";
import type { AgentsConfig } from "./load.js";

export function runtimeFromConfig(
  config: AgentsConfig,
  opts: { backends: readonly EngineBackend[]; defaultEngineOverride?: string | null; which?: (cmd: string) => string | null },
): TransportRuntime {
  return buildRuntime({
    backends: opts.backends,
    engineConfigs: config.engines,
    defaultEngine: opts.defaultEngineOverride ?? config.default_engine ?? "codex",
    projects: config.projects,
    configPath: config.configPath,
    pluginConfigs: config.pluginConfigs,
    allowlist: config.plugins.enabled,
    watchConfig: config.watch_config,
    ...(opts.which ? { which: opts.which } : {}),
  });
}
