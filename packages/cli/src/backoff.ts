/** Reconnect delays: initial ×2 per attempt up to max, ±20% jitter (spec §2.2.5, §2.3). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  const jitter = 1 + (random() * 2 - 1) * 0.2;
  return Math.max(0, Math.round(base * jitter));
}
