/**
 * Serialises snapshot writes per session, so a slow store never applies an older snapshot after a newer
 * one, nor a save after the session's delete (which would resurrect an ended session at restore).
 */
import type { RelayDeps } from "../seams.js";

export class SnapshotWriter {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly deps: RelayDeps) {}

  /** True while a write for this session is queued or running (the snapshot loop then skips it). */
  busy(sessionId: string): boolean {
    return this.chains.has(sessionId);
  }

  /** `bytes` is encoded by the caller now, so the snapshot reflects the state at call time. */
  save(sessionId: string, ownerAccountId: string | null, bytes: Uint8Array): Promise<boolean> {
    return this.enqueue(sessionId, "save", () => this.deps.snapshots.save(sessionId, ownerAccountId, bytes));
  }

  delete(sessionId: string): Promise<boolean> {
    return this.enqueue(sessionId, "delete", () => this.deps.snapshots.delete(sessionId));
  }

  /** Wait for every queued write (graceful shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private enqueue(sessionId: string, what: string, task: () => Promise<void>): Promise<boolean> {
    const prev = this.chains.get(sessionId) ?? Promise.resolve();
    const next = prev.then(task).then(
      () => true,
      (err: unknown) => {
        this.deps.logger.warn({ sessionId, err: String(err) }, `snapshot ${what} failed`);
        return false;
      },
    );
    const tail = next.then(() => {
      if (this.chains.get(sessionId) === tail) this.chains.delete(sessionId);
    });
    this.chains.set(sessionId, tail);
    return next;
  }
}
