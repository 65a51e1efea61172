/** Progress tracking (spec §6.2): folds events into the state a presenter renders. */
import type { Action, ActionEvent, AgentEvent, EngineId, ResumeToken } from "../model.js";

export interface ActionState {
  readonly action: Action;
  readonly phase: ActionEvent["phase"];
  /** `updated` when a started action is seen again before it completes. */
  readonly displayPhase: ActionEvent["phase"];
  readonly ok: boolean | null;
  readonly message: string | null;
  readonly firstSeen: number;
  readonly lastUpdate: number;
  readonly completed: boolean;
}

export interface ProgressState {
  readonly engine: EngineId;
  readonly actionCount: number;
  /** Sorted by first appearance. */
  readonly actions: readonly ActionState[];
  readonly resume: ResumeToken | null;
  readonly resumeLine: string | null;
  readonly contextLine: string | null;
  /** Run directory, for relativising paths in titles. */
  readonly cwd?: string | null;
}

export class ProgressTracker {
  resume: ResumeToken | null = null;
  private readonly actions = new Map<string, ActionState>();
  private actionCount = 0;
  private seq = 0;

  constructor(readonly engine: EngineId) {}

  /** Returns true when the state changed in a way worth re-rendering. */
  noteEvent(ev: AgentEvent): boolean {
    if (ev.type === "started") {
      this.resume = ev.resume;
      return true;
    }
    if (ev.type !== "action") return false;
    const { action } = ev;
    if (action.kind === "turn" || !action.id) return false;
    const completed = ev.phase === "completed";
    const prev = this.actions.get(action.id);
    const hasOpen = !!prev && !prev.completed;
    const displayPhase = (ev.phase === "updated" || (ev.phase === "started" && hasOpen)) && !completed ? "updated" : ev.phase;
    if (!prev) this.actionCount++;
    this.seq++;
    this.actions.set(action.id, {
      action,
      phase: ev.phase,
      displayPhase,
      ok: ev.ok,
      message: ev.message,
      firstSeen: prev ? prev.firstSeen : this.seq,
      lastUpdate: this.seq,
      completed,
    });
    return true;
  }

  snapshot(opts: { formatResume?: ((t: ResumeToken) => string) | null; contextLine?: string | null; cwd?: string | null } = {}): ProgressState {
    const resumeLine = this.resume && opts.formatResume ? opts.formatResume(this.resume) || null : null;
    return {
      engine: this.engine,
      actionCount: this.actionCount,
      actions: [...this.actions.values()].sort((a, b) => a.firstSeen - b.firstSeen),
      resume: this.resume,
      resumeLine,
      contextLine: opts.contextLine ?? null,
      cwd: opts.cwd ?? null,
    };
  }
}
