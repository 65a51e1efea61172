/** AgentChat routing: built-in commands, plugin commands + executor, queue, runtime resolution. */
import { describe, expect, it } from "vitest";
import {
  AgentChat, AutoRouter, defineCommandBackend, Latch, MarkdownPresenter, MemorySessionStore, MemoryTransport, Return, ScriptRunner,
  TransportRuntime, Wait, parseCommand, shellSplit, type ChatMessage, type CommandContext, type RunnerEntry,
} from "../src/index.js";

function makeChat(opts: { runners?: ScriptRunner[]; stateful?: boolean; commands?: AgentChat["opts"]["commands"]; missing?: string[] } = {}) {
  const runners = opts.runners ?? [new ScriptRunner([Return("hello")], { engine: "codex" }), new ScriptRunner([Return("from claude")], { engine: "claude" })];
  const entries: RunnerEntry[] = runners.map((r) => ({ engine: r.engine, runner: r, status: opts.missing?.includes(r.engine) ? "missing_cli" : "ok", issue: opts.missing?.includes(r.engine) ? "not installed" : null }));
  const runtime = new TransportRuntime({ router: new AutoRouter(entries, "codex") });
  const transport = new MemoryTransport();
  const chat = new AgentChat({ runtime, transport, presenter: new MarkdownPresenter(), sessions: opts.stateful ? new MemorySessionStore() : null, commands: opts.commands ?? null });
  return { chat, transport, runners, runtime };
}

