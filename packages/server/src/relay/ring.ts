import type { SeqFrame } from "@taiku/protocol";

/**
 * Decoded byte strings are views into the whole received socket chunk; keeping a view would keep the
 * chunk alive and break the ring's byte accounting (a 50-byte frame pinning 64 KiB). Copy such views —
 * unless the view is most of its buffer (a 64 KiB frame in the ≈ 65.6 KiB message `ws` assembled for
 * it): the copy would only turn the whole message into garbage, and under a flood that garbage is what
 * the server's peak RSS is made of.
 */
export function compact(b: Uint8Array): Uint8Array {
  return b.byteLength * 4 >= b.buffer.byteLength * 3 ? b : new Uint8Array(b);
}

/**
 * Ordered ciphertext frames of one stream (terminal output, agent events, a document's updates), spec
 * §2.3 "Server buffer": while the total ciphertext exceeds the cap, the oldest frame is dropped (with
 * `keepNewest`, never the last one). Seqs only grow; a frame below the next expected seq is a duplicate
 * (a CLI re-send after `sync`) and is ignored; gaps are allowed.
 */
export class FrameRing<F extends SeqFrame = SeqFrame> {
  private frames: F[] = [];
  private head = 0;
  private size = 0;
  /** Next seq the ring expects; survives `clear()` so seqs never go backwards. */
  nextSeq = 0;

  constructor(
    private readonly capBytes: number,
    private readonly keepNewest = false,
  ) {}

  get bytes(): number {
    return this.size;
  }

  get length(): number {
    return this.frames.length - this.head;
  }

  /**
   * Append a frame; false when it is a duplicate. `keepFrom` (flow control) is the oldest seq a live
   * viewer still needs: those frames are kept beyond the cap, up to `hardCapBytes`, so the output the
   * CLI had already sent when it was told to pause does not become a gap for a viewer that is reading.
   */
  push(f: F, keepFrom = Infinity, hardCapBytes = this.capBytes): boolean {
    if (f.seq < this.nextSeq) return false;
    this.frames.push({ ...f, n: compact(f.n), c: compact(f.c) });
    this.size += f.c.byteLength;
    this.nextSeq = f.seq + 1;
    this.trim(keepFrom, hardCapBytes);
    return true;
  }

  /** Drop the oldest frames while over the cap, keeping frames ≥ `keepFrom` up to `hardCapBytes` (see push). */
  trim(keepFrom = Infinity, hardCapBytes = this.capBytes): void {
    const last = this.frames.length - (this.keepNewest ? 1 : 0);
    while (this.size > this.capBytes && this.head < last) {
      if (this.frames[this.head]!.seq >= keepFrom && this.size <= hardCapBytes) break;
      this.dropOldest();
    }
    this.compactLazily();
  }

  /** Drop every frame with seq ≤ `seq` (a document snapshot includes them). */
  dropThrough(seq: number): void {
    while (this.head < this.frames.length && this.frames[this.head]!.seq <= seq) this.dropOldest();
    this.compactLazily();
  }

  private dropOldest(): void {
    this.size -= this.frames[this.head]!.c.byteLength;
    this.head++;
  }

  /** Compact lazily so dropping stays O(1) amortised. */
  private compactLazily(): void {
    if (this.head > 256 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }

  /** Frames with seq ≥ fromSeq, at least one (if any) and then up to maxBytes of ciphertext. */
  from(fromSeq: number, maxBytes = Infinity): F[] {
    let lo = this.head;
    let hi = this.frames.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.frames[mid]!.seq < fromSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: F[] = [];
    let bytes = 0;
    for (let i = lo; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      if (out.length > 0 && bytes + f.c.byteLength > maxBytes) break;
      out.push(f);
      bytes += f.c.byteLength;
    }
    return out;
  }

  all(): F[] {
    return this.frames.slice(this.head);
  }

  /** The newest frame held (as stored: `push` may keep a compact copy), without copying the rest. */
  last(): F | undefined {
    return this.frames.length > this.head ? this.frames[this.frames.length - 1] : undefined;
  }

  /** Drop every frame (old-key frames after a link rotation); seqs continue. */
  clear(): void {
    this.frames = [];
    this.head = 0;
    this.size = 0;
  }

  static restore<F extends SeqFrame>(capBytes: number, nextSeq: number, frames: F[], keepNewest = false): FrameRing<F> {
    const ring = new FrameRing<F>(capBytes, keepNewest);
    for (const f of frames) ring.push(f);
    ring.nextSeq = Math.max(ring.nextSeq, nextSeq);
    return ring;
  }
}
