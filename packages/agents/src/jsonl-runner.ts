/**
 * Spawn/stream/translate skeleton for engines that print JSONL on stdout (spec §5.1–5.3).
 * Subclasses supply argv, stdin, env, decoding and translation; this class guarantees the
 * runner contract: started checks, nothing after completed, a synthesised completed at the end,
 * and teardown of the process group on every exit path.
 */
import type { Readable } from "node:stream";
import { EventFactory } from "./events.js";
import { getLogger } from "./logger.js";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, trimAscii, type LineItem } from "./lines.js";
import type { AgentEvent, ActionEvent, ResumeToken } from "./model.js";
import { sameToken } from "./model.js";
import { DEFAULT_KILL_GRACE_MS, spawnGroup, terminateGroup, type SpawnedProcess } from "./proc.js";
import type { ResumeCodec } from "./resume.js";
import { BaseRunner, type RunOptions, type ThreadLocks } from "./runner.js";

export interface JsonlState {
  noteSeq: number;
}

export interface SubprocessOptions {
  /** Wait between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  /** Longest accepted stdout line. */
  maxLineBytes?: number;
}

/** Context handed to the end-of-stream hooks. */
export interface EndContext<S> {
  state: S;
  resume: ResumeToken | null;
  found: ResumeToken | null;
}

/**
 * Async queue of stdout lines with simple back-pressure on the source stream. The consumer takes
 * everything queued at once (one await per batch of lines, not per line).
 */
