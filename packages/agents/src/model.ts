/**
 * Domain model shared by every layer: engine ids, resume tokens, actions, the three normalised
 * events and the run context. Field names are takopi's wire names (spec §1.4.1).
 */
export type EngineId = string;

export interface ResumeToken {
  readonly engine: EngineId;
  readonly value: string;
}

export function resumeToken(engine: EngineId, value: string): ResumeToken {
  return Object.freeze({ engine, value });
}

/** Tokens are equal when both engine and value are equal. */
export function sameToken(a: ResumeToken | null | undefined, b: ResumeToken | null | undefined): boolean {
  if (!a || !b) return a === b || (!a && !b);
  return a.engine === b.engine && a.value === b.value;
}

/** Key of one engine-side conversation [compat: `engine:value`]. */
export function threadKey(token: ResumeToken): string {
  return `${token.engine}:${token.value}`;
}

export type ActionKind =
  | "command"
  | "tool"
  | "file_change"
  | "web_search"
  | "subagent"
  | "note"
  | "turn"
  | "warning"
  | "telemetry";

export interface Action {
  readonly id: string;
  /** Renderers must tolerate kinds they do not know (plugins may add some). */
  readonly kind: ActionKind | (string & {});
  readonly title: string;
  readonly detail: Record<string, unknown>;
}

export type ActionPhase = "started" | "updated" | "completed";
export type ActionLevel = "debug" | "info" | "warning" | "error";

export interface StartedEvent {
  readonly type: "started";
  readonly engine: EngineId;
  readonly resume: ResumeToken;
  readonly title: string | null;
  readonly meta: Record<string, unknown> | null;
}

export interface ActionEvent {
  readonly type: "action";
  readonly engine: EngineId;
  readonly action: Action;
  readonly phase: ActionPhase;
  readonly ok: boolean | null;
  readonly message: string | null;
  readonly level: ActionLevel | null;
}

export interface CompletedEvent {
  readonly type: "completed";
  readonly engine: EngineId;
  readonly ok: boolean;
  readonly answer: string;
  readonly resume: ResumeToken | null;
  readonly error: string | null;
  readonly usage: Record<string, unknown> | null;
}

export type AgentEvent = StartedEvent | ActionEvent | CompletedEvent;

export interface RunContext {
  /** Lowercase project key, or null. */
  readonly project: string | null;
  readonly branch: string | null;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export class DirectiveError extends Error {
  override name = "DirectiveError";
}

export class RunnerUnavailableError extends Error {
  override name = "RunnerUnavailableError";
  readonly engine: EngineId;
  readonly issue: string | null;
  constructor(engine: EngineId, issue?: string | null) {
    // [compat] this text is shown to users verbatim.
    super(issue ? `engine '${engine}' is unavailable: ${issue}` : `engine '${engine}' is unavailable`);
    this.engine = engine;
    this.issue = issue ?? null;
  }
}
