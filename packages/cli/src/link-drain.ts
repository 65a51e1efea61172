/**
 * Backpressure for what the CLI streams over the link (tunnel response bodies, filesystem reads).
 * The protocol has no credit: a sender holds back while the link's send queue (its WebSocket's
 * `bufferedAmount`) is above a high-water mark, polling it until it drains.
 */

export const DEFAULT_HIGH_WATER = 4 * 1024 * 1024;

/** How a streaming sender sees the link; without `pending` it never waits. */
export interface LinkBackpressure {
  /** Bytes queued on the link; streaming waits while it is above `highWater`. */
  pending?: () => number;
  /** Defaults to DEFAULT_HIGH_WATER. */
  highWater?: number;
}

/** More than `highWater` bytes are queued on the link. */
export function backedUp(link: LinkBackpressure): boolean {
  return (link.pending?.() ?? 0) > (link.highWater ?? DEFAULT_HIGH_WATER);
}

/**
 * Resolves once the link is no longer backed up (at once when it is not), checking every `pollMs`,
 * or as soon as `stop()` is true (the exchange was cancelled: nothing is left to wait for).
 */
export async function whenBelow(link: LinkBackpressure, opts: { pollMs: number; stop?: () => boolean }): Promise<void> {
  while (!opts.stop?.() && backedUp(link)) await new Promise((r) => setTimeout(r, opts.pollMs));
}
