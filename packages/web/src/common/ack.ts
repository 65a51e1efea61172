/**
 * Flow-control acknowledgements (taiku addition `ack {shellId, seq}`). The relay lets a viewer have
 * a bounded window of unacknowledged output in flight; the page acknowledges a chunk only after
 * xterm.js has actually written it (write callback), so a slow tab slows the producer instead of
 * buffering without bound. Acks are coalesced: one per `bytes` written or per `delayMs`, whichever
 * comes first, which keeps the ack traffic small under heavy output.
 */
import type { Clock } from "./services.js";

export interface AckOptions {
  bytes: number;
  delayMs: number;
}

export const DEFAULT_ACK: AckOptions = { bytes: 64 * 1024, delayMs: 50 };

export class AckCoalescer {
  /** Highest seq written by the terminal. */
  private writtenSeq = -1;
  /** Highest seq acknowledged to the server. */
  sentSeq = -1;
  private pendingBytes = 0;
  private timer: unknown = null;

  constructor(
    private readonly clock: Clock,
    private readonly send: (seq: number) => void,
    private readonly opts: AckOptions = DEFAULT_ACK,
  ) {}

  /** Record that output up to `seq` (`bytes` long) was written by the terminal. */
  written(seq: number, bytes: number): void {
    if (seq <= this.writtenSeq) return;
    this.writtenSeq = seq;
    this.pendingBytes += bytes;
    if (this.pendingBytes >= this.opts.bytes) this.flush();
    else if (this.timer === null) this.timer = this.clock.setTimeout(() => this.flush(), this.opts.delayMs);
  }

  /** Send the pending ack now (also used when the shell is detached). */
  flush(): void {
    this.cancelTimer();
    this.pendingBytes = 0;
    if (this.writtenSeq > this.sentSeq) {
      this.sentSeq = this.writtenSeq;
      this.send(this.sentSeq);
    }
  }

  /**
   * A new connection: the server forgets the old window, so nothing pending needs sending; the
   * seq high-water marks stay (seqs are per shell, not per connection).
   */
  reset(): void {
    this.cancelTimer();
    this.pendingBytes = 0;
    this.sentSeq = this.writtenSeq;
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
