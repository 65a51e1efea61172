/**
 * taiku session chat transport (spec §6.9): maps send/edit/delete onto a chat-store port that the
 * CLI implements over its link to the server. Progress edits are coalesced latest-wins per
 * message with a minimum interval between deliveries (default 300 ms).
 */
import { getLogger } from "../../logger.js";
import { followupsOf } from "../../bridge/presenter.js";
import { refKey, type ChannelId, type MessageRef, type RenderedMessage, type SendOptions, type Transport } from "../../bridge/transport.js";
import { realTimers, sleepOn, type Timers } from "./timers.js";

/** What the host (the CLI) provides: its session chat store. Ids are strings. */
export interface SessionChatPort {
  /** Posts a message; returns its id, or null on failure. */
  post(msg: { conversationId: string; text: string; extra: Record<string, unknown>; replyTo: string | null; notify: boolean; threadId: string | null }): Promise<string | null>;
  /** Replaces a message's content; false on failure. */
  edit(msg: { conversationId: string; messageId: string; text: string; extra: Record<string, unknown> }): Promise<boolean>;
  remove(msg: { conversationId: string; messageId: string }): Promise<boolean>;
}

export interface SessionChatTransportOptions {
  editIntervalMs?: number;
  timers?: Timers;
}

interface PendingEdit {
  ref: MessageRef;
  message: RenderedMessage;
  timer: unknown;
}

export class SessionChatTransport implements Transport {
  private readonly interval: number;
  private readonly timers: Timers;
  private readonly lastDelivery = new Map<string, number>();
  private readonly pending = new Map<string, PendingEdit>();
  private closed = false;

  constructor(private readonly port: SessionChatPort, opts: SessionChatTransportOptions = {}) {
    this.interval = opts.editIntervalMs ?? 300;
    this.timers = opts.timers ?? realTimers;
  }

  private dropPending(key: string): void {
    const p = this.pending.get(key);
    if (p) this.timers.clearTimeout(p.timer);
    this.pending.delete(key);
  }

  private async deliver(ref: MessageRef, message: RenderedMessage): Promise<boolean> {
    this.lastDelivery.set(refKey(ref), this.timers.now());
    try {
      return await this.port.edit({ conversationId: String(ref.channelId), messageId: String(ref.messageId), text: message.text, extra: message.extra });
    } catch (err) {
      getLogger().warn("session chat edit failed", { error: String(err) });
      return false;
    }
  }

  async send(opts: { channelId: ChannelId; message: RenderedMessage; options?: SendOptions }): Promise<MessageRef | null> {
    if (this.closed) return null;
    const o = opts.options ?? {};
    if (o.replace) this.dropPending(refKey(o.replace));
    let id: string | null = null;
    try {
      id = await this.port.post({
        conversationId: String(opts.channelId),
        text: opts.message.text,
        extra: stripFollowups(opts.message.extra),
        replyTo: o.replyTo ? String(o.replyTo.messageId) : null,
        notify: o.notify ?? true,
        threadId: o.threadId === null || o.threadId === undefined ? null : String(o.threadId),
      });
    } catch (err) {
      getLogger().warn("session chat post failed", { error: String(err) });
    }
    if (id === null) return null;
    const ref: MessageRef = { channelId: opts.channelId, messageId: id, threadId: o.threadId ?? null };
    if (o.replace) await this.delete({ ref: o.replace });
    await this.sendFollowups(opts.channelId, opts.message, o);
    return ref;
  }

  private async sendFollowups(channelId: ChannelId, message: RenderedMessage, o: SendOptions): Promise<void> {
    for (const f of followupsOf(message)) {
      await this.send({ channelId, message: f, options: { replyTo: o.replyTo ?? null, notify: o.notify ?? true, threadId: o.threadId ?? null } });
    }
  }

  async edit(opts: { ref: MessageRef; message: RenderedMessage; wait?: boolean }): Promise<MessageRef | null> {
    if (this.closed) return null;
    const key = refKey(opts.ref);
    const message = { text: opts.message.text, extra: stripFollowups(opts.message.extra) };
    if (opts.wait ?? true) {
      this.dropPending(key);
      const ok = await this.deliver(opts.ref, message);
      if (ok) await this.sendFollowups(opts.ref.channelId, opts.message, { threadId: opts.ref.threadId ?? null, notify: true });
      return ok ? opts.ref : null;
    }
    // Fire-and-forget progress edit: latest wins; at most one delivery per interval.
    const existing = this.pending.get(key);
    if (existing) {
      existing.message = message;
      return opts.ref;
    }
    const since = this.timers.now() - (this.lastDelivery.get(key) ?? -Infinity);
    const delay = Math.max(0, this.interval - since);
    const entry: PendingEdit = { ref: opts.ref, message, timer: null };
    entry.timer = this.timers.setTimeout(() => {
      if (this.pending.get(key) !== entry) return;
      this.pending.delete(key);
      void this.deliver(entry.ref, entry.message);
    }, delay);
    this.pending.set(key, entry);
    return opts.ref;
  }

  async editReady(ref: MessageRef, signal: AbortSignal): Promise<void> {
    const key = refKey(ref);
    while (!this.closed && !signal.aborted) {
      const wait = this.interval - (this.timers.now() - (this.lastDelivery.get(key) ?? -Infinity));
      const pending = this.pending.has(key);
      if (!pending && wait <= 0) return;
      // A pending edit is delivered when its interval ends; the next one may go an interval later.
      await sleepOn(this.timers, Math.max(1, wait), signal);
    }
  }

  async delete(opts: { ref: MessageRef }): Promise<boolean> {
    this.dropPending(refKey(opts.ref));
    try {
      return await this.port.remove({ conversationId: String(opts.ref.channelId), messageId: String(opts.ref.messageId) });
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const key of [...this.pending.keys()]) this.dropPending(key);
  }
}

function stripFollowups(extra: Record<string, unknown>): Record<string, unknown> {
  if (!("followups" in extra)) return extra;
  const { followups: _f, ...rest } = extra;
  return rest;
}
