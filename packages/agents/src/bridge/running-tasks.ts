/** Registry of active runs keyed by their progress message (spec §5.7). */
import { Latch } from "../concurrency.js";
import type { ResumeToken, RunContext } from "../model.js";
import { refKey, type MessageRef } from "./transport.js";

export class RunningTask {
  resume: ResumeToken | null = null;
  readonly resumeReady = new Latch();
  readonly cancelRequested = new Latch();
  readonly done = new Latch();
  constructor(readonly context: RunContext | null = null, readonly contextLine: string | null = null) {}
}

export class RunningTasks {
  private readonly tasks = new Map<string, RunningTask>();
  get(ref: Pick<MessageRef, "channelId" | "messageId">): RunningTask | undefined {
    return this.tasks.get(refKey(ref));
  }
  set(ref: Pick<MessageRef, "channelId" | "messageId">, task: RunningTask): void {
    this.tasks.set(refKey(ref), task);
  }
  delete(ref: Pick<MessageRef, "channelId" | "messageId">): void {
    this.tasks.delete(refKey(ref));
  }
  get size(): number {
    return this.tasks.size;
  }
  values(): IterableIterator<RunningTask> {
    return this.tasks.values();
  }
}
