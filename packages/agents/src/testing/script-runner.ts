/**
 * ScriptRunner: a scripted test double honouring the runner contract (spec §2.4). Exported so
 * plugin authors and transport tests can drive handleMessage without a subprocess.
 */
import { randomBytes } from "node:crypto";
import type { Latch } from "../concurrency.js";
import { waitOrAbort } from "../concurrency.js";
import { EventFactory } from "../events.js";
import type { AgentEvent, EngineId, ResumeToken } from "../model.js";
import { resumeToken } from "../model.js";
import { BaseRunner, type RunOptions } from "../runner.js";

export type ScriptStep =
  | { kind: "emit"; event: AgentEvent; at?: number }
  | { kind: "advance"; now: number }
  | { kind: "sleep"; seconds: number }
  | { kind: "wait"; latch: Latch }
  | { kind: "raise"; error: Error }
  | { kind: "return"; answer: string };

export const Emit = (event: AgentEvent, at?: number): ScriptStep => ({ kind: "emit", event, ...(at === undefined ? {} : { at }) });
export const Advance = (now: number): ScriptStep => ({ kind: "advance", now });
export const Sleep = (seconds: number): ScriptStep => ({ kind: "sleep", seconds });
export const Wait = (latch: Latch): ScriptStep => ({ kind: "wait", latch });
export const Raise = (error: Error): ScriptStep => ({ kind: "raise", error });
export const Return = (answer: string): ScriptStep => ({ kind: "return", answer });

export interface ScriptRunnerOptions {
  engine?: EngineId;
  resumeValue?: string | null;
  emitSessionStart?: boolean;
  sleep?: (seconds: number) => Promise<void>;
  advance?: (now: number) => void;
  defaultAnswer?: string;
  title?: string;
}

export class ScriptRunner extends BaseRunner {
  readonly calls: Array<[string, ResumeToken | null]> = [];
  private readonly steps: readonly ScriptStep[];
  private readonly opts: ScriptRunnerOptions;

  constructor(steps: readonly ScriptStep[], opts: ScriptRunnerOptions = {}) {
    super(opts.engine ?? "mock");
    this.steps = steps;
    this.opts = opts;
  }

  /** Holds the thread lock for the whole run, unlike subprocess runners which lock at `started`. */
  override async *run(prompt: string, resume: ResumeToken | null, opts: RunOptions = {}): AsyncGenerator<AgentEvent, void> {
    if (resume && resume.engine !== this.engine) throw new Error(`resume token is for engine '${resume.engine}', not '${this.engine}'`);
    this.calls.push([prompt, resume]);
    const token = resume ?? resumeToken(this.engine, this.opts.resumeValue ?? randomBytes(16).toString("hex"));
    const release = await this.locks.acquire(token, opts.signal);
    try {
      yield* this.runImpl(prompt, token, opts);
    } finally {
      release();
    }
  }

  protected async *runImpl(_prompt: string, token: ResumeToken | null, opts: RunOptions): AsyncGenerator<AgentEvent, void> {
    const f = new EventFactory(this.engine);
    const title = this.opts.title ?? this.engine.charAt(0).toUpperCase() + this.engine.slice(1);
    if (this.opts.emitSessionStart !== false && token) yield f.started(token, { title });
    const sleep = this.opts.sleep ?? ((s: number) => new Promise<void>((r) => setTimeout(r, s * 1000)));
    for (const step of this.steps) {
      if (opts.signal?.aborted) return;
      switch (step.kind) {
        case "emit": {
          if (step.at !== undefined) this.opts.advance?.(step.at);
          const ev = step.event;
          // A completed action without an outcome counts as a success.
          yield ev.type === "action" && ev.phase === "completed" && ev.ok === null ? Object.freeze({ ...ev, ok: true }) : ev;
          if (ev.type === "completed") return; // nothing follows a completed event
          break;
        }
        case "advance":
          this.opts.advance?.(step.now);
          break;
        case "sleep":
          await sleep(step.seconds);
          break;
        case "wait":
          await waitOrAbort(step.latch.wait(), opts.signal);
          break;
        case "raise":
          throw step.error;
        case "return":
          yield f.completedOk({ answer: step.answer, resume: token });
          return;
      }
    }
    yield f.completedOk({ answer: this.opts.defaultAnswer ?? "", resume: token });
  }
}
