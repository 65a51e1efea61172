/**
 * The queue worker (spec §7.5): claims due tasks up to `concurrency`, runs them, and sleeps until the
 * next run time, the poll interval or a wake-up, whichever comes first. `runDue` is the same without
 * the loop, for tests that drive the clock by hand.
 */
import type { RuntimeConfig } from "./config.js";
import type { ConnectorStorage, TaskRow } from "./storage.js";

export class TaskWorker {
  private running = 0;
  private loopTimer: NodeJS.Timeout | null = null;
  private started = false;
  private inflight = new Set<Promise<void>>();
  private wakeResolve: (() => void) | null = null;
  private wakePending = false;

  constructor(
    private readonly storage: ConnectorStorage,
    private readonly config: RuntimeConfig,
    private readonly runTaskRow: (row: TaskRow) => Promise<void>,
  ) {}

  private now(): number {
    return this.config.clock.now();
  }

  /** Claims and runs due tasks until none is due (tests and benches drive time through the clock). */
  async runDue(opts: { max?: number } = {}): Promise<number> {
    let total = 0;
    const max = opts.max ?? Infinity;
    for (;;) {
      const rows = await this.storage.taskClaim(Math.min(this.config.concurrency, max - total), this.config.leaseMs);
      if (!rows.length) return total;
      await Promise.all(rows.map((r) => this.runTaskRow(r)));
      total += rows.length;
      if (total >= max) return total;
    }
  }

  /** Starts the worker loop: requeues leases of the previous process (single node), then polls. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.storage.taskRequeueLeases();
    await this.storage.deliveryPrune(this.now() - this.config.deliveryRetentionMs);
    void this.loop();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.wake();
    if (this.loopTimer) clearTimeout(this.loopTimer);
    await Promise.allSettled([...this.inflight]);
  }

  /** New work was queued: the loop claims at once instead of finishing its idle sleep. */
  wake(): void {
    const r = this.wakeResolve;
    this.wakeResolve = null;
    if (r) r();
    else this.wakePending = true;
  }

  private async loop(): Promise<void> {
    while (this.started) {
      this.wakePending = false;
      const free = this.config.concurrency - this.running;
      let claimed: TaskRow[] = [];
      if (free > 0) {
        try {
          claimed = await this.storage.taskClaim(free, this.config.leaseMs);
        } catch (err) {
          console.error(`connector queue: claim failed: ${(err as Error).message}`);
        }
      }
      for (const row of claimed) {
        this.running++;
        const p = this.runTaskRow(row).catch((e) => console.error(`connector queue: ${(e as Error).message}`)).finally(() => {
          this.running--;
          this.inflight.delete(p);
          this.wake();
        });
        this.inflight.add(p);
      }
      if (claimed.length > 0 && claimed.length === free) continue;
      const next = await this.storage.taskNextRunAt().catch(() => null);
      // Due work that could not be claimed (a suspended instance, all slots busy) waits for a wake or the poll.
      const wait = next === null || (claimed.length === 0 && next <= this.now()) ? this.config.pollIntervalMs : Math.max(1, Math.min(this.config.pollIntervalMs, next - this.now()));
      if (this.wakePending) continue; // woken while claiming: look again before sleeping
      await new Promise<void>((resolve) => {
        this.wakeResolve = resolve;
        this.loopTimer = setTimeout(resolve, wait);
      });
      if (this.loopTimer) clearTimeout(this.loopTimer);
    }
  }

  /** Resolves when no task is due and nothing runs (tests with the real clock). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const pending = await this.storage.db.selectFrom("connector_tasks").select("id")
        .where((eb) => eb.or([eb.and([eb("status", "=", "pending"), eb("run_at", "<=", this.now())]), eb("status", "=", "leased")])).executeTakeFirst();
      if (!pending && this.running === 0) return;
      if (Date.now() > end) throw new Error("connector queue did not become idle");
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
