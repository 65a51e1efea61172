/** Injectable clock + timers so pacing/coalescing tests never wait in real time. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Manual timers for tests: `advance(ms)` fires due callbacks in order. */
export class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Moves time forward, running callbacks that fall due (and yielding to promises between them). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    const settle = async () => {
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    };
    await settle();
    for (;;) {
      let due = this.nextDue(target);
      if (!due) {
        await settle(); // async work may still register timers that fall due
        due = this.nextDue(target);
        if (!due) break;
      }
      this.pending.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await settle();
    }
    this.t = target;
  }
  private nextDue(target: number): [number, { at: number; fn: () => void }] | undefined {
    return [...this.pending.entries()].filter(([, p]) => p.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
  }

  get size(): number {
    return this.pending.size;
  }
}

/** Sleeps `ms` on `timers`; resolves early (clearing the timer) when `signal` aborts. */
export function sleepOn(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    const onAbort = () => {
      timers.clearTimeout(h);
      done();
    };
    const h = timers.setTimeout(done, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
