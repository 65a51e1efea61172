/** Concurrency primitives replacing anyio's Event and Semaphore(1) (spec §1.5). */

/** One-shot settable event. */
export class Latch {
  private resolveFn!: () => void;
  private readonly promise: Promise<void>;
  private setFlag = false;
  constructor() {
    this.promise = new Promise<void>((resolve) => (this.resolveFn = resolve));
  }
  get isSet(): boolean {
    return this.setFlag;
  }
  set(): void {
    if (this.setFlag) return;
    this.setFlag = true;
    this.resolveFn();
  }
  wait(): Promise<void> {
    return this.promise;
  }
}

export class AbortedError extends Error {
  override name = "AbortError";
  constructor(message = "aborted") {
    super(message);
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || err instanceof AbortedError);
}

/** Resolves when the latch is set or rejects when the signal aborts. */
export function waitOrAbort(p: Promise<void>, signal?: AbortSignal | null): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      () => { signal.removeEventListener("abort", onAbort); resolve(); },
      (e: unknown) => { signal.removeEventListener("abort", onAbort); reject(e as Error); },
    );
  });
}

/** FIFO async mutex; waiting is abortable. */
export class Mutex {
  private locked = false;
  private readonly waiters: Array<{ grant: () => void }> = [];

  get isLocked(): boolean {
    return this.locked;
  }

  async acquire(signal?: AbortSignal | null): Promise<() => void> {
    if (signal?.aborted) throw new AbortedError();
    if (!this.locked) {
      this.locked = true;
      return this.releaser();
    }
    return new Promise<() => void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new AbortedError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.locked = false;
    };
  }
}

export const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
