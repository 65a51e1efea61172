/**
 * Per-shell output sequence and local resend buffer (spec §2.3). Every sealed `data` frame is kept
 * here until the buffer exceeds its capacity; after a reconnect the server's `sync {nextSeq}` says
 * which frames it lacks and `from(seq)` returns them. Frames not yet handed to a live socket are
 * never trimmed — instead `unsentBytes` grows and the caller pauses the PTY (bounded memory).
 */
import type { Frame } from "@taiku/protocol";

export interface BufferedFrame {
  seq: number;
  frame: Frame;
  bytes: number;
}

export class OutputBuffer {
  private frames: BufferedFrame[] = [];
  private head = 0;
  private totalBytes = 0;
  private nextSeqValue = 0;
  /** Seq of the first frame not yet written to a socket. */
  private sentUpTo = 0;
  private unsent = 0;

  constructor(readonly capacityBytes: number) {}

  /** The seq the next frame gets; starts at 0 and increases by one per frame. */
  takeSeq(): number {
    return this.nextSeqValue++;
  }

  get nextSeq(): number {
    return this.nextSeqValue;
  }

  /** Store a sealed frame (in seq order). */
  push(seq: number, frame: Frame): void {
    const bytes = frame.c.byteLength + frame.n.byteLength;
    this.frames.push({ seq, frame, bytes });
    this.totalBytes += bytes;
    if (seq >= this.sentUpTo) this.unsent += bytes;
    this.trim();
  }

  /** Record that every frame with seq < `seq` went out on a socket (so it may be trimmed). */
  markSent(seq: number): void {
    if (seq <= this.sentUpTo) return;
    this.unsent -= this.bytesBetween(this.sentUpTo, seq);
    this.sentUpTo = seq;
    this.trim();
  }

  /** Rewind after a link loss: frames at or above `seq` count as unsent again. */
  rewind(seq: number): void {
    if (seq >= this.sentUpTo) return;
    this.unsent += this.bytesBetween(seq, this.sentUpTo);
    this.sentUpTo = seq;
  }

  get unsentBytes(): number {
    return this.unsent;
  }

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  /** True when holding more unsent output would exceed the capacity: pause the producer. */
  get full(): boolean {
    return this.unsent >= this.capacityBytes;
  }

  oldestSeq(): number | undefined {
    return this.frames[this.head]?.seq;
  }

  /** Frames with seq ≥ `seq`, oldest first. `missing` counts frames the server wants that are gone. */
  from(seq: number): { frames: BufferedFrame[]; missing: number } {
    const out: BufferedFrame[] = [];
    for (let i = this.head; i < this.frames.length; i++) if (this.frames[i]!.seq >= seq) out.push(this.frames[i]!);
    const first = out[0]?.seq ?? this.nextSeqValue;
    return { frames: out, missing: Math.max(0, first - seq) };
  }

  private bytesBetween(lo: number, hi: number): number {
    // Walk from the newest end: sends and rewinds touch recent frames, so this stays short.
    let n = 0;
    for (let i = this.frames.length - 1; i >= this.head; i--) {
      const f = this.frames[i]!;
      if (f.seq < lo) break;
      if (f.seq < hi) n += f.bytes;
    }
    return n;
  }

  private trim(): void {
    while (this.totalBytes > this.capacityBytes && this.head < this.frames.length) {
      const oldest = this.frames[this.head]!;
      if (oldest.seq >= this.sentUpTo) break; // unsent: keep, the producer is paused instead
      this.totalBytes -= oldest.bytes;
      this.head++;
    }
    // Compact the array now and then instead of shifting on every trim.
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }
}
