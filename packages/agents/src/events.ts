/**
 * EventFactory: per-run builder bound to one engine. It remembers the session token so that
 * `completed` falls back to it, and refuses a second, different token (spec §2.3).
 */
import type {
  Action, ActionEvent, ActionKind, ActionLevel, ActionPhase, CompletedEvent, EngineId, ResumeToken, StartedEvent,
} from "./model.js";
import { sameToken } from "./model.js";

export interface ActionInput {
  actionId: string;
  kind: ActionKind | (string & {});
  title: string;
  detail?: Record<string, unknown> | null;
  ok?: boolean | null;
  message?: string | null;
  level?: ActionLevel | null;
}

export class EventFactory {
  private token: ResumeToken | null = null;
  constructor(readonly engine: EngineId) {}

  get resume(): ResumeToken | null {
    return this.token;
  }

  started(token: ResumeToken, opts: { title?: string | null; meta?: Record<string, unknown> | null } = {}): StartedEvent {
    if (token.engine !== this.engine) throw new Error(`resume token is for engine '${token.engine}', not '${this.engine}'`);
    if (this.token && !sameToken(this.token, token)) {
      throw new Error(`resume token mismatch: ${this.token.value} vs ${token.value}`);
    }
    this.token = token;
    return Object.freeze({ type: "started", engine: this.engine, resume: token, title: opts.title ?? null, meta: opts.meta ?? null });
  }

  action(input: ActionInput & { phase: ActionPhase }): ActionEvent {
    return this.make(input, input.phase);
  }

  actionStarted(input: ActionInput): ActionEvent {
    return this.make(input, "started");
  }

  actionUpdated(input: ActionInput): ActionEvent {
    return this.make(input, "updated");
  }

  actionCompleted(input: ActionInput & { ok: boolean | null }): ActionEvent {
    return this.make(input, "completed");
  }

  /**
   * One event per translated line, so this is hot: no copy of the input, and one freeze (the
   * event; its action is typed readonly and only reachable through it).
   */
  private make(input: ActionInput, phase: ActionPhase): ActionEvent {
    const action: Action = { id: input.actionId, kind: input.kind, title: input.title, detail: input.detail ?? {} };
    return Object.freeze({
      type: "action",
      engine: this.engine,
      action,
      phase,
      ok: input.ok ?? null,
      message: input.message ?? null,
      level: input.level ?? null,
    });
  }

  completed(input: {
    ok: boolean;
    answer: string;
    resume?: ResumeToken | null;
    error?: string | null;
    usage?: Record<string, unknown> | null;
  }): CompletedEvent {
    return Object.freeze({
      type: "completed",
      engine: this.engine,
      ok: input.ok,
      answer: input.answer,
      resume: input.resume ?? this.token,
      error: input.error ?? null,
      usage: input.usage ?? null,
    });
  }

  completedOk(input: { answer: string; resume?: ResumeToken | null; usage?: Record<string, unknown> | null }): CompletedEvent {
    return this.completed({ ...input, ok: true });
  }

  completedError(input: { error: string; answer?: string; resume?: ResumeToken | null; usage?: Record<string, unknown> | null }): CompletedEvent {
    return this.completed({ ...input, ok: false, answer: input.answer ?? "" });
  }
}
