/**
 * The agents subsystem of a share (`taiku --agents`): session chat runs (session-agents.ts) and
 * detection of agents started by hand in the shells (detect.ts), configured from taiku.toml.
 */
import { ConfigError } from "@taiku/agents";
import { CliError, EXIT } from "../exit-codes.js";
import type { ShareSession } from "../session.js";
import { doctorLines, setupAgents, type AgentsSetup } from "./config.js";
import { AgentDetector } from "./detect.js";
import { startSessionAgents, type SessionAgents } from "./session-agents.js";

export interface ShareAgentsOptions {
  /** `$TAIKU_HOME` for taiku.toml and plugins (default: the share's home). */
  home?: string;
  /** Explicit taiku.toml (`--config`). */
  configPath?: string;
  /** `--agents-owner-only`. */
  ownerOnly?: boolean;
  /** Chat name of the agents (default `agent`; `@agent` addresses them). */
  name?: string;
  editIntervalMs?: number;
  showResumeLine?: boolean;
  /** Detect agents started by hand in the shells (default true where /proc exists). */
  detect?: boolean;
  detectIntervalMs?: number;
  which?: (cmd: string) => string | null;
}

export interface ShareAgents {
  readonly setup: AgentsSetup;
  readonly chat: SessionAgents;
  readonly detector: AgentDetector | null;
  /** Start-up diagnostics (missing engines with their install commands). */
  readonly warnings: string[];
  close(): Promise<void>;
}

export async function startShareAgents(session: ShareSession, opts: ShareAgentsOptions & { home: string; dir: string; log?: (m: string) => void }): Promise<ShareAgents> {
  let setup: AgentsSetup;
  try {
    setup = await setupAgents({ home: opts.home, ...(opts.configPath ? { configPath: opts.configPath } : {}), ...(opts.which ? { which: opts.which } : {}) });
  } catch (err) {
    throw err instanceof ConfigError ? new CliError(err.message, EXIT.usage) : err;
  }
  const warnings: string[] = [];
  if (setup.missing.length || !setup.runtime) warnings.push(...doctorLines(setup).filter((l) => l.includes("✗") || l.startsWith("no agent")));
  const chat = startSessionAgents({
    session,
    setup,
    dir: opts.dir,
    ...(opts.ownerOnly ? { ownerOnly: true } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.editIntervalMs !== undefined ? { editIntervalMs: opts.editIntervalMs } : {}),
    ...(opts.showResumeLine !== undefined ? { showResumeLine: opts.showResumeLine } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  let detector: AgentDetector | null = null;
  if (opts.detect !== false && AgentDetector.supported()) {
    detector = new AgentDetector({
      sessionId: () => session.sessionId,
      shellIds: () => session.shellIds(),
      sink: (shellId, ev) => session.sendAgentEvent(shellId, ev),
      ...(opts.detectIntervalMs ? { intervalMs: opts.detectIntervalMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    detector.start();
  }
  let closed: Promise<void> | null = null;
  return {
    setup,
    chat,
    detector,
    warnings,
    close: () =>
      (closed ??= (async () => {
        detector?.close();
        await chat.close();
      })()),
  };
}

export { setupAgents, doctorLines, type AgentsSetup } from "./config.js";
export { addressAgents } from "./triggers.js";
export { AgentRunTelemetry, normalizeUsage, type AgentWireEvent } from "./telemetry.js";
