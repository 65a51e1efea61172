/**
 * Outgoing queue used while the socket is offline or still authenticating (spec §2.2.5): at most
 * `max` entries; terminal input older than `staleInputMs` is discarded at flush time, so stale
 * keystrokes are never delivered to a shell after a reconnect.
 *
 * Input is queued as plaintext intent, not as a sealed `data` message: the AAD binds the sender's
 * userId and a per-connection counter, which are only known once the new connection is authenticated.
 */
import type { ClientMessage } from "@taiku/protocol";

export type OutboxEntry =
  | { kind: "message"; message: ClientMessage; at: number }
  | { kind: "input"; shellId: number; data: Uint8Array; at: number };

export interface OutboxOptions {
  max: number;
  staleInputMs: number;
}

export class Outbox {
  private entries: OutboxEntry[] = [];
  /** Entries dropped because the queue was full (oldest first) or stale. */
  dropped = 0;

  constructor(private readonly opts: OutboxOptions) {}

  get size(): number {
    return this.entries.length;
  }

  /** Queue an entry; when full the oldest entry goes, keeping the user's most recent intent. */
  push(entry: OutboxEntry): void {
    this.entries.push(entry);
    while (this.entries.length > this.opts.max) {
      this.entries.shift();
      this.dropped++;
    }
  }

  /** Take everything still worth sending at time `now`, in order, and empty the queue. */
  drain(now: number): OutboxEntry[] {
    const out = this.entries.filter((e) => e.kind !== "input" || now - e.at <= this.opts.staleInputMs);
    this.dropped += this.entries.length - out.length;
    this.entries = [];
    return out;
  }

  clear(): void {
    this.entries = [];
  }
}
