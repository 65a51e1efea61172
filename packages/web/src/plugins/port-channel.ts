/**
 * The host's side of the MessagePort offered to a mount with its first `taiku:init` (see bridge-host.ts).
 *
 * Batches: a port message may be one envelope or an array of at most `PORT_BATCH_MAX` envelopes. A
 * client that has sent an array takes arrays back: what the host posts to it within one task (answers
 * and events, in order) leaves as one message at the next microtask. A client that never sends an array
 * gets one envelope per message, as on the window.
 */
import type { HostPort } from "./types.js";

/** Most envelopes in one port message; a longer (or empty) array is dropped whole. */
export const PORT_BATCH_MAX = 64;

export class PortChannel {
  /** The plugin sent an array on this port: it takes arrays back. */
  batches = false;
  private outbox: unknown[] = [];

  constructor(readonly port: HostPort) {}

  /** Envelopes of one port message, or null when the message must be dropped (a bad batch). */
  unpack(data: unknown): unknown[] | null {
    if (!Array.isArray(data)) return [data];
    if (data.length === 0 || data.length > PORT_BATCH_MAX) return null;
    this.batches = true;
    return data;
  }

  /** Never throws: a closed port or an uncloneable message loses only that message. */
  send(message: unknown): void {
    if (!this.batches) return this.post(message);
    this.outbox.push(message);
    if (this.outbox.length === 1) queueMicrotask(() => this.flush());
  }

  close(): void {
    this.outbox = [];
    this.port.onmessage = null;
    try {
      this.port.close();
    } catch {
      // Already closed.
    }
  }

  private flush(): void {
    const out = this.outbox;
    this.outbox = [];
    if (out.length === 0) return;
    if (out.length === 1) return this.post(out[0]);
    try {
      this.port.postMessage(out);
    } catch {
      // One uncloneable message must not take the rest of the batch with it.
      for (const m of out) this.post(m);
    }
  }

  private post(message: unknown): void {
    try {
      this.port.postMessage(message);
    } catch {
      // Closed, or not cloneable.
    }
  }
}