let n = 0;
const msg = (text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({ channelId: "c", messageId: `u${++n}`, text, ...extra });
const lastText = (t: MemoryTransport) => t.last()!.message.text;

describe("command parsing", () => {
  it("splits like a shell and falls back to whitespace on unbalanced quotes", () => {
    expect(parseCommand('/Run@bot a "b c" d\nmore')).toEqual({ command: "run", argsText: 'a "b c" d\nmore', args: ["a", "b c", "d", "more"] });
    expect(parseCommand("/x 'open")!.args).toEqual(["'open"]);
    expect(shellSplit("a\\ b 'c d'")).toEqual(["a b", "c d"]);
    expect(parseCommand("hello")).toBeNull();
  });
});

describe("AgentChat", () => {
  it("runs a prompt with the default engine and engine directives", async () => {
    const { chat, transport, runners } = makeChat();
    await chat.handle(msg("/claude fix it"));
    await chat.idle();
    expect(runners[1]!.calls[0]![0]).toBe("fix it");
    expect(lastText(transport)).toMatch(/^done · claude/);
  });

  it("/agent set changes the chat default; /agent clear restores it; /agent shows the source", async () => {
    const { chat, transport, runners } = makeChat();
    await chat.handle(msg("/agent set claude"));
    expect(lastText(transport)).toBe("default engine set to `claude` for this chat.");
    await chat.handle(msg("/agent"));
    expect(lastText(transport)).toContain("engine: `claude` (chat default)");
    await chat.handle(msg("go"));
    await chat.idle();
    expect(runners[1]!.calls).toHaveLength(1);
    await chat.handle(msg("/agent clear"));
    expect(lastText(transport)).toBe("default engine cleared for this chat.");
    await chat.handle(msg("/agent set nope"));
    expect(lastText(transport)).toMatch(/^unknown engine 'nope'/);
  });

  it("/cancel needs a reply to a progress message", async () => {
    const { chat, transport } = makeChat();
    await chat.handle(msg("/cancel"));
    expect(lastText(transport)).toBe("reply to the progress message to cancel.");
    await chat.handle(msg("/cancel", { replyTo: { channelId: "c", messageId: 999 } }));
    expect(lastText(transport)).toBe("nothing is currently running for that message.");
    await chat.handle(msg("/cancelled"));
    await chat.idle();
    expect(lastText(transport)).toMatch(/^done · codex/); // not a cancel: it ran as a prompt
  });

  it("/cancel on a running task cancels only that task; on a queued job edits it to cancelled", async () => {
    const gate = new Latch();
    const codex = new ScriptRunner([Wait(gate), Return("late")], { engine: "codex", resumeValue: "T" });
    const { chat, transport } = makeChat({ runners: [codex] });
    await chat.handle(msg("first"));
    await new Promise((r) => setTimeout(r, 10));
    const progress = transport.calls.find((c) => c.op === "send")!;
    const progressRef = progress.op === "send" ? progress.ref! : null;
    // a second message resuming the same thread gets queued
    await chat.handle(msg("`codex resume T`\nsecond"));
    const queued = transport.visible().at(-1)!;
    expect(queued.message.text).toMatch(/^queued · codex · 0s/);
    await chat.handle(msg("/cancel", { replyTo: queued.ref }));
    expect(transport.messages.get(`c:${queued.ref.messageId}`)!.message.text).toMatch(/^`cancelled` · codex/);
    await chat.handle(msg("/cancel", { replyTo: progressRef! }));
    await chat.idle();
    expect(codex.calls).toHaveLength(1);
    expect(transport.messages.get(`c:${progressRef!.messageId}`)!.message.text).toMatch(/^`cancelled` · codex/);
  });

  it("resumed runs of one thread run in FIFO order, one at a time", async () => {
    const gate = new Latch();
    const codex = new ScriptRunner([Wait(gate), Return("ok")], { engine: "codex" });
    const { chat } = makeChat({ runners: [codex] });
    for (const i of [1, 2, 3]) await chat.handle(msg(`\`codex resume X\`\njob ${i}`));
    await new Promise((r) => setTimeout(r, 10));
    expect(codex.calls.map((c) => c[0])).toEqual(["job 1"]);
    gate.set();
    await chat.idle();
    expect(codex.calls.map((c) => c[0])).toEqual(["job 1", "job 2", "job 3"]);
  });

  it("a reply to a running task before its token is known says so", async () => {
    const codex = new ScriptRunner([Return("x")], { engine: "codex", emitSessionStart: false });
    const { chat, transport } = makeChat({ runners: [codex] });
    const gate = new Latch();
    // register a task that never learns a token
    const { RunningTask } = await import("../src/index.js");
    const task = new RunningTask();
    chat.runningTasks.set({ channelId: "c", messageId: 42 }, task);
    setTimeout(() => task.done.set(), 5);
    await chat.handle(msg("more", { replyTo: { channelId: "c", messageId: 42 } }));
    expect(lastText(transport)).toBe("resume token not ready yet; try replying to the final message.");
    gate.set();
  });

  it("an unavailable engine replies with an error render naming the issue", async () => {
    const { chat, transport } = makeChat({ missing: ["claude"] });
    await chat.handle(msg("/claude hi"));
    await chat.idle();
    expect(lastText(transport)).toBe("error · claude · 0s\n\nerror:\nnot installed");
  });

  it("directive errors are replied", async () => {
    const { chat, transport } = makeChat();
    await chat.handle(msg("/codex /claude hi"));
    expect(lastText(transport)).toBe("error:\nmultiple engine directives");
  });

  it("plugin commands get a context and an executor (send, runOne emit/capture, runMany)", async () => {
    const seen: CommandContext[] = [];
    const cmd = defineCommandBackend({
      id: "echo",
      description: "echo things",
      async handle(ctx) {
        seen.push(ctx);
        await ctx.executor.send("sent by plugin");
        const captured = await ctx.executor.runOne({ prompt: "quiet" }, { mode: "capture" });
        const many = await ctx.executor.runMany([{ prompt: "a", engine: "claude" }, { prompt: "b" }], { mode: "capture", parallel: true });
        await ctx.executor.runOne({ prompt: "loud" });
        return { text: `echo:${ctx.args.join(",")} captured=${captured.message?.text.split("\n\n")[1]} many=${many.map((r) => r.engine).join("+")}` };
      },
    });
    const { chat, transport, runners } = makeChat({ commands: (id) => (id === "echo" ? cmd : null) });
    await chat.handle(msg("/echo hello world"));
    await chat.idle();
    expect(seen[0]).toMatchObject({ command: "echo", argsText: "hello world", args: ["hello", "world"], pluginConfig: {} });
    const texts = transport.visible().map((m) => m.message.text);
    expect(texts).toContain("sent by plugin");
    expect(texts.at(-1)).toBe("echo:hello,world captured=hello many=claude+codex");
    expect(texts.some((t) => t.startsWith("done · codex") && t.includes("hello"))).toBe(true); // emit mode posted
    expect(runners[0]!.calls.map((c) => c[0])).toEqual(["quiet", "b", "loud"]);
  });

  it("a throwing plugin command replies error:", async () => {
    const cmd = defineCommandBackend({ id: "bad", description: "", handle: async () => { throw new Error("nope"); } });
    const { chat, transport } = makeChat({ commands: () => cmd });
    await chat.handle(msg("/bad"));
    expect(lastText(transport)).toBe("error:\nnope");
  });
});
