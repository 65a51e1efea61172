/**
 * A local stand-in for the Telegram Bot API on 127.0.0.1: real request/response shapes for the
 * methods taiku uses, an update queue for getUpdates long polling, and injectable failures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface BotCall {
  method: string;
  payload: Record<string, unknown>;
  at: number;
}

export interface StoredTgMessage {
  chat_id: number;
  message_id: number;
  text: string;
  entities?: unknown;
  reply_markup?: unknown;
  reply_to?: number | null;
  thread_id?: number | null;
  silent: boolean;
  deleted: boolean;
  history: string[];
}

class ApiError extends Error {
  constructor(readonly code: number, readonly description: string) {
    super(description);
  }
}

export class BotApiStandIn {
  readonly calls: BotCall[] = [];
  readonly messages: StoredTgMessage[] = [];
  readonly files = new Map<string, Buffer>();
  readonly failures = new Map<string, Array<{ error_code: number; description: string; parameters?: Record<string, unknown> }>>();
  private updates: Record<string, unknown>[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1000;
  private waiters: Array<() => void> = [];
  private server!: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.waiters.forEach((w) => w());
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Queue an incoming update (message or callback_query). */
  push(update: Record<string, unknown>): number {
    const update_id = this.nextUpdateId++;
    const m = update["message"] as { chat?: { id?: unknown }; message_id?: unknown } | undefined;
    if (m?.chat) this.incoming.add(`${String(m.chat.id)}:${String(m.message_id)}`);
    this.updates.push({ update_id, ...update });
    this.waiters.splice(0).forEach((w) => w());
    return update_id;
  }

  failNext(method: string, error: { error_code: number; description: string; parameters?: Record<string, unknown> }): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  callsOf(method: string): BotCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const type = req.headers["content-type"] ?? "";
    if (type.includes("application/json")) return JSON.parse(raw.toString("utf8") || "{}") as Record<string, unknown>;
    if (type.includes("multipart/form-data")) {
      // Enough of multipart for sendDocument: plain fields and the file's name/size.
      const boundary = /boundary=(.+)$/.exec(type)![1]!;
      const out: Record<string, unknown> = {};
      for (const part of raw.toString("latin1").split(`--${boundary}`)) {
        const m = /name="([^"]+)"(?:;\s*filename="?([^"\r\n;]+)"?)?\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*)\r\n$/.exec(part);
        if (!m) continue;
        if (m[2]) out[m[1]!] = { filename: m[2], size: Buffer.from(m[3]!, "latin1").length, content: Buffer.from(m[3]!, "latin1").toString("utf8") };
        else out[m[1]!] = m[3]!.startsWith("{") || m[3]!.startsWith("[") ? JSON.parse(m[3]!) : m[3];
      }
      // grammY sends the file as attach://<id>; resolve it to the uploaded part.
      for (const [k, v] of Object.entries(out)) if (typeof v === "string" && v.startsWith("attach://")) out[k] = out[v.slice("attach://".length)];
      return out;
    }
    return {};
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  /** Methods (or "file" for downloads) whose requests are accepted but never answered, as on a stalled connection. */
  readonly stalled = new Set<string>();

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const file = /^\/file\/bot[^/]+\/(.+)$/.exec(url.pathname);
    if (file && this.stalled.has("file")) {
      res.writeHead(200, { "content-length": "1000000" });
      res.write("partial");
      return; // the rest never comes
    }
    if (file) {
      const data = this.files.get(file[1]!);
      if (!data) return this.send(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      res.writeHead(200);
      res.end(data);
      return;
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!m) return this.send(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const method = m[2]!;
    const payload = await this.body(req);
    this.calls.push({ method, payload, at: performance.now() });
    if (this.stalled.has(method)) return; // never answered
    const fail = this.failures.get(method)?.shift();
    if (fail) return this.send(res, fail.error_code, { ok: false, ...fail });
    let result: unknown;
    try {
      result = await this.handle(method, payload);
    } catch (err) {
      if (err instanceof ApiError) return this.send(res, err.code, { ok: false, error_code: err.code, description: err.description });
      throw err;
    }
    if (result === undefined) return this.send(res, 400, { ok: false, error_code: 400, description: `Bad Request: unsupported ${method}` });
    this.send(res, 200, { ok: true, result });
  }

  /** Messages users sent (pushed updates), so replies to them resolve like on the real API. */
  private readonly incoming = new Set<string>();

  /**
   * The checks the real Bot API applies to a message text (sendMessage / editMessageText): a
   * non-empty chat_id and text, at most 4096 characters, entities inside the text, and — when a
   * parse_mode is given — markup that parses. Returns the API's error description, or null.
   */
  private textError(method: string, p: Record<string, unknown>): string | null {
    if (p["chat_id"] === undefined || p["chat_id"] === null || p["chat_id"] === "") return "Bad Request: chat_id is empty";
    const text = typeof p["text"] === "string" ? p["text"] : "";
    if (!text.trim()) return "Bad Request: message text is empty";
    if ([...text].length > 4096) return method === "editMessageText" ? "Bad Request: MESSAGE_TOO_LONG" : "Bad Request: message is too long";
    const mode = p["parse_mode"];
    if (mode !== undefined && mode !== "MarkdownV2" && mode !== "HTML" && mode !== "Markdown") return "Bad Request: unsupported parse_mode";
    if (mode === "MarkdownV2") {
      // Outside entities every reserved character must be escaped with a backslash.
      const bad = /(?<!\\)[_*[\]()~`>#+\-=|{}.!]/.exec(text.replace(/\\\\/g, ""));
      if (bad) return `Bad Request: can't parse entities: Character '${bad[0]}' is reserved and must be escaped with the preceding '\\'`;
    }
    if (p["entities"] !== undefined) {
      if (!Array.isArray(p["entities"])) return "Bad Request: can't parse entities JSON object";
      for (const e of p["entities"] as Array<{ offset?: unknown; length?: unknown; type?: unknown }>) {
        const off = Number(e.offset);
        const len = Number(e.length);
        if (typeof e.type !== "string" || !Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > text.length) return "Bad Request: can't parse entities: entity is out of bounds";
      }
    }
    return null;
  }

  private async handle(method: string, p: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "getMe":
        return { id: 42, is_bot: true, first_name: "taiku", username: "taiku_bot" };
      case "setMyCommands": {
        const cmds = p["commands"];
        if (!Array.isArray(cmds) || cmds.length > 100) throw new ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH");
        for (const c of cmds as Array<{ command?: unknown; description?: unknown }>) {
          if (typeof c.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw new ApiError(400, "Bad Request: BOT_COMMAND_INVALID");
          if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256) throw new ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
        }
        return true;
      }
      case "answerCallbackQuery":
        if (!p["callback_query_id"]) throw new ApiError(400, "Bad Request: query_id is empty");
        if (typeof p["text"] === "string" && p["text"].length > 200) throw new ApiError(400, "Bad Request: MESSAGE_TOO_LONG");
        return true;
      case "getUpdates": {
        const offset = Number(p["offset"] ?? 0);
        this.updates = this.updates.filter((u) => Number(u["update_id"]) >= offset);
        if (!this.updates.length && Number(p["timeout"] ?? 0) > 0) {
          await new Promise<void>((r) => {
            this.waiters.push(r);
            setTimeout(r, Math.min(Number(p["timeout"]) * 1000, 500));
          });
        }
        return this.updates.filter((u) => Number(u["update_id"]) >= offset);
      }
      case "sendMessage": {
        const bad = this.textError(method, p);
        if (bad) throw new ApiError(400, bad);
        const rp = p["reply_parameters"] as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
        const reply = rp?.message_id ?? (p["reply_to_message_id"] as number | undefined) ?? null;
        if (reply !== null && !(rp?.allow_sending_without_reply || p["allow_sending_without_reply"]) && !this.incoming.has(`${String(p["chat_id"])}:${reply}`) && !this.find(Number(p["chat_id"]), reply)) {
          throw new ApiError(400, "Bad Request: message to be replied not found");
        }
        const msg: StoredTgMessage = {
          chat_id: Number(p["chat_id"]), message_id: this.nextMessageId++, text: String(p["text"]), entities: p["entities"], reply_markup: p["reply_markup"],
          reply_to: reply, thread_id: (p["message_thread_id"] as number | undefined) ?? null, silent: p["disable_notification"] === true, deleted: false, history: [String(p["text"])],
        };
        this.messages.push(msg);
        return { message_id: msg.message_id, date: 0, chat: { id: msg.chat_id, type: msg.chat_id > 0 ? "private" : "supergroup" }, text: msg.text };
      }
      case "editMessageText": {
        const bad = this.textError(method, p);
        if (bad) throw new ApiError(400, bad);
        const msg = this.find(Number(p["chat_id"]), Number(p["message_id"]));
        if (!msg || msg.deleted) throw new ApiError(400, "Bad Request: message to edit not found");
        const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
        const entities = Array.isArray(p["entities"]) && p["entities"].length ? p["entities"] : undefined;
        const oldEntities = Array.isArray(msg.entities) && msg.entities.length ? msg.entities : undefined;
        if (msg.text === String(p["text"]) && same(oldEntities, entities) && same(msg.reply_markup, p["reply_markup"])) {
          throw new ApiError(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message");
        }
        msg.text = String(p["text"]);
        msg.entities = p["entities"];
        msg.reply_markup = p["reply_markup"];
        msg.history.push(msg.text);
        return { message_id: msg.message_id, chat: { id: msg.chat_id }, text: msg.text };
      }
      case "deleteMessage": {
        const msg = this.find(Number(p["chat_id"]), Number(p["message_id"]));
        if (!msg || msg.deleted) throw new ApiError(400, "Bad Request: message to delete not found");
        msg.deleted = true;
        return true;
      }
      case "getFile":
        return { file_id: p["file_id"], file_path: `documents/${String(p["file_id"])}` };
      case "sendDocument":
        return { message_id: this.nextMessageId++, chat: { id: Number(p["chat_id"]) }, document: { file_name: (p["document"] as { filename?: string })?.filename } };
      case "getChatMember":
        return { status: "administrator", user: { id: p["user_id"] } };
      default:
        return undefined;
    }
  }

  find(chatId: number, messageId: number): StoredTgMessage | undefined {
    return this.messages.find((m) => m.chat_id === chatId && m.message_id === messageId);
  }

  visible(chatId?: number): StoredTgMessage[] {
    return this.messages.filter((m) => !m.deleted && (chatId === undefined || m.chat_id === chatId));
  }
}
