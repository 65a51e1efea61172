/** Engine router (spec §4.5, §9.3): runners in discovery order, resume polling, availability. */
import type { EngineId, ResumeToken } from "../model.js";
import type { Runner } from "../runner.js";

export type EngineStatus = "ok" | "bad_config" | "missing_cli" | "load_error";

export interface RunnerEntry {
  engine: EngineId;
  runner: Runner;
  status: EngineStatus;
  issue: string | null;
}

export class AutoRouter {
  readonly entries: readonly RunnerEntry[];
  readonly defaultEngine: EngineId;
  private readonly byId: Map<EngineId, RunnerEntry>;

  constructor(entries: readonly RunnerEntry[], defaultEngine: EngineId) {
    this.entries = entries;
    this.defaultEngine = defaultEngine;
    this.byId = new Map(entries.map((e) => [e.engine, e]));
  }

  get engineIds(): EngineId[] {
    return this.entries.map((e) => e.engine);
  }

  entryFor(engine: EngineId): RunnerEntry | undefined {
    return this.byId.get(engine);
  }

  /** First runner in router order that recognises a resume line wins. */
  extractResume(text: string | null | undefined): ResumeToken | null {
    if (!text) return null;
    for (const e of this.entries) {
      const token = e.runner.extractResume(text);
      if (token) return token;
    }
    return null;
  }

  /** The message text first, then the replied-to text. */
  resolveResume(text: string | null | undefined, replyText: string | null | undefined): ResumeToken | null {
    return this.extractResume(text) ?? this.extractResume(replyText);
  }

  isResumeLine(line: string): boolean {
    return this.entries.some((e) => e.runner.isResumeLine(line));
  }
}
