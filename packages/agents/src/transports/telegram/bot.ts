/**
 * The Telegram bot loop (spec §7.2–7.5, simplified): startup, long polling, update filtering and
 * de-duplication, cancel button, file transfer; everything else is AgentChat.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { TelegramConfig } from "../../config/schema.js";
import { getLogger } from "../../logger.js";
import { AgentChat, type AgentChatOptions, type ChatMessage } from "../../runtime/agent-chat.js";
import { MemorySessionStore } from "../../runtime/sessions.js";
import type { TransportRuntime } from "../../runtime/transport-runtime.js";
import { isValidPluginId } from "../../plugins/ids.js";
import type { OutboxOptions } from "./outbox.js";
import { TelegramOutbox } from "./outbox.js";
import { BotClient, RetryAfter, type TgObject } from "./client.js";
import { checkRelativePath, DOWNLOAD_LIMIT_BYTES, formatBytes, UPLOAD_LIMIT_BYTES } from "./files.js";
import { CANCEL_CALLBACK_DATA, TelegramPresenter } from "./presenter.js";
import { renderMarkdown } from "./render.js";
import { TelegramTransport } from "./transport.js";

export interface TelegramBotOptions {
  config: TelegramConfig;
  runtime: TransportRuntime;
  client?: BotClient;
  outbox?: OutboxOptions;
  finalNotify?: boolean;
  pollTimeoutS?: number;
  /** Wait after a failed getUpdates (spec: 2 s). */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  commands?: AgentChatOptions["commands"];
  /** Plugin command ids for the command menu. */
  commandIds?: () => string[];
  productName?: string;
}

const SEEN_UPDATES = 4096;

