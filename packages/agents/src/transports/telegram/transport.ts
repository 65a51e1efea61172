/** Telegram transport (spec §7.1, §6.5): every write goes through the outbox. */
import { followupsOf } from "../../bridge/presenter.js";
import type { ChannelId, MessageRef, RenderedMessage, SendOptions, Transport } from "../../bridge/transport.js";
import type { BotClient, TgObject } from "./client.js";
import { TelegramOutbox, uniqueKey } from "./outbox.js";

const NO_PREVIEW = { is_disabled: true };
/** Bot API limit for a message text, in characters (code points) after entity parsing. */
export const TELEGRAM_MAX_TEXT = 4096;

/**
 * Texts the presenter did not trim (command replies, error texts) are cut to Telegram's limit,
 * which rejects longer ones with 400 "message is too long"; entities past the cut are clipped.
 */
function fitText(text: string, entities: unknown): { text: string; entities: unknown } {
  const points = [...text];
  if (points.length <= TELEGRAM_MAX_TEXT) return { text, entities };
  const cut = points.slice(0, TELEGRAM_MAX_TEXT - 1).join("");
  const end = cut.length; // UTF-16 units, as entity offsets are
  const kept = Array.isArray(entities)
    ? (entities as Array<{ offset: number; length: number }>)
        .filter((e) => e.offset < end)
        .map((e) => (e.offset + e.length > end ? { ...e, length: end - e.offset } : e))
    : entities;
  return { text: `${cut}…`, entities: kept };
}

export class TelegramTransport implements Transport {
  constructor(private readonly client: BotClient, readonly outbox: TelegramOutbox) {}

  private body(message: RenderedMessage): Record<string, unknown> {
    const e = message.extra;
    const { text, entities } = fitText(message.text, e["entities"]);
    return {
      text,
      ...(Array.isArray(entities) && entities.length ? { entities } : {}),
      ...(e["reply_markup"] ? { reply_markup: e["reply_markup"] } : {}),
      link_preview_options: NO_PREVIEW,
    };
  }

  async send(opts: { channelId: ChannelId; message: RenderedMessage; options?: SendOptions }): Promise<MessageRef | null> {
    const o = opts.options ?? {};
    const chatId = opts.channelId;
    if (o.replace) this.outbox.drop(`edit:${chatId}:${o.replace.messageId}`);
    const payload = {
      chat_id: chatId,
      ...this.body(opts.message),
      ...(o.replyTo ? { reply_parameters: { message_id: Number(o.replyTo.messageId), allow_sending_without_reply: true } } : {}),
      ...(o.threadId !== null && o.threadId !== undefined ? { message_thread_id: Number(o.threadId) } : {}),
      ...(o.notify === false ? { disable_notification: true } : {}),
    };
    const key = o.replace ? `send:${chatId}:${o.replace.messageId}` : uniqueKey();
    const sent = await this.outbox.enqueue({ key, kind: "send", chatId, run: () => this.client.call<TgObject>("sendMessage", payload) });
    if (!sent) return null;
    const ref: MessageRef = { channelId: chatId, messageId: sent["message_id"] as number, threadId: o.threadId ?? null, raw: sent };
    if (o.replace) await this.delete({ ref: o.replace });
    for (const f of followupsOf(opts.message)) {
      await this.send({ channelId: chatId, message: f, options: { replyTo: o.replyTo ?? null, notify: o.notify ?? true, threadId: o.threadId ?? null } });
    }
    return ref;
  }

  async edit(opts: { ref: MessageRef; message: RenderedMessage; wait?: boolean }): Promise<MessageRef | null> {
    const { ref } = opts;
    const payload = { chat_id: ref.channelId, message_id: Number(ref.messageId), ...this.body(opts.message) };
    const done = this.outbox.enqueue({ key: `edit:${ref.channelId}:${ref.messageId}`, kind: "edit", chatId: ref.channelId, run: () => this.client.call("editMessageText", payload) });
    if (opts.wait === false) return ref; // accepted for later delivery
    const ok = await done;
    if (!ok) return null;
    for (const f of followupsOf(opts.message)) {
      await this.send({ channelId: ref.channelId, message: f, options: { threadId: ref.threadId ?? null } });
    }
    return ref;
  }

  editReady(ref: MessageRef, signal: AbortSignal): Promise<void> {
    return this.outbox.ready(`edit:${ref.channelId}:${ref.messageId}`, signal);
  }

  async delete(opts: { ref: MessageRef }): Promise<boolean> {
    const { ref } = opts;
    this.outbox.drop(`edit:${ref.channelId}:${ref.messageId}`);
    const r = await this.outbox.enqueue({ key: `delete:${ref.channelId}:${ref.messageId}`, kind: "delete", chatId: ref.channelId, run: () => this.client.call("deleteMessage", { chat_id: ref.channelId, message_id: Number(ref.messageId) }) });
    return r === true;
  }

  async close(): Promise<void> {
    this.outbox.close();
  }
}
