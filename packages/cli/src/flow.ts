/**
 * Flow control for PTYs. A shell's PTY is paused while any reason holds: the server asked
 * (`flow {pause:true}`: viewers are behind), the link socket has too much queued
 * (`bufferedAmount` above the high-water mark, global), or the local resend buffer is full while
 * the link is down. Callbacks fire only on transitions, so pause()/resume() are never repeated.
 */
export type PauseReason = "server" | "socket" | "buffer";

export interface FlowTarget {
  pause(shellId: number): void;
  resume(shellId: number): void;
}

export class FlowGate {
  private readonly perShell = new Map<number, Set<PauseReason>>();
  private readonly global = new Set<PauseReason>();

  constructor(private readonly target: FlowTarget) {}

  add(shellId: number): void {
    if (!this.perShell.has(shellId)) this.perShell.set(shellId, new Set());
    if (this.global.size > 0) this.target.pause(shellId);
  }

  remove(shellId: number): void {
    this.perShell.delete(shellId);
  }

  isPaused(shellId: number): boolean {
    return this.global.size > 0 || (this.perShell.get(shellId)?.size ?? 0) > 0;
  }

  set(shellId: number, reason: PauseReason, on: boolean): void {
    const reasons = this.perShell.get(shellId);
    if (!reasons || reasons.has(reason) === on) return;
    const before = this.isPaused(shellId);
    if (on) reasons.add(reason);
    else reasons.delete(reason);
    this.transition(shellId, before);
  }

  setGlobal(reason: PauseReason, on: boolean): void {
    if (this.global.has(reason) === on) return;
    const before = new Map([...this.perShell.keys()].map((id) => [id, this.isPaused(id)]));
    if (on) this.global.add(reason);
    else this.global.delete(reason);
    for (const [id, was] of before) this.transition(id, was);
  }

  private transition(shellId: number, before: boolean): void {
    const after = this.isPaused(shellId);
    if (after && !before) this.target.pause(shellId);
    if (!after && before) this.target.resume(shellId);
  }
}

/**
 * Hysteresis on a queued-bytes figure: `high` turns the pause on, falling under `low` turns it off.
 * Used for the socket's bufferedAmount (~4 MiB / 1 MiB), so a 200 MB `cat` keeps CLI memory bounded.
 */
export class Watermark {
  private on = false;
  constructor(readonly high: number, readonly low: number) {}

  /** Returns the new state. */
  update(amount: number): boolean {
    if (!this.on && amount > this.high) this.on = true;
    else if (this.on && amount < this.low) this.on = false;
    return this.on;
  }

  get paused(): boolean {
    return this.on;
  }
}

/**
 * Socket backpressure: after each send, compare the queued bytes with the watermark and switch the
 * global "socket" pause. `ws` has no drain event on the client side, so while paused the queue is
 * polled until it falls under the low mark.
 */
export class SocketPressure {
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly mark: Watermark,
    private readonly queued: () => number,
    private readonly setPaused: (on: boolean) => void,
    private readonly pollMs = 5,
  ) {}

  check(): void {
    const paused = this.mark.update(this.queued());
    this.setPaused(paused);
    if (paused && !this.poll) {
      this.poll = setInterval(() => {
        if (!this.mark.update(this.queued())) {
          this.stop();
          this.setPaused(false);
        }
      }, this.pollMs);
    }
  }

  /** The socket is gone: nothing is queued any more. */
  reset(): void {
    this.stop();
    this.mark.update(0);
    this.setPaused(false);
  }

  private stop(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }
}
