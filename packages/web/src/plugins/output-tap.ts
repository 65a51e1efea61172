/**
 * Decrypted terminal output for `getShellOutput` and `shell:data` events (spec §7.2, §8). The page's
 * terminal sinks feed every chunk here as they write it to xterm; this keeps the most recent chunks per
 * shell (UTF-8 decoded, ANSI escapes intact) and tells listeners that a shell produced output.
 * Only shells this page displays are seen (the relay sends output for subscribed shells only).
 */
export const OUTPUT_CHUNKS_KEPT = 1000;

export class OutputTap {
  private readonly rings = new Map<number, { chunks: string[]; decoder: TextDecoder }>();
  private readonly listeners = new Set<(shellId: number) => void>();

  constructor(private readonly keep = OUTPUT_CHUNKS_KEPT) {}

  push(shellId: number, data: Uint8Array): void {
    let ring = this.rings.get(shellId);
    if (!ring) this.rings.set(shellId, (ring = { chunks: [], decoder: new TextDecoder() }));
    const text = ring.decoder.decode(data, { stream: true });
    if (text) {
      ring.chunks.push(text);
      if (ring.chunks.length > this.keep) ring.chunks.splice(0, ring.chunks.length - this.keep);
    }
    for (const fn of this.listeners) fn(shellId);
  }

  /** The most recent `n` chunks, oldest first. */
  chunks(shellId: number, n: number): string[] {
    return this.rings.get(shellId)?.chunks.slice(-n) ?? [];
  }

  forget(shellId: number): void {
    this.rings.delete(shellId);
  }

  onData(fn: (shellId: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The page's single tap (terminal tiles push, the plugin host reads). */
export const outputTap = new OutputTap();