class LineQueue {
  private items: LineItem[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  constructor(private readonly source: Readable) {}
  push(items: LineItem[]): void {
    if (items.length === 0) return;
    if (this.items.length === 0) this.items = items;
    else for (const it of items) this.items.push(it);
    if (this.items.length > 1024) this.source.pause();
    this.notify();
  }
  end(): void {
    this.ended = true;
    this.notify();
  }
  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  /** All queued lines (non-empty), or null at the end. */
  async nextBatch(): Promise<LineItem[] | null> {
    for (;;) {
      if (this.items.length > 0) {
        const batch = this.items;
        this.items = [];
        if (this.source.isPaused()) this.source.resume();
        return batch;
      }
      if (this.ended) return null;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

export abstract class JsonlSubprocessRunner<S extends JsonlState = JsonlState> extends BaseRunner {
  protected readonly killGraceMs: number;
  protected readonly maxLineBytes: number;

  constructor(engine: string, codec?: ResumeCodec, opts: SubprocessOptions = {}) {
    super(engine, codec);
    this.killGraceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  // ---- hooks -------------------------------------------------------------------------------

  abstract command(): string;
  abstract buildArgs(prompt: string, resume: ResumeToken | null, state: S, opts: RunOptions): string[];
  abstract newState(prompt: string, resume: ResumeToken | null, opts: RunOptions): S;
  abstract translate(data: unknown, state: S, resume: ResumeToken | null, found: ResumeToken | null): AgentEvent[];

  /** Bytes for stdin, or null to close stdin at once. */
  stdinPayload(prompt: string, _resume: ResumeToken | null, _state: S): Buffer | null {
    return Buffer.from(prompt, "utf8");
  }

  /** Environment for the child; null = inherit. */
  env(_state: S): NodeJS.ProcessEnv | null {
    return null;
  }

  startRun(_prompt: string, _resume: ResumeToken | null, _state: S, _opts: RunOptions): void {}

  tag(): string {
    return this.engine;
  }

  /** Parses one line; returns null for invalid JSON. Schema decoders throw on mismatch. */
  decodeLine(line: string): unknown {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return null;
    }
  }

  /** Warning action with a fresh `<tag>.note.<n>` id (takopi `note_event`). */
  noteEvent(state: S, message: string, opts: { detail?: Record<string, unknown>; ok?: boolean } = {}): ActionEvent {
    if (typeof state.noteSeq !== "number") throw new Error("runner state has no noteSeq field");
    state.noteSeq += 1;
    const ok = opts.ok ?? false;
    return new EventFactory(this.engine).actionCompleted({
      actionId: `${this.tag()}.note.${state.noteSeq}`,
      kind: "warning",
      title: message,
      detail: opts.detail ?? {},
      ok,
      message,
      level: ok ? "info" : "warning",
    });
  }

  invalidJsonEvents(line: string, state: S): AgentEvent[] {
    return [this.noteEvent(state, `invalid JSON from ${this.tag()}; ignoring line`, { detail: { line } })];
  }

  decodeErrorEvents(line: string, error: unknown, state: S): AgentEvent[] {
    return [this.noteEvent(state, `invalid event from ${this.tag()}; ignoring line`, { detail: { line, error: String(error) } })];
  }

  translateErrorEvents(data: unknown, error: unknown, state: S): AgentEvent[] {
    const detail: Record<string, unknown> = { error: String(error) };
    if (data && typeof data === "object") {
      const d = data as Record<string, unknown>;
      if (typeof d["type"] === "string") detail["type"] = d["type"];
      const item = d["item"];
      if (item && typeof item === "object" && typeof (item as Record<string, unknown>)["type"] === "string") {
        detail["item_type"] = (item as Record<string, unknown>)["type"];
      }
    }
    return [this.noteEvent(state, `${this.tag()} translation error; ignoring event`, { detail })];
  }

  processErrorEvents(rc: number, ctx: EndContext<S>): AgentEvent[] {
    const message = `${this.tag()} failed (rc=${rc}).`;
    return [
      this.noteEvent(ctx.state, message),
      new EventFactory(this.engine).completedError({ error: message, answer: "", resume: ctx.found ?? ctx.resume }),
    ];
  }

  streamEndEvents(ctx: EndContext<S>): AgentEvent[] {
    return [
      new EventFactory(this.engine).completedError({
        error: `${this.tag()} finished without a result event`,
        answer: "",
        resume: ctx.found ?? ctx.resume,
      }),
    ];
  }

  /** A line longer than maxLineBytes: dropped with a visible warning. */
  overflowEvents(bytes: number, state: S): AgentEvent[] {
    return [this.noteEvent(state, `${this.tag()} printed a line of ${bytes} bytes; ignoring line`, { detail: { bytes } })];
  }

  /** Lines dropped by the decoder in the current run (for the version-drift hint). */
  private dropped = new WeakMap<object, number>();

  /** Decode + translate one non-empty line, turning failures into the hook events. */
  private lineEvents(line: string, seq: number, state: S, resume: ResumeToken | null, found: ResumeToken | null): AgentEvent[] {
    let data: unknown;
    try {
      data = this.decodeLine(line);
    } catch (err) {
      getLogger().debug(`${this.tag()} undecodable line dropped`, { seq, error: String(err) });
      this.dropped.set(state, (this.dropped.get(state) ?? 0) + 1);
      return this.decodeErrorEvents(line, err, state);
    }
    if (data === null) {
      this.dropped.set(state, (this.dropped.get(state) ?? 0) + 1);
      return this.invalidJsonEvents(line, state);
    }
    try {
      return this.translate(data, state, resume, found);
    } catch (err) {
      return this.translateErrorEvents(data, err, state);
    }
  }

  // ---- skeleton ----------------------------------------------------------------------------

  protected runImpl(prompt: string, resume: ResumeToken | null, opts: RunOptions): AsyncGenerator<AgentEvent, void> {
    return this.stream(prompt, resume, opts, null);
  }

  /**
   * BaseRunner.run's contract (thread locks) inlined into the stream itself: one async-generator
   * hop per event instead of two.
   */
  override run(prompt: string, resume: ResumeToken | null, opts: RunOptions = {}): AsyncGenerator<AgentEvent, void> {
    return this.stream(prompt, resume, opts, this.locks);
  }

  private async *stream(prompt: string, resume: ResumeToken | null, opts: RunOptions, locks: ThreadLocks | null): AsyncGenerator<AgentEvent, void> {
    if (locks && resume && resume.engine !== this.engine) {
      throw new Error(`resume token is for engine '${resume.engine}', not '${this.engine}'`);
    }
    let release: (() => void) | null = null;
    try {
      // A resumed thread is locked before anything is spawned (C1).
      if (locks && resume) release = await locks.acquire(resume, opts.signal);
      const log = getLogger();
      const state = this.newState(prompt, resume, opts);
      this.startRun(prompt, resume, state, opts);
      const argv = [this.command(), ...this.buildArgs(prompt, resume, state, opts)];
      const payload = this.stdinPayload(prompt, resume, state);
      const signal = opts.signal ?? null;
      if (signal?.aborted) return;

      const proc: SpawnedProcess = await spawnGroup(argv, { cwd: opts.cwd ?? null, env: this.env(state) });
      const { child } = proc;
      const stdin = child.stdin!;
      const stdout = child.stdout!;
      const stderr = child.stderr!;
      const tag = this.tag();

      let tornDown: Promise<number> | null = null;
      const teardown = () => (tornDown ??= terminateGroup(proc, this.killGraceMs));
      const onAbort = () => void teardown();
      signal?.addEventListener("abort", onAbort, { once: true });

      // stdin: payload then close; a child that exits early gives EPIPE, which is harmless.
      stdin.on("error", (err) => log.debug(`${tag} stdin error`, { error: String(err) }));
      if (payload) stdin.end(payload);
      else stdin.end();

      // stderr goes to logs only — never into events (spec §3.0).
      const errSplit = new LineSplitter(this.maxLineBytes);
      const logErr = (items: LineItem[]) => {
        for (const it of items) if (it.kind === "line" && it.text.trim()) log.debug(`${tag} stderr`, { line: it.text });
      };
      stderr.on("data", (c: Buffer) => logErr(errSplit.push(c)));
      stderr.on("end", () => logErr(errSplit.end()));
      stderr.on("error", (err) => log.debug(`${tag} stderr error`, { error: String(err) }));

      const outSplit = new LineSplitter(this.maxLineBytes);
      const queue = new LineQueue(stdout);
      stdout.on("data", (c: Buffer) => queue.push(outSplit.push(c)));
      stdout.on("end", () => {
        queue.push(outSplit.end());
        queue.end();
      });
      stdout.on("error", (err) => {
        log.debug(`${tag} stdout error`, { error: String(err) });
        queue.end();
      });
      stdout.on("close", () => queue.end());

      let found: ResumeToken | null = null;
      let completed = false;
      let droppedAfterCompleted = false;
      let jsonlSeq = 0;

      try {
        read: for (;;) {
          const batch = await queue.nextBatch();
          if (batch === null) break;
          for (const item of batch) {
            if (completed) {
              // Keep reading to EOF, but nothing is emitted after completed (R2).
              if (!droppedAfterCompleted) log.debug(`${tag} output after completed dropped`);
              droppedAfterCompleted = true;
              continue read;
            }
            let events: AgentEvent[];
            if (item.kind === "overflow") {
              events = this.overflowEvents(item.bytes, state);
            } else {
              const line = trimAscii(item.text);
              if (!line) continue;
              jsonlSeq++;
              events = this.lineEvents(line, jsonlSeq, state, resume, found);
            }
            for (const ev of events) {
              if (ev.type === "started") {
                if (ev.engine !== this.engine) throw new Error(`started event for engine '${ev.engine}' from runner '${this.engine}'`);
                if (resume && !sameToken(ev.resume, resume)) {
                  throw new Error(`resumed ${resume.value} but ${tag} started ${ev.resume.value}`);
                }
                if (found) {
                  if (sameToken(found, ev.resume)) continue; // duplicate started is swallowed (R12)
                  throw new Error(`${tag} started a second session ${ev.resume.value} after ${found.value}`);
                }
                found = ev.resume;
                // A new thread takes its lock before yielding `started` (C3, C4).
                if (locks && !release) release = await locks.acquire(ev.resume, opts.signal);
                yield ev;
              } else if (ev.type === "completed") {
                completed = true;
                yield ev;
                break; // remaining events of the same line are discarded
              } else {
                yield ev;
              }
            }
          }
        }
        if (signal?.aborted) return; // cancelled: no synthesised events (§5.3)
        const rc = await proc.exited;
        if (completed || signal?.aborted) return;
        const end = rc !== 0 ? this.processErrorEvents(rc, { state, resume, found }) : this.streamEndEvents({ state, resume, found });
        const dropped = this.dropped.get(state) ?? 0;
        for (const ev of end) {
          // A run that never started but printed unrecognised lines is most likely a CLI version
          // this runner does not speak (spec §11.4): say so.
          if (ev.type === "completed" && !found && dropped > 0 && ev.error) {
            yield Object.freeze({ ...ev, error: `${ev.error} (${dropped} unrecognised line${dropped === 1 ? "" : "s"} — is \`${this.command()}\` up to date?)` });
            break;
          }
          yield ev;
          if (ev.type === "completed") break;
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        if (proc.isRunning() || tornDown) await teardown();
        stdout.destroy();
        stderr.destroy();
      }
    } finally {
      release?.();
    }
  }
}
