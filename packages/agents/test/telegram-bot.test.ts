/** Telegram transport end to end against a local Bot API stand-in on 127.0.0.1. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  AutoRouter, BotClient, CANCEL_CALLBACK_DATA, defineCommandBackend, Latch, RetryAfter, Return, ScriptRunner, TelegramBot, TransportRuntime, Wait, renderMarkdown, telegramSchema,
  type ProjectConfig, type TelegramBotOptions,
} from "../src/index.js";
import { BotApiStandIn } from "./helpers/bot-api.js";
import { eventually, tempDir } from "./helpers/fake-cli.js";

const TOKEN = "123456:secret-token";
const CHAT = 777;
let api: BotApiStandIn | null = null;
afterEach(async () => {
  await api?.stop();
  api = null;
});

async function setup(opts: { runners?: ScriptRunner[]; config?: Record<string, unknown>; project?: string; commands?: TelegramBotOptions["commands"] } = {}) {
  api = await new BotApiStandIn().start();
  const runners = opts.runners ?? [new ScriptRunner([Return("the answer")], { engine: "codex", resumeValue: "thread-1" })];
  const projects = new Map<string, ProjectConfig>();
  if (opts.project) projects.set("app", { alias: "app", key: "app", path: opts.project, worktreesDir: join(opts.project, ".wt"), defaultEngine: null, worktreeBase: null, chatId: null });
  const runtime = new TransportRuntime({ router: new AutoRouter(runners.map((r) => ({ engine: r.engine, runner: r, status: "ok" as const, issue: null })), runners[0]!.engine), projects: { projects, defaultProject: opts.project ? "app" : null } });
  const config = telegramSchema.parse({ bot_token: TOKEN, chat_id: CHAT, api_root: api.url, ...opts.config });
  const bot = new TelegramBot({ config, runtime, outbox: { privateIntervalMs: 5, groupIntervalMs: 15 }, pollTimeoutS: 1, retryDelayMs: 10, ...(opts.commands ? { commands: opts.commands } : {}) });
  return { api, bot, runners };
}

let mid = 1;
const message = (text: string, extra: Record<string, unknown> = {}) => ({ message: { message_id: mid++, date: 0, chat: { id: CHAT, type: "private" }, from: { id: 5, is_bot: false, first_name: "u" }, ...(text ? { text } : {}), ...extra } });

async function pump(bot: TelegramBot, rounds = 1) {
  for (let i = 0; i < rounds; i++) await bot.pollOnce();
}

describe("Telegram transport", () => {
  it("startup: commands menu, backlog drained, ready message", async () => {
    const { api, bot } = await setup();
    api.push(message("old message while down"));
    await bot.start();
    expect(api.callsOf("setMyCommands")[0]!.payload["commands"]).toEqual([
      { command: "codex", description: "use engine: codex" }, { command: "new", description: "start a new thread" },
      { command: "agent", description: "set default engine" }, { command: "cancel", description: "cancel run" },
    ]);
    expect(api.visible(CHAT)[0]!.text).toMatch(/^🐙 taiku is ready\ndefault: codex/);
    await bot.pollOnce();
    expect(api.messages).toHaveLength(1); // the backlog message never ran
  });

  it("a prompt: silent progress reply with a cancel button, then a loud final with the resume line", async () => {
    const { api, bot } = await setup();
    api.push(message("hello"));
    await pump(bot);
    await bot.chat.idle();
    await eventually(() => api.visible(CHAT).length === 1 && api.visible(CHAT)[0]!.text.startsWith("done"));
    const progress = api.messages[0]!;
    expect(progress.silent).toBe(true);
    expect(progress.history[0]).toMatch(/^starting · codex · 0s/);
    expect(progress.reply_markup).toEqual({ inline_keyboard: [[{ text: "cancel", callback_data: CANCEL_CALLBACK_DATA }]] });
    expect(progress.deleted).toBe(true);
    const final = api.visible(CHAT)[0]!;
    expect(final.silent).toBe(false);
    expect(final.text).toBe("done · codex · 0s\n\nthe answer\n\ncodex resume thread-1");
    expect(final.entities).toEqual([{ type: "code", offset: final.text.indexOf("codex resume"), length: "codex resume thread-1".length }]);
    expect(final.reply_markup).toEqual({ inline_keyboard: [] });
    expect(api.callsOf("sendMessage").every((c) => (c.payload["link_preview_options"] as { is_disabled: boolean }).is_disabled)).toBe(true);
  });

  it("cancel button on a running progress message cancels it; duplicates are ignored", async () => {
    const gate = new Latch();
    const { api, bot } = await setup({ runners: [new ScriptRunner([Wait(gate), Return("never")], { engine: "codex", resumeValue: "t" })] });
    api.push(message("work"));
    await pump(bot);
    await eventually(() => bot.chat.runningTasks.size === 1);
    const progress = api.messages[0]!;
    const cb = { callback_query: { id: "cb1", from: { id: 5 }, data: CANCEL_CALLBACK_DATA, message: { message_id: progress.message_id, chat: { id: CHAT, type: "private" } } } };
    api.push(cb);
    await pump(bot);
    await bot.chat.idle();
    await eventually(() => progress.text.startsWith("`cancelled`") || progress.text.startsWith("cancelled"));
    expect(api.callsOf("answerCallbackQuery")[0]!.payload).toMatchObject({ callback_query_id: "cb1", text: "cancelling..." });
    expect(progress.reply_markup).toEqual({ inline_keyboard: [] });
    // answering again: nothing running
    api.push({ callback_query: { ...cb.callback_query, id: "cb2" } });
    await pump(bot);
    expect(api.callsOf("answerCallbackQuery")[1]!.payload).toMatchObject({ text: "nothing is currently running for that message." });
  });

  it("/cancel as a reply, in a forum topic: replies stay in the topic", async () => {
    const gate = new Latch();
    const { api, bot } = await setup({ runners: [new ScriptRunner([Wait(gate), Return("x")], { engine: "codex" })] });
    const topic = { message_thread_id: 55, is_topic_message: true };
    api.push(message("in topic", topic));
    await pump(bot);
    await eventually(() => bot.chat.runningTasks.size === 1);
    const progress = api.messages[0]!;
    expect(progress.thread_id).toBe(55);
    api.push(message("/cancel@taiku_bot now", { ...topic, reply_to_message: { message_id: progress.message_id, text: progress.text } }));
    await pump(bot);
    await bot.chat.idle();
    await eventually(() => progress.text.includes("cancelled"));
    api.push(message("/cancel", topic));
    await pump(bot);
    await eventually(() => api.visible(CHAT).at(-1)!.text === "reply to the progress message to cancel.");
    expect(api.visible(CHAT).at(-1)!.thread_id).toBe(55);
  });

  it("long answers are split into followups when message_overflow = split", async () => {
    const long = Array.from({ length: 120 }, (_, i) => `paragraph ${i} ${"lorem ipsum ".repeat(5)}`).join("\n\n");
    const { api, bot } = await setup({ runners: [new ScriptRunner([Return(long)], { engine: "codex", resumeValue: "t" })], config: { message_overflow: "split" } });
    api.push(message("write a lot"));
    await pump(bot);
    await bot.chat.idle();
    await eventually(() => api.visible(CHAT).length >= 3);
    const msgs = api.visible(CHAT);
    expect(msgs.every((m) => m.text.length <= 4096)).toBe(true);
    expect(msgs[1]!.text).toMatch(/^done · codex · 0s · continued \(2\/\d\)/);
    expect(msgs.every((m) => m.text.endsWith("codex resume t"))).toBe(true);
    expect(msgs.map((m) => m.text).join("")).toContain("paragraph 119");
  });

  it("retry_after from the API is honoured and the edit still lands", async () => {
    const { api, bot } = await setup();
    api.failNext("sendMessage", { error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } });
    api.push(message("hello"));
    await pump(bot);
    await bot.chat.idle();
    await eventually(() => api.visible(CHAT).some((m) => m.text.startsWith("done")), 5000);
    const sends = api.callsOf("sendMessage");
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("a command reply longer than Telegram's 4096-character limit is trimmed, not rejected by the API", async () => {
    const long = `**out**\n${"x".repeat(5000)}`;
    const echo = defineCommandBackend({ id: "dump", description: "dump", handle: async () => ({ text: long }) });
    const { api, bot } = await setup({ commands: async (id) => (id === "dump" ? echo : null) });
    api.push(message("/dump"));
    await pump(bot);
    await bot.chat.idle();
    await eventually(() => api.visible(CHAT).length === 1);
    const sent = api.visible(CHAT)[0]!;
    expect([...sent.text].length).toBe(4096);
    expect(sent.text.startsWith("**out**\nxxx")).toBe(true);
    expect(sent.text.endsWith("…")).toBe(true);
  });

  it("a 429 on a call outside the outbox is waited out (setMyCommands, getMe, backlog, callbacks, getFile), never fatal", async () => {
    const root = tempDir();
    const { api, bot } = await setup({ project: root, config: { files: { enabled: true } } });
    const tooMany = { error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } };
    api.push(message("old message while down"));
    for (const m of ["setMyCommands", "getMe", "getUpdates"]) api.failNext(m, tooMany);
    await bot.start();
    expect(api.callsOf("setMyCommands").length).toBe(2);
    expect(api.callsOf("getMe").length).toBe(2);
    await bot.pollOnce();
    expect(api.visible(CHAT)).toHaveLength(1); // only the ready message: the backlog was still skipped
    api.failNext("answerCallbackQuery", tooMany);
    api.push({ callback_query: { id: "cb9", from: { id: 5 }, data: "other", message: { message_id: 1, chat: { id: CHAT, type: "private" } } } });
    await pump(bot);
    await eventually(() => api.callsOf("answerCallbackQuery").length === 2, 5000);
    api.files.set("documents/F2", Buffer.from("bytes"));
    api.failNext("getFile", tooMany);
    api.push(message("", { caption: "/file put got.txt", document: { file_id: "F2", file_name: "got.txt", file_size: 5 } }));
    await pump(bot);
    await eventually(() => api.visible(CHAT).some((m) => m.text.startsWith("saved got.txt")), 5000);
  }, 20_000);

  it("client: a stalled connection times out (API call and file download) instead of hanging the bot", async () => {
    api = await new BotApiStandIn().start();
    const client = new BotClient({ token: TOKEN, apiRoot: api.url, timeoutMs: 300 });
    api.stalled.add("getUpdates");
    api.stalled.add("file");
    const t0 = performance.now();
    expect(await client.call("getUpdates", { offset: 0, timeout: 0 })).toBeNull();
    expect(await client.download("documents/F1", async () => {}, 1)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(new BotClient({ token: TOKEN }).timeoutMs).toBe(120_000);
  }, 10_000);

  it("client: 429 raises RetryAfter (default 5 s), other errors give null", async () => {
    api = await new BotApiStandIn().start();
    const client = new BotClient({ token: TOKEN, apiRoot: api.url });
    api.failNext("getMe", { error_code: 429, description: "Too Many Requests", parameters: { retry_after: 3 } });
    await expect(client.call("getMe")).rejects.toEqual(new RetryAfter(3));
    api.failNext("getMe", { error_code: 429, description: "Too Many Requests" });
    await expect(client.call("getMe")).rejects.toMatchObject({ seconds: 5 });
    api.failNext("getMe", { error_code: 400, description: "Bad Request: nope" });
    expect(await client.call("getMe")).toBeNull();
  });

  it("file transfer: put a document into the project, get it back; unsafe paths refused", async () => {
    const root = tempDir();
    mkdirSync(join(root, "docs"));
    writeFileSync(join(root, "docs", "readme.txt"), "hello file");
    const { api, bot } = await setup({ project: root, config: { files: { enabled: true } } });
    api.files.set("documents/F1", Buffer.from("uploaded bytes"));
    api.push(message("", { caption: "/file put notes/new.txt", document: { file_id: "F1", file_name: "x.txt", file_size: 14 } }));
    await pump(bot);
    await eventually(() => api.visible(CHAT).length === 1);
    expect(api.visible(CHAT)[0]!.text).toBe("saved notes/new.txt (14 b)");
    expect(readFileSync(join(root, "notes", "new.txt"), "utf8")).toBe("uploaded bytes");
    api.push(message("/file get docs/readme.txt"));
    await pump(bot);
    await eventually(() => api.callsOf("sendDocument").length === 1);
    expect(api.callsOf("sendDocument")[0]!.payload["document"]).toMatchObject({ filename: "readme.txt", content: "hello file" });
    api.push(message("/file get ../etc/passwd"));
    api.push(message("/file get secrets/key.pem"));
    await pump(bot);
    await eventually(() => api.visible(CHAT).length === 3);
    expect(api.visible(CHAT).slice(1).map((m) => m.text)).toEqual(["path must not contain ...", "path is denied: secrets/key.pem"]);
  });

  it("ignores other chats and disallowed senders", async () => {
    const { api, bot } = await setup({ config: { allowed_user_ids: [5] } });
    api.push({ message: { message_id: 900, chat: { id: 1234, type: "private" }, from: { id: 5 }, text: "hi" } });
    api.push(message("hi", { from: { id: 6 } }));
    await pump(bot);
    await bot.chat.idle();
    expect(api.messages).toHaveLength(0);
  });
});

describe("markdown rendering", () => {
  it("bold, code, fences with language, links (local ones dropped)", () => {
    expect(renderMarkdown("**bold** and `code`")).toEqual({ text: "bold and code", entities: [{ type: "bold", offset: 0, length: 4 }, { type: "code", offset: 9, length: 4 }] });
    const fence = renderMarkdown("x\n```py\nprint(1)\n```\ny");
    expect(fence.text).toBe("x\nprint(1)\ny");
    expect(fence.entities).toEqual([{ type: "pre", offset: 2, length: 8, language: "py" }]);
    expect(renderMarkdown("[a](https://x.org) [b](/src/a.py#L1)")).toEqual({ text: "a b", entities: [{ type: "text_link", offset: 0, length: 1, url: "https://x.org" }] });
  });
});
