/**
 * Coalesces PTY reads into output chunks (spec §2.3): the first read after idle goes out at once
 * (keystroke echo latency), further reads within `flushMs` are batched and emitted when the timer
 * fires or when `flushBytes` accumulate. No chunk exceeds `maxChunk` (plaintext ≤ 64 KiB).
 * After input is written to the shell (`expectEcho`), the next read goes out at once as well, with
 * whatever waits, even inside a window: otherwise a keystroke typed within 10 ms of earlier output
 * (fast typing, key repeat, programmatic input) waited for the timer (docs/decisions.md §15).
 *
 * Backlog (optional, `backlogBytes` > `flushBytes`; docs/decisions.md): once a batch of `flushBytes`
 * has gone out by size within a batching window, output is arriving faster than that, so later batches
 * of the same window wait for `backlogBytes` (≤ `maxChunk`) and leave as whole frames of that size (a
 * shorter tail goes with the next batch or the timer). Fewer, larger frames cut the per-frame costs
 * (seal, CBOR, socket, relay, ack). The window closes when a timer tick finds nothing pending, and the
 * next read is sent at once again. Off by default (see docs/benchmarks.md for why).
 */
import { joinBytes } from "@taiku/crypto";

export interface CoalescerOptions {
  flushMs: number;
  flushBytes: number;
  maxChunk: number;
  /** Batch size once backlogged (default `flushBytes`: no growth). */
  backlogBytes?: number;
  emit(chunk: Uint8Array): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Coalescer {
  private parts: Uint8Array[] = [];
  private pendingBytes = 0;
  private timer: unknown = null;
  private echoNext = false;
  /** Size that flushes a batch: `flushBytes`, or `backlogBytes` while backlogged. */
  private limit: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly opts: CoalescerOptions) {
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.limit = opts.flushBytes;
  }

  push(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    const echo = this.echoNext;
    this.echoNext = false;
    this.parts.push(data);
    this.pendingBytes += data.byteLength;
    if (this.timer === null) {
      // Idle: send now and open a batching window for whatever follows.
      this.flush();
      this.arm();
    } else if (echo) {
      this.flush(); // the answer to input: now; the window stays open
    } else if (this.pendingBytes >= this.limit) {
      const backlogged = this.limit !== this.opts.flushBytes;
      this.emitPending(backlogged);
      this.limit = this.backlogBytes;
    }
  }

  /** Input was just written to the shell: its next read is the echo, and goes out at once. */
  expectEcho(): void {
    this.echoNext = true;
  }

  /** Emit everything pending now (e.g. before the shell's `closedShell`). */
  flush(): void {
    this.emitPending(false);
  }

  dispose(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.limit = this.opts.flushBytes;
    this.flush();
  }

  private get backlogBytes(): number {
    return Math.min(this.opts.maxChunk, Math.max(this.opts.flushBytes, this.opts.backlogBytes ?? 0));
  }

  /** Emit pending bytes in `maxChunk` pieces; with `wholeOnly`, whole `backlogBytes` pieces and the tail stays pending. */
  private emitPending(wholeOnly: boolean): void {
    if (this.pendingBytes === 0) return;
    const all = this.parts.length === 1 ? this.parts[0]! : joinBytes(this.parts);
    const max = wholeOnly ? this.backlogBytes : this.opts.maxChunk;
    const end = wholeOnly ? all.byteLength - (all.byteLength % max) : all.byteLength;
    this.parts = end < all.byteLength ? [all.subarray(end)] : [];
    this.pendingBytes = all.byteLength - end;
    for (let off = 0; off < end; off += max) this.opts.emit(all.subarray(off, Math.min(end, off + max)));
  }

  private arm(): void {
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (this.pendingBytes > 0) {
        // Still under load: flush and keep batching.
        this.flush();
        this.arm();
      } else {
        this.limit = this.opts.flushBytes; // idle: the next read goes out at once, then batches of flushBytes
      }
    }, this.opts.flushMs);
  }
}
