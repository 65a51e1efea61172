/**
 * Outgoing queue used while the socket is offline or still authenticating (spec §2.2.5): at most
 * `max` entries; terminal input older than `staleInputMs` is discarded at flush time, so stale
 * keystrokes are never delivered to a shell after a reconnect.
 *
 * Input is queued as plaintext intent, not as a sealed `data` message: the AAD binds the sender's
 * userId and a per-connection counter, which are only known once the new connection is authenticated.
 */
import type { ClientMessage, ClientMsg, KvOp } from "@taiku/protocol";
import type { Clock } from "./services.js";

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

/** Limits of one `pluginKvBatch`: the relay's 1 MiB frame cap holds even if CBOR is 3× the JSON size. */
export interface KvBatchOptions {
  maxOps: number;
  /** Σ of the ops' quota bytes (+ plugin id) before the batch leaves early. */
  maxBytes: number;
  /** Least time between two batches: writes made sooner wait for the next one. */
  gapMs: number;
}

/**
 * Session KV writes leave as one `pluginKvBatch` per flush instead of one message each (docs/decisions.md
 * item 7). The first write after a pause leaves in the next task (after the bridge has answered the
 * plugin); writes within `gapMs` of the last batch wait for the next, so a burst — a plugin awaiting
 * `setPluginData` in a loop, or many frames writing — costs the page, the relay and every other browser
 * one message per `gapMs`, not one per write. `flush()` before any other message keeps this client's
 * messages in order at the server.
 */
export class KvBatcher {
  private ops: KvOp[] = [];
  private bytes = 0;
  private sentAt = -Infinity;
  private timer: unknown = null;

  constructor(
    private readonly transmit: (message: ClientMsg<"pluginKvBatch">) => void,
    private readonly clock: Clock,
    private readonly opts: KvBatchOptions,
  ) {}

  get size(): number {
    return this.ops.length;
  }

  push(op: KvOp, bytes: number): void {
    if (this.ops.length > 0 && (this.ops.length >= this.opts.maxOps || this.bytes + bytes > this.opts.maxBytes)) this.flush();
    this.ops.push(op);
    this.bytes += bytes;
    if (this.timer !== null) return;
    const wait = Math.max(0, this.sentAt + this.opts.gapMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  /** Send what waits, now. */
  flush(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.bytes = 0;
    this.sentAt = this.clock.now();
    this.transmit({ t: "pluginKvBatch", ops });
  }
}
