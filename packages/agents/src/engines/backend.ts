/** Engine backends: an id plus a runner builder (seed 002 `EngineBackend`). */
import { ConfigError, type EngineId } from "../model.js";
import type { Runner } from "../runner.js";

export type EngineConfig = Record<string, unknown>;

export interface EngineBackend {
  readonly id: EngineId;
  /** Throws ConfigError for an invalid engine table. */
  buildRunner(config: EngineConfig, configPath: string): Runner;
  /** Executable looked up on PATH to decide availability (default: the id). */
  readonly cliCmd?: string | null;
  /** Shown when the CLI is missing. */
  readonly installCmd?: string | null;
}

export function defineEngineBackend(backend: EngineBackend): EngineBackend {
  return Object.freeze({ ...backend });
}

// ---- engine-table validation helpers (error texts name the engine and key) -----------------

export function optionalString(config: EngineConfig, engine: string, key: string): string | null {
  const v = config[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new ConfigError(`[${engine}].${key} must be a string`);
  return v;
}

export function optionalBool(config: EngineConfig, engine: string, key: string): boolean | null {
  const v = config[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "boolean") throw new ConfigError(`[${engine}].${key} must be a boolean`);
  return v;
}

export function optionalStringList(config: EngineConfig, engine: string, key: string): string[] | null {
  const v = config[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new ConfigError(`[${engine}].${key} must be a list of strings`);
  return [...(v as string[])];
}

/**
 * `executable` (taiku addition, spec §11.3): explicit path to the engine CLI, e.g. when it is only
 * a shell alias. Also how tests point a runner at a fake CLI.
 */
export function executableOf(config: EngineConfig, engine: string): string | null {
  return optionalString(config, engine, "executable");
}
