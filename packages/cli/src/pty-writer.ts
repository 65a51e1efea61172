/**
 * Writes input to a PTY master straight from the event loop. node-pty's own `write` hands every write
 * to libuv's thread pool (`fs.write`), so each keystroke waits for a pool thread to wake up and for
 * its completion to come back: a thread hop on the echo path (docs/benchmarks.md, "Keystroke echo").
 * The master fd is non-blocking, so a synchronous write either goes through at once or fails with
 * EAGAIN when the shell is not reading; what does not fit waits here, in order, and is retried.
 */
import { writeSync } from "node:fs";

export interface PtyWriterOptions {
  /** Retry delay while the PTY's input queue is full (the shell is not reading). */
  retryMs?: number;
  /** Injected for tests. */
  writeSync?: (fd: number, data: Uint8Array) => number;
  onError?: (err: unknown) => void;
}

export class PtyWriter {
  private readonly queue: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly write: (fd: number, data: Uint8Array) => number;

  constructor(
    private readonly fd: number,
    private readonly opts: PtyWriterOptions = {},
  ) {
    this.write = opts.writeSync ?? ((f, d) => writeSync(f, d));
  }

  /** Bytes still waiting for the PTY. */
  get pendingBytes(): number {
    let n = 0;
    for (const b of this.queue) n += b.byteLength;
    return n;
  }

  push(data: Uint8Array): void {
    if (this.closed || data.byteLength === 0) return;
    // Keep a copy only if it has to wait: the caller may reuse its buffer.
    if (this.queue.length > 0) {
      this.queue.push(Uint8Array.from(data));
      return;
    }
    const written = this.tryWrite(data);
    if (written < data.byteLength) {
      this.queue.push(Uint8Array.from(data.subarray(written)));
      this.schedule();
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private drain(): void {
    this.timer = null;
    while (!this.closed && this.queue.length > 0) {
      const head = this.queue[0]!;
      const written = this.tryWrite(head);
      if (written === head.byteLength) {
        this.queue.shift();
        continue;
      }
      this.queue[0] = head.subarray(written);
      this.schedule();
      return;
    }
  }

  /** Bytes accepted now; 0 on EAGAIN. Other errors (EIO once the shell is gone) drop the input. */
  private tryWrite(data: Uint8Array): number {
    try {
      return this.write(this.fd, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EAGAIN") return 0;
      this.close();
      this.opts.onError?.(err);
      return data.byteLength;
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.drain(), this.opts.retryMs ?? 2);
  }
}
