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
  /** The states in first-appearance order, and each id's index in it (kept incrementally). */
  private readonly ordered: ActionState[] = [];
  private readonly index = new Map<string, number>();
  /** The last snapshot's actions, reused until the next change. */
  private orderedCopy: readonly ActionState[] | null = null;
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
    const at = this.index.get(action.id);
    const prev = at === undefined ? undefined : this.ordered[at];
    const hasOpen = !!prev && !prev.completed;
    const displayPhase = (ev.phase === "updated" || (ev.phase === "started" && hasOpen)) && !completed ? "updated" : ev.phase;
    if (!prev) this.actionCount++;
    this.seq++;
    const next: ActionState = {
      action,
      phase: ev.phase,
      displayPhase,
      ok: ev.ok,
      message: ev.message,
      firstSeen: prev ? prev.firstSeen : this.seq,
      lastUpdate: this.seq,
      completed,
    };
    if (at === undefined) {
      this.index.set(action.id, this.ordered.length);
      this.ordered.push(next);
    } else {
      this.ordered[at] = next;
    }
    this.orderedCopy = null;
    return true;
  }

  snapshot(opts: { formatResume?: ((t: ResumeToken) => string) | null; contextLine?: string | null; cwd?: string | null } = {}): ProgressState {
    const resumeLine = this.resume && opts.formatResume ? opts.formatResume(this.resume) || null : null;
    return {
      engine: this.engine,
      actionCount: this.actionCount,
      actions: (this.orderedCopy ??= Object.freeze(this.ordered.slice())),
      resume: this.resume,
      resumeLine,
      contextLine: opts.contextLine ?? null,
      cwd: opts.cwd ?? null,
    };
  }
}
