/**
 * handleMessage (spec §6.1): runs one prompt through a runner while keeping one progress message
 * current, then publishes exactly one final message (or a cancelled / error render).
 * Transport-agnostic: all chat I/O goes through `cfg.transport`, all rendering through
 * `cfg.presenter`. The bridge has no time-based throttle; transports coalesce and pace edits.
 */
import { isAbortError, Latch, yieldToEventLoop } from "../concurrency.js";
import { getLogger } from "../logger.js";
import type { CompletedEvent, ResumeToken, RunContext } from "../model.js";
import { stripResumeLines } from "../resume.js";
import type { Runner, RunOptions } from "../runner.js";
import { ProgressTracker } from "./progress.js";
import { RunningTask, type RunningTasks } from "./running-tasks.js";
import { sameRendered, type ExecBridgeConfig, type IncomingMessage, type MessageRef, type RenderedMessage } from "./transport.js";

export interface HandleMessageOptions {
  runner: Runner;
  incoming: IncomingMessage;
  resumeToken: ResumeToken | null;
  context?: RunContext | null;
  contextLine?: string | null;
  stripResumeLine?: ((line: string) => boolean) | null;
  runningTasks?: RunningTasks | null;
  onThreadKnown?: ((token: ResumeToken, done: Latch) => Promise<void>) | null;
  /** A `queued` progress message to take over. */
  progressRef?: MessageRef | null;
  /** Monotonic seconds; injectable for tests. */
  clock?: () => number;
  runOptions?: RunOptions;
}

export type RunOutcome =
  | { kind: "completed"; event: CompletedEvent }
  | { kind: "cancelled" }
  | { kind: "error"; error: string }
  | { kind: "incomplete" };

export const monotonicSeconds = (): number => performance.now() / 1000;

/** Error text: nested aggregate errors flattened, aborts excluded, class name for empty messages. */
export function errorText(err: unknown): string {
  const flat: unknown[] = [];
  const walk = (e: unknown) => {
    if (e instanceof AggregateError) e.errors.forEach(walk);
    else if (!isAbortError(e)) flat.push(e);
  };
  walk(err);
  return flat.map((e) => (e instanceof Error ? e.message || e.name || e.constructor.name : String(e))).join("\n");
}

/**
 * One-slot mailbox: at most one render in flight; events while it runs only mark it dirty. With a
 * `ready` gate (the transport's `editReady`), a dirty state is rendered only once an edit can
 * actually go out, so a flood of events costs one render per delivered edit, not one per event.
 */
class ProgressEditor {
  private dirty = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly halt = new AbortController();
  private readonly loop: Promise<void>;
  constructor(
    private readonly render: () => Promise<void>,
    private readonly ready: ((signal: AbortSignal) => Promise<void>) | null = null,
  ) {
    this.loop = this.run();
  }
  signal(): void {
    this.dirty = true;
    this.kick();
  }
  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  private async run(): Promise<void> {
    for (;;) {
      if (!this.dirty && !this.stopped) await new Promise<void>((r) => (this.wake = r));
      if (this.stopped) return;
      if (this.ready) {
        try {
          await this.ready(this.halt.signal);
        } catch (err) {
          getLogger().debug("progress edit gate failed", { error: String(err) });
        }
        if (this.stopped) return;
      }
      this.dirty = false;
      try {
        await this.render();
      } catch (err) {
        getLogger().debug("progress edit failed", { error: String(err) });
      }
    }
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    this.kick();
    await this.loop;
  }
}

