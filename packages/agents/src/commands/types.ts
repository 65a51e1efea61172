/** Command backends (seed 002 "Command backends", spec §1.4.4, §8.1). */
import type { EngineId, RunContext } from "../model.js";
import type { MessageRef, RenderedMessage } from "../bridge/transport.js";
import type { TransportRuntime } from "../runtime/transport-runtime.js";

export type RunMode = "emit" | "capture";

export interface RunRequest {
  prompt: string;
  engine?: EngineId | null;
  context?: RunContext | null;
}

export interface RunResult {
  engine: EngineId;
  /** The final rendered message in capture mode, null in emit mode. */
  message: RenderedMessage | null;
}

export interface CommandResult {
  text: string;
  notify?: boolean;
  replyTo?: MessageRef | null;
}

export interface CommandExecutor {
  send(message: RenderedMessage | string, opts?: { replyTo?: MessageRef | null; notify?: boolean }): Promise<MessageRef | null>;
  runOne(req: RunRequest, opts?: { mode?: RunMode }): Promise<RunResult>;
  runMany(reqs: RunRequest[], opts?: { mode?: RunMode; parallel?: boolean }): Promise<RunResult[]>;
}

export interface CommandContext {
  /** Lowercased command id. */
  command: string;
  text: string;
  argsText: string;
  args: readonly string[];
  message: MessageRef;
  replyTo: MessageRef | null;
  replyText: string | null;
  configPath: string | null;
  pluginConfig: Record<string, unknown>;
  runtime: TransportRuntime;
  executor: CommandExecutor;
}

export interface CommandBackend {
  readonly id: string;
  readonly description: string;
  handle(ctx: CommandContext): Promise<CommandResult | null>;
}

export function defineCommandBackend(backend: CommandBackend): CommandBackend {
  return backend;
}
