/** Fixed-window counter per key (e.g. sign-in attempts per IP and per email), on an injected clock. */
export interface RateLimiter {
  /** Counts one attempt; false when the key is over its budget for the current window. */
  hit(key: string): boolean;
}

export function createRateLimiter(max: number, windowMs: number, now: () => number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = now();
  return {
    hit(key) {
      const t = now();
      // Sweep expired windows now and then so a flood of distinct keys cannot grow memory forever.
      if (t - lastSweep > windowMs) {
        for (const [k, w] of windows) if (t - w.start >= windowMs) windows.delete(k);
        lastSweep = t;
      }
      let w = windows.get(key);
      if (!w || t - w.start >= windowMs) {
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      return w.count <= max;
    },
  };
}
