/** Transport backends (seed 002 "TransportBackend", spec §1.4.3). */
import type { EngineBackend } from "../engines/backend.js";
import type { TransportRuntime } from "../runtime/transport-runtime.js";

export interface SetupIssue {
  title: string;
  lines: readonly string[];
}

export interface SetupResult {
  issues: SetupIssue[];
  configPath: string;
  readonly ok: boolean;
}

export function setupResult(issues: SetupIssue[], configPath: string): SetupResult {
  return { issues, configPath, get ok() { return issues.length === 0; } };
}

export interface TransportBackend {
  readonly id: string;
  readonly description: string;
  checkSetup(engine: EngineBackend, opts?: { transportOverride?: string | null }): SetupResult;
  interactiveSetup(opts: { force: boolean }): Promise<boolean>;
  /** A secret used only to fingerprint the single-instance lock (Telegram: the bot token). */
  lockToken(opts: { transportConfig: unknown; configPath: string }): string | null;
  /** Resolves when the transport stops. */
  buildAndRun(opts: {
    transportConfig: unknown;
    configPath: string;
    runtime: TransportRuntime;
    finalNotify: boolean;
    defaultEngineOverride: string | null;
  }): Promise<void>;
}

export function defineTransportBackend(backend: TransportBackend): TransportBackend {
  return backend;
}