export async function handleMessage(cfg: ExecBridgeConfig, opts: HandleMessageOptions): Promise<RunOutcome> {
  const { runner, incoming } = opts;
  const { transport, presenter } = cfg;
  const clock = opts.clock ?? monotonicSeconds;
  const startedAt = clock();
  const prompt = stripResumeLines(incoming.text, opts.stripResumeLine ?? ((l) => runner.isResumeLine(l)));
  const tracker = new ProgressTracker(runner.engine);
  const cwd = opts.runOptions?.cwd ?? null;
  const state = () => tracker.snapshot({ formatResume: (t) => runner.formatResume(t), contextLine: opts.contextLine ?? null, cwd });
  const userRef: MessageRef = { channelId: incoming.channelId, messageId: incoming.messageId, threadId: incoming.threadId ?? null };
  const threadId = incoming.threadId ?? null;

  // 1. Initial progress message: take over a queued one, else send a silent reply.
  const initial = presenter.renderProgress(state(), { elapsedS: 0, label: "starting" });
  let progressRef: MessageRef | null = null;
  if (opts.progressRef) progressRef = await transport.edit({ ref: opts.progressRef, message: initial });
  if (!progressRef) {
    progressRef = await transport.send({
      channelId: incoming.channelId,
      message: initial,
      options: { replyTo: userRef, notify: false, threadId, replace: opts.progressRef ?? null },
    });
  }
  let delivered: RenderedMessage | null = progressRef ? initial : null;

  // 2. Registry entry while the run is active.
  let task: RunningTask | null = null;
  if (opts.runningTasks && progressRef) {
    task = new RunningTask(opts.context ?? null, opts.contextLine ?? null);
    opts.runningTasks.set(progressRef, task);
  }

  // 3. Editor, consumer and cancel watcher.
  const editor = progressRef
    ? new ProgressEditor(async () => {
        const message = presenter.renderProgress(state(), { elapsedS: clock() - startedAt, label: "working" });
        if (sameRendered(message, delivered)) return;
        const r = await transport.edit({ ref: progressRef!, message, wait: false });
        if (r) delivered = message;
      }, transport.editReady ? (signal) => transport.editReady!(progressRef!, signal) : null)
    : null;

  const abort = new AbortController();
  const signal = opts.runOptions?.signal ? AbortSignal.any([abort.signal, opts.runOptions.signal]) : abort.signal;
  let cancelled = false;
  let stopWatching = () => {};
  if (task) {
    const t = task;
    const stopped = new Latch();
    stopWatching = () => stopped.set();
    void Promise.race([t.cancelRequested.wait().then(() => true), stopped.wait().then(() => false)]).then((cancel) => {
      if (!cancel) return;
      cancelled = true;
      abort.abort();
    });
  }

  // The latch handed to onThreadKnown: queued resumes of a new thread wait for it.
  const doneLatch = task?.done ?? new Latch();
  let startedToken: ResumeToken | null = null;
  let completed: CompletedEvent | null = null;
  let failure: unknown = null;
  try {
    for await (const ev of runner.run(prompt, opts.resumeToken, { ...opts.runOptions, signal })) {
      if (ev.type === "started") {
        startedToken = ev.resume;
        if (!task || !task.resume) {
          if (task) task.resume = ev.resume;
          try {
            await opts.onThreadKnown?.(ev.resume, doneLatch);
          } catch (err) {
            getLogger().warn("onThreadKnown failed", { error: String(err) });
          } finally {
            task?.resumeReady.set();
          }
        }
      } else if (ev.type === "completed") {
        completed = ev;
      }
      if (tracker.noteEvent(ev)) editor?.signal();
    }
  } catch (err) {
    if (!(cancelled && isAbortError(err)) && !(opts.runOptions?.signal?.aborted && isAbortError(err))) failure = err;
  } finally {
    stopWatching();
  }
  if (opts.runOptions?.signal?.aborted && !failure && !completed) cancelled = true;

  // 4. Wind down: the task is done; let a ready edit flush, then stop editing.
  doneLatch.set();
  if (task) {
    task.resumeReady.set();
    opts.runningTasks!.delete(progressRef!);
  }
  if (!cancelled && !failure) await yieldToEventLoop();
  await editor?.stop();
  const elapsedS = clock() - startedAt;

  // 5. Outcome.
  const inPlace = async (message: RenderedMessage): Promise<void> => {
    const edited = progressRef ? await transport.edit({ ref: progressRef, message }) : null;
    if (!edited) {
      await transport.send({ channelId: incoming.channelId, message, options: { replyTo: userRef, notify: false, threadId, replace: progressRef } });
    }
  };

  if (failure !== null || (!completed && !cancelled)) {
    // [deviation §11.1 row 9] a runner that ends without `completed` renders an error too.
    tracker.resume ??= startedToken ?? opts.resumeToken;
    const error = failure !== null ? errorText(failure) : "runner finished without a completed event";
    await inPlace(presenter.renderFinal(state(), { elapsedS, status: "error", answer: error }));
    return failure !== null ? { kind: "error", error } : { kind: "incomplete" };
  }
  if (cancelled) {
    tracker.resume ??= startedToken ?? opts.resumeToken;
    await inPlace(presenter.renderProgress(state(), { elapsedS, label: "`cancelled`" }));
    return { kind: "cancelled" };
  }

  const done = completed!;
  let answer = done.answer;
  if (done.ok === false && done.error) answer = answer.trim() ? `${answer}\n\n${done.error}` : done.error;
  const status = done.ok === false ? "error" : answer.trim() ? "done" : "error";
  tracker.resume = done.resume ?? startedToken;
  const final = presenter.renderFinal(state(), { elapsedS, status, answer });
  if (!progressRef) {
    await transport.send({ channelId: incoming.channelId, message: final, options: { replyTo: userRef, notify: true, threadId } });
  } else if (cfg.finalNotify) {
    await transport.send({ channelId: incoming.channelId, message: final, options: { replyTo: userRef, notify: true, threadId, replace: progressRef } });
  } else {
    const edited = await transport.edit({ ref: progressRef, message: final });
    if (!edited) await transport.send({ channelId: incoming.channelId, message: final, options: { replyTo: userRef, notify: true, threadId, replace: progressRef } });
  }
  return { kind: "completed", event: done };
}