export class TelegramBot {
  readonly client: BotClient;
  readonly outbox: TelegramOutbox;
  readonly transport: TelegramTransport;
  readonly chat: AgentChat;
  private offset = 0;
  private readonly seen: number[] = [];
  private botUsername = "";
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly opts: TelegramBotOptions) {
    const c = opts.config;
    this.client = opts.client ?? new BotClient({ token: c.bot_token, ...(c.api_root ? { apiRoot: c.api_root } : {}) });
    this.outbox = new TelegramOutbox(opts.outbox ?? {});
    this.transport = new TelegramTransport(this.client, this.outbox);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.chat = new AgentChat({
      runtime: opts.runtime,
      transport: this.transport,
      presenter: new TelegramPresenter({ messageOverflow: c.message_overflow }),
      finalNotify: opts.finalNotify ?? true,
      sessions: c.session_mode === "chat" ? new MemorySessionStore() : null,
      sessionScope: "sender",
      showResumeLine: c.show_resume_line,
      commands: opts.commands ?? null,
      isAdmin: (msg) => this.isAdmin(msg),
      renderText: (markdown) => {
        const r = renderMarkdown(markdown);
        return { text: r.text, extra: { entities: r.entities } };
      },
    });
  }

  /**
   * A Bot API call outside the outbox: a 429 (RetryAfter) is waited out and the call repeated, as
   * the real API asks (spec §6.5 "not paced"); null after `attempts`, like any other failure.
   */
  private async call<T = unknown>(method: string, payload: Record<string, unknown> = {}, attempts = 5): Promise<T | null> {
    for (let i = 1; ; i++) {
      try {
        return await this.client.call<T>(method, payload);
      } catch (err) {
        if (!(err instanceof RetryAfter)) throw err;
        if (i >= attempts) return null;
        await this.sleep(err.seconds * 1000);
      }
    }
  }

  allowedChats(): Set<string> {
    const c = this.opts.config;
    return new Set([String(c.chat_id), ...this.opts.runtime.projectChatIds().map(String), ...c.allowed_user_ids.map(String)]);
  }

  private async isAdmin(msg: ChatMessage): Promise<boolean> {
    if (msg.isPrivate) return true;
    const m = await this.call<TgObject>("getChatMember", { chat_id: msg.channelId, user_id: msg.senderId });
    return !!m && (m["status"] === "creator" || m["status"] === "administrator");
  }

  menu(): Array<{ command: string; description: string }> {
    const out: Array<{ command: string; description: string }> = [];
    const add = (command: string, description: string) => {
      if (!out.some((c) => c.command === command)) out.push({ command, description });
    };
    for (const e of this.opts.runtime.availableEngineIds()) add(e, `use engine: ${e}`);
    for (const a of this.opts.runtime.projectAliases()) if (isValidPluginId(a.toLowerCase())) add(a.toLowerCase(), `work on: ${a}`);
    for (const id of this.opts.commandIds?.() ?? []) add(id, `command: ${id}`);
    add("new", "start a new thread");
    add("agent", "set default engine");
    if (this.opts.config.files.enabled) add("file", "upload or fetch files");
    add("cancel", "cancel run");
    if (out.length > 100) {
      out.length = 100;
      if (!out.some((c) => c.command === "cancel")) out[99] = { command: "cancel", description: "cancel run" };
    }
    return out;
  }

  /** setMyCommands, getMe, drain the backlog, post the ready message (spec §7.2). */
  async start(): Promise<void> {
    await this.call("setMyCommands", { commands: this.menu() });
    const me = await this.call<TgObject>("getMe");
    this.botUsername = String(me?.["username"] ?? "").toLowerCase();
    for (;;) {
      const backlog = await this.call<TgObject[]>("getUpdates", { offset: this.offset, timeout: 0 });
      if (!backlog || backlog.length === 0) break;
      this.offset = Number(backlog.at(-1)!["update_id"]) + 1;
    }
    const rt = this.opts.runtime;
    const missing = rt.missingEngineIds();
    const lines = [
      `🐙 **${this.opts.productName ?? "taiku"} is ready**`,
      `default: \`${rt.defaultEngine}\`  `,
      `engines: \`${rt.availableEngineIds().join(", ")}${missing.length ? ` (not installed: ${missing.join(", ")})` : ""}\`  `,
      `projects: \`${rt.projectAliases().join(", ") || "none"}\`  `,
      `mode: \`${this.opts.config.session_mode}\`  `,
      `resume lines: \`${this.opts.config.show_resume_line ? "shown" : "hidden"}\`  `,
    ];
    const r = renderMarkdown(lines.join("\n"));
    await this.transport.send({ channelId: this.opts.config.chat_id, message: { text: r.text, extra: { entities: r.entities } } });
  }

  /** One long-poll round; returns the number of updates handled. */
  async pollOnce(): Promise<number> {
    let updates: TgObject[] | null;
    try {
      updates = await this.client.call<TgObject[]>("getUpdates", { offset: this.offset, timeout: this.opts.pollTimeoutS ?? 50, allowed_updates: ["message", "callback_query"] });
    } catch (err) {
      if (err instanceof RetryAfter) {
        await this.sleep(err.seconds * 1000);
        return 0;
      }
      throw err;
    }
    if (!updates) {
      await this.sleep(this.opts.retryDelayMs ?? 2000);
      return 0;
    }
    for (const u of updates) {
      this.offset = Math.max(this.offset, Number(u["update_id"]) + 1);
      try {
        await this.handleUpdate(u);
      } catch (err) {
        getLogger().error("telegram update failed", { error: String(err) });
      }
    }
    return updates.length;
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    while (!signal.aborted) await this.pollOnce();
    await this.chat.idle();
    await this.transport.close();
  }

  async handleUpdate(u: TgObject): Promise<void> {
    const id = Number(u["update_id"]);
    if (Number.isFinite(id)) {
      if (this.seen.includes(id)) return; // Telegram may redeliver
      this.seen.push(id);
      if (this.seen.length > SEEN_UPDATES) this.seen.shift();
    }
    const allowedUsers = this.opts.config.allowed_user_ids;
    const cb = u["callback_query"] as TgObject | undefined;
    if (cb) {
      const from = (cb["from"] as TgObject | undefined)?.["id"] as number | undefined;
      if (allowedUsers.length && (from === undefined || !allowedUsers.includes(from))) return;
      const m = cb["message"] as TgObject | undefined;
      const chatId = (m?.["chat"] as TgObject | undefined)?.["id"] as number | undefined;
      if (cb["data"] !== CANCEL_CALLBACK_DATA || !m || chatId === undefined || !this.allowedChats().has(String(chatId))) {
        await this.call("answerCallbackQuery", { callback_query_id: cb["id"] });
        return;
      }
      const r = await this.chat.cancel({ channelId: chatId, messageId: m["message_id"] as number });
      const text = r === "cancelling" ? "cancelling..." : r === "dropped" ? "dropped from queue." : "nothing is currently running for that message.";
      await this.call("answerCallbackQuery", { callback_query_id: cb["id"], text });
      return;
    }
    const m = u["message"] as TgObject | undefined;
    if (!m) return;
    const chat = m["chat"] as TgObject;
    if (!this.allowedChats().has(String(chat["id"]))) return;
    const from = (m["from"] as TgObject | undefined)?.["id"] as number | undefined;
    if (allowedUsers.length && (from === undefined || !allowedUsers.includes(from))) return;
    const msg = this.toChatMessage(m);
    const doc = m["document"] as TgObject | undefined;
    if (/^\/file(@\S+)?(\s|$)/.test(msg.text) || doc) return this.handleFile(msg, doc);
    if (!msg.text) return;
    await this.chat.handle(msg);
  }

  toChatMessage(m: TgObject): ChatMessage {
    const chat = m["chat"] as TgObject;
    const threadId = m["is_topic_message"] ? (m["message_thread_id"] as number) : null;
    let reply = m["reply_to_message"] as TgObject | undefined;
    // Some clients mark topic messages as replies to the topic root: not a real reply.
    if (reply && m["message_thread_id"] !== undefined && reply["message_id"] === m["message_thread_id"]) reply = undefined;
    return {
      channelId: chat["id"] as number,
      messageId: m["message_id"] as number,
      text: String(m["text"] ?? m["caption"] ?? ""),
      replyTo: reply ? { channelId: chat["id"] as number, messageId: reply["message_id"] as number } : null,
      replyText: reply ? String(reply["text"] ?? reply["caption"] ?? "") : null,
      threadId,
      senderId: ((m["from"] as TgObject | undefined)?.["id"] as number | undefined) ?? null,
      isPrivate: chat["type"] === "private",
    };
  }

  private async fileRoot(msg: ChatMessage): Promise<string | null> {
    const ctx = this.opts.runtime.resolveMessage({ text: "", chatId: msg.channelId }).context;
    return ctx ? this.opts.runtime.resolveRunCwd(ctx) : null;
  }

  private async handleFile(msg: ChatMessage, doc: TgObject | undefined): Promise<void> {
    const files = this.opts.config.files;
    if (!files.enabled) {
      await this.chat.reply(msg, "file transfer disabled; enable `[transports.telegram.files]`.");
      return;
    }
    if (files.allowed_user_ids.length ? !files.allowed_user_ids.includes(Number(msg.senderId)) : !(await this.isAdmin(msg))) {
      await this.chat.reply(msg, "file transfer is restricted to group admins.");
      return;
    }
    const root = await this.fileRoot(msg).catch(() => null);
    if (!root) {
      await this.chat.reply(msg, "no project context available for file upload.");
      return;
    }
    const [, sub, ...rest] = msg.text.trim().split(/\s+/);
    if (doc) {
      const force = rest.includes("--force");
      let target = msg.text.startsWith("/file") && sub === "put" ? rest.filter((a) => a !== "--force").join(" ") : `${files.uploads_dir}/`;
      if (!target || target.endsWith("/")) target += String(doc["file_name"] ?? "upload.bin");
      const checked = checkRelativePath(target, root, files.deny_globs);
      if ("error" in checked) return void (await this.chat.reply(msg, checked.error));
      if (Number(doc["file_size"] ?? 0) > UPLOAD_LIMIT_BYTES) return void (await this.chat.reply(msg, "file is too large to upload."));
      if (existsSync(checked.abs) && !force) return void (await this.chat.reply(msg, `\`${checked.path}\` already exists; use --force to overwrite.`));
      const info = await this.call<TgObject>("getFile", { file_id: doc["file_id"] });
      const data = info?.["file_path"] ? await this.client.download(String(info["file_path"])) : null;
      if (!data) return void (await this.chat.reply(msg, "failed to download file."));
      mkdirSync(dirname(checked.abs), { recursive: true });
      writeFileSync(checked.abs, data);
      await this.chat.reply(msg, `saved \`${checked.path}\` (${formatBytes(data.length)})`);
      return;
    }
    if (sub !== "get" || !rest.length) return void (await this.chat.reply(msg, "usage: /file get <path>, or send a document with caption /file put <path>"));
    const checked = checkRelativePath(rest.join(" "), root, files.deny_globs);
    if ("error" in checked) return void (await this.chat.reply(msg, checked.error));
    if (!existsSync(checked.abs) || !statSync(checked.abs).isFile()) return void (await this.chat.reply(msg, `file not found: \`${checked.path}\``));
    if (statSync(checked.abs).size > DOWNLOAD_LIMIT_BYTES) return void (await this.chat.reply(msg, "file is too large to send."));
    await this.outbox.enqueue({
      key: `doc:${msg.channelId}:${msg.messageId}`,
      kind: "send",
      chatId: msg.channelId,
      run: () => this.client.sendDocument({ chat_id: msg.channelId, filename: basename(checked.abs), data: readFileSync(checked.abs), reply_to_message_id: Number(msg.messageId), ...(msg.threadId ? { message_thread_id: Number(msg.threadId) } : {}) }),
    });
  }
}
