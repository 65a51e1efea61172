/**
 * The Telegram outbox (spec §6.5) [compat]: one worker; ops keyed so that a newer edit of a
 * message replaces the pending one (inheriting its queue time); priority send < delete < edit;
 * pacing 1 s (private) / 3 s (groups) between op starts, global; 429 sets a global retry time
 * and re-queues the op unless a newer op with the same key arrived.
 */
import { getLogger } from "../../logger.js";
import { realTimers, sleepOn, type Timers } from "../session/timers.js";
import { RetryAfter } from "./client.js";

export type OpKind = "send" | "delete" | "edit";
const PRIORITY: Record<OpKind, number> = { send: 0, delete: 1, edit: 2 };

export interface OutboxOptions {
  timers?: Timers;
  privateIntervalMs?: number;
  groupIntervalMs?: number;
}

interface Op {
  key: string;
  kind: OpKind;
  chatId: number | string | null;
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  queuedAt: number;
}

let uniqueSeq = 0;
export const uniqueKey = (): string => `unique:${++uniqueSeq}`;

export class TelegramOutbox {
  private readonly pending = new Map<string, Op>();
  private readonly timers: Timers;
  private readonly privateMs: number;
  private readonly groupMs: number;
  private nextAt = 0;
  private retryAt = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  /** Aborted by close(): ends `ready` waits. */
  private readonly closing = new AbortController();
  private running = false;

  constructor(opts: OutboxOptions = {}) {
    this.timers = opts.timers ?? realTimers;
    this.privateMs = opts.privateIntervalMs ?? 1000;
    this.groupMs = opts.groupIntervalMs ?? 3000;
  }

  /** Pacing interval for a chat: groups have negative ids. */
  interval(chatId: number | string | null): number {
    return chatId !== null && Number(chatId) < 0 ? this.groupMs : this.privateMs;
  }

  enqueue<T>(op: { key: string; kind: OpKind; chatId: number | string | null; run: () => Promise<T> }): Promise<T | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise<T | null>((resolve) => {
      const prev = this.pending.get(op.key);
      const queuedAt = prev ? prev.queuedAt : this.timers.now();
      if (prev) prev.resolve(null);
      this.pending.set(op.key, { ...op, resolve: resolve as (v: unknown) => void, queuedAt });
      this.kick();
      if (!this.running) void this.worker();
    });
  }

  /**
   * Resolves when an op with `key` would start without waiting: none pending under that key and
   * pacing (and any 429 retry time) elapsed; or at once when closed or `signal` aborts.
   */
  async ready(key: string, abort: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([abort, this.closing.signal]);
    while (!this.closed && !signal.aborted) {
      const op = this.pending.get(key);
      if (op) {
        await new Promise<void>((r) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            r();
          };
          const resolve = op.resolve;
          op.resolve = (v) => {
            resolve(v);
            done();
          };
          signal.addEventListener("abort", done, { once: true });
        });
        continue;
      }
      const wait = Math.max(this.nextAt, this.retryAt) - this.timers.now();
      if (wait <= 0) return;
      await sleepOn(this.timers, wait, signal);
    }
  }

  /** Drops a pending op (e.g. the edits of a message being deleted). */
  drop(key: string): void {
    const op = this.pending.get(key);
    if (!op) return;
    this.pending.delete(key);
    op.resolve(null);
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const h = this.timers.setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      // A new op does not shorten pacing, but close() must end the wait.
      this.wake = () => {
        if (this.closed) {
          this.timers.clearTimeout(h);
          resolve();
        }
      };
    });
  }

  private next(): Op | null {
    let best: Op | null = null;
    for (const op of this.pending.values()) {
      if (!best || PRIORITY[op.kind] < PRIORITY[best.kind] || (PRIORITY[op.kind] === PRIORITY[best.kind] && op.queuedAt < best.queuedAt)) best = op;
    }
    return best;
  }

  private async worker(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed) {
        if (this.pending.size === 0) {
          await new Promise<void>((r) => (this.wake = r));
          continue;
        }
        const wait = Math.max(this.nextAt, this.retryAt) - this.timers.now();
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        const op = this.next()!;
        this.pending.delete(op.key);
        this.nextAt = this.timers.now() + this.interval(op.chatId);
        try {
          op.resolve(await op.run());
        } catch (err) {
          if (err instanceof RetryAfter) {
            this.retryAt = Math.max(this.retryAt, this.timers.now() + err.seconds * 1000);
            if (this.pending.has(op.key)) op.resolve(null); // a newer op with that key supersedes it
            else this.pending.set(op.key, op);
          } else {
            getLogger().warn("telegram outbox op failed", { error: String(err) });
            op.resolve(null);
          }
        }
      }
    } catch (err) {
      getLogger().error("telegram outbox crashed", { error: String(err) });
      this.close();
    } finally {
      this.running = false;
    }
  }

  close(): void {
    this.closed = true;
    this.closing.abort();
    for (const op of this.pending.values()) op.resolve(null);
    this.pending.clear();
    this.kick();
  }
}
