/**
 * In-memory transport: message ids count from 1, every call is recorded. Used by tests, by the
 * command executor's `capture` mode, and as a reference for transport authors.
 */
import { followupsOf } from "./presenter.js";
import { refKey, type ChannelId, type MessageRef, type RenderedMessage, type SendOptions, type Transport } from "./transport.js";

export interface StoredMessage {
  ref: MessageRef;
  message: RenderedMessage;
  replyTo: MessageRef | null;
  notify: boolean;
  deleted: boolean;
}

export type TransportCall =
  | { op: "send"; channelId: ChannelId; message: RenderedMessage; options: SendOptions; ref: MessageRef | null }
  | { op: "edit"; ref: MessageRef; message: RenderedMessage; wait: boolean; ok: boolean }
  | { op: "delete"; ref: MessageRef; ok: boolean };

export class MemoryTransport implements Transport {
  readonly calls: TransportCall[] = [];
  readonly messages = new Map<string, StoredMessage>();
  private nextId = 1;
  /** Set to make every edit fail (tests the send-with-replace fallback). */
  failEdits = false;
  /** Observer for every call (tests and the session transport use it). */
  onCall: ((call: TransportCall) => void) | null = null;

  private record(call: TransportCall): void {
    this.calls.push(call);
    this.onCall?.(call);
  }

  async send(opts: { channelId: ChannelId; message: RenderedMessage; options?: SendOptions }): Promise<MessageRef | null> {
    const options = opts.options ?? {};
    const ref: MessageRef = { channelId: opts.channelId, messageId: this.nextId++, threadId: options.threadId ?? null };
    this.messages.set(refKey(ref), { ref, message: opts.message, replyTo: options.replyTo ?? null, notify: options.notify ?? true, deleted: false });
    this.record({ op: "send", channelId: opts.channelId, message: opts.message, options, ref });
    if (options.replace) await this.delete({ ref: options.replace });
    for (const followup of followupsOf(opts.message)) {
      await this.send({ channelId: opts.channelId, message: followup, options: { replyTo: options.replyTo ?? null, notify: options.notify ?? true, threadId: options.threadId ?? null } });
    }
    return ref;
  }

  async edit(opts: { ref: MessageRef; message: RenderedMessage; wait?: boolean }): Promise<MessageRef | null> {
    const stored = this.messages.get(refKey(opts.ref));
    const ok = !this.failEdits && !!stored && !stored.deleted;
    this.record({ op: "edit", ref: opts.ref, message: opts.message, wait: opts.wait ?? true, ok });
    if (!ok) return null;
    stored!.message = opts.message;
    for (const followup of followupsOf(opts.message)) {
      await this.send({ channelId: opts.ref.channelId, message: followup, options: { replyTo: stored!.replyTo, notify: stored!.notify, threadId: opts.ref.threadId ?? null } });
    }
    return opts.ref;
  }

  async delete(opts: { ref: MessageRef }): Promise<boolean> {
    const stored = this.messages.get(refKey(opts.ref));
    const ok = !!stored && !stored.deleted;
    if (stored) stored.deleted = true;
    this.record({ op: "delete", ref: opts.ref, ok });
    return ok;
  }

  async close(): Promise<void> {}

  /** Messages not deleted, in id order. */
  visible(channelId?: ChannelId): StoredMessage[] {
    return [...this.messages.values()].filter((m) => !m.deleted && (channelId === undefined || m.ref.channelId === channelId));
  }

  last(): StoredMessage | undefined {
    return this.visible().at(-1);
  }
}
