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

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const file = /^\/file\/bot[^/]+\/(.+)$/.exec(url.pathname);
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
    const fail = this.failures.get(method)?.shift();
    if (fail) return this.send(res, fail.error_code, { ok: false, ...fail });
    const result = await this.handle(method, payload);
    if (result === undefined) return this.send(res, 400, { ok: false, error_code: 400, description: `Bad Request: unsupported ${method}` });
    this.send(res, 200, { ok: true, result });
  }

  private async handle(method: string, p: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "getMe":
        return { id: 42, is_bot: true, first_name: "taiku", username: "taiku_bot" };
      case "setMyCommands":
      case "answerCallbackQuery":
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
        const reply = (p["reply_parameters"] as { message_id?: number } | undefined)?.message_id ?? null;
        const msg: StoredTgMessage = {
          chat_id: Number(p["chat_id"]), message_id: this.nextMessageId++, text: String(p["text"]), entities: p["entities"], reply_markup: p["reply_markup"],
          reply_to: reply, thread_id: (p["message_thread_id"] as number | undefined) ?? null, silent: p["disable_notification"] === true, deleted: false, history: [String(p["text"])],
        };
        this.messages.push(msg);
        return { message_id: msg.message_id, date: 0, chat: { id: msg.chat_id, type: msg.chat_id > 0 ? "private" : "supergroup" }, text: msg.text };
      }
      case "editMessageText": {
        const msg = this.find(Number(p["chat_id"]), Number(p["message_id"]));
        if (!msg) return undefined;
        msg.text = String(p["text"]);
        msg.entities = p["entities"];
        msg.reply_markup = p["reply_markup"];
        msg.history.push(msg.text);
        return { message_id: msg.message_id, chat: { id: msg.chat_id }, text: msg.text };
      }
      case "deleteMessage": {
        const msg = this.find(Number(p["chat_id"]), Number(p["message_id"]));
        if (!msg) return undefined;
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
