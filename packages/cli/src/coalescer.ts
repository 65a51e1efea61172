/**
 * Coalesces PTY reads into output chunks (spec §2.3): the first read after idle goes out at once
 * (keystroke echo latency), further reads within `flushMs` are batched and emitted when the timer
 * fires or when `flushBytes` accumulate. No chunk exceeds `maxChunk` (plaintext ≤ 64 KiB).
 */
export interface CoalescerOptions {
  flushMs: number;
  flushBytes: number;
  maxChunk: number;
  emit(chunk: Uint8Array): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Coalescer {
  private parts: Uint8Array[] = [];
  private pendingBytes = 0;
  private timer: unknown = null;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly opts: CoalescerOptions) {
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  push(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.parts.push(data);
    this.pendingBytes += data.byteLength;
    if (this.timer === null) {
      // Idle: send now and open a batching window for whatever follows.
      this.flush();
      this.arm();
    } else if (this.pendingBytes >= this.opts.flushBytes) {
      this.flush();
    }
  }

  /** Emit everything pending now (e.g. before the shell's `closedShell`). */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const all = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.pendingBytes);
    this.parts = [];
    this.pendingBytes = 0;
    for (let off = 0; off < all.byteLength; off += this.opts.maxChunk) {
      this.opts.emit(all.subarray(off, Math.min(all.byteLength, off + this.opts.maxChunk)));
    }
  }

  dispose(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.flush();
  }

  private arm(): void {
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (this.pendingBytes > 0) {
        // Still under load: flush and keep batching.
        this.flush();
        this.arm();
      }
    }, this.opts.flushMs);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
