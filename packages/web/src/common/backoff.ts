/**
 * Reconnect backoff (spec §2.2.5): 500 ms initial, ×2 per attempt, capped at 10 s, ±20 % jitter.
 * Jitter spreads the reconnect storm when a server restarts under many viewers.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay added or removed at random (0.2 = ±20 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number = Math.random, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const base = Math.min(opts.maxMs, opts.initialMs * opts.factor ** Math.max(0, attempt));
  const spread = base * opts.jitter;
  return Math.round(base - spread + random() * 2 * spread);
}
