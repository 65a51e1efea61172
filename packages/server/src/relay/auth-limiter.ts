/**
 * Failed WebSocket authentications per IP (§2.6.2): after `max` failures within the window the IP is
 * refused (close 4429) for the same window. Times come from the injected clock.
 */
export class AuthLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  isBlocked(ip: string): boolean {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.blockedUntil.delete(ip);
    return false;
  }

  /** Record a failure; true when the IP is now blocked. */
  fail(ip: string): boolean {
    const now = this.now();
    const recent = (this.failures.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    recent.push(now);
    if (recent.length >= this.max) {
      this.failures.delete(ip);
      this.blockedUntil.set(ip, now + this.windowMs);
      return true;
    }
    this.failures.set(ip, recent);
    if (this.failures.size > 10_000) this.prune(now);
    return false;
  }

  private prune(now: number): void {
    for (const [ip, times] of this.failures) if (times.every((t) => now - t >= this.windowMs)) this.failures.delete(ip);
    for (const [ip, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(ip);
  }
}
