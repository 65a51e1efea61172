/**
 * Per-thread FIFO for resumed runs (spec §5.6). New threads are never queued; a job for a thread
 * starts only after the previous one (and a new-thread run that created it) has finished.
 */
import type { Latch } from "../concurrency.js";
import { getLogger } from "../logger.js";
import { threadKey, type ResumeToken, type RunContext } from "../model.js";
import type { ChannelId, MessageId, MessageRef, ThreadId } from "./transport.js";

export interface ThreadJob {
  chatId: ChannelId;
  userMsgId: MessageId;
  text: string;
  resumeToken: ResumeToken;
  context?: RunContext | null;
  threadId?: ThreadId | null;
  sessionKey?: string | null;
  progressRef?: MessageRef | null;
  senderId?: number | string | null;
}

export class ThreadScheduler {
  private readonly pending = new Map<string, ThreadJob[]>();
  private readonly active = new Set<string>();
  private readonly busyUntil = new Map<string, Latch>();
  private readonly byProgress = new Map<string, ThreadJob>();

  constructor(private readonly runJob: (job: ThreadJob) => Promise<void>) {}

  private progressKey(chatId: ChannelId, msgId: MessageId): string {
    return `${chatId}:${msgId}`;
  }

  enqueue(job: ThreadJob): void {
    const key = threadKey(job.resumeToken);
    const q = this.pending.get(key) ?? [];
    q.push(job);
    this.pending.set(key, q);
    if (job.progressRef) this.byProgress.set(this.progressKey(job.chatId, job.progressRef.messageId), job);
    if (!this.active.has(key)) {
      this.active.add(key);
      void this.worker(key);
    }
  }

  /** Called when a new-thread run yields `started`: queued resumes wait for its `done`. */
  async noteThreadKnown(token: ResumeToken, done: Latch): Promise<void> {
    const key = threadKey(token);
    const existing = this.busyUntil.get(key);
    if (existing && !existing.isSet) return;
    this.busyUntil.set(key, done);
    void done.wait().then(() => {
      if (this.busyUntil.get(key) === done) this.busyUntil.delete(key);
    });
  }

  cancelQueued(chatId: ChannelId, progressMsgId: MessageId): ThreadJob | null {
    const pk = this.progressKey(chatId, progressMsgId);
    const job = this.byProgress.get(pk);
    if (!job) return null;
    this.byProgress.delete(pk);
    const q = this.pending.get(threadKey(job.resumeToken));
    const i = q ? q.indexOf(job) : -1;
    if (i >= 0) q!.splice(i, 1);
    return job;
  }

  private async worker(key: string): Promise<void> {
    try {
      for (;;) {
        // Wait before taking the job, so it can still be cancelled while it waits.
        const busy = this.busyUntil.get(key);
        if (busy && !busy.isSet) {
          await busy.wait();
          continue;
        }
        const job = this.pending.get(key)?.shift();
        if (!job) break;
        if (job.progressRef) this.byProgress.delete(this.progressKey(job.chatId, job.progressRef.messageId));
        try {
          await this.runJob(job);
        } catch (err) {
          getLogger().error("queued run failed", { error: String(err), thread: key });
        }
      }
    } finally {
      this.pending.delete(key);
      this.active.delete(key);
    }
  }

  get queuedCount(): number {
    let n = 0;
    for (const q of this.pending.values()) n += q.length;
    return n;
  }
}
