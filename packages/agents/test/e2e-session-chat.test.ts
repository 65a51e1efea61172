/**
 * End to end: chat messages through the session chat transport (in-memory chat store) to real
 * runners driving fake engine executables, and back as progress edits and final messages.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_ENGINES, buildRuntime, createSessionChat, MemoryChatPort, type ChatRecord } from "../src/index.js";
import { alive, dead, eventually, fakeCli, tempDir } from "./helpers/fake-cli.js";

const ENGINES = ["codex", "claude", "opencode", "pi"] as const;

function setup(opts: { showResumeLine?: boolean; killGraceMs?: number } = {}) {
  const dir = tempDir();
  const pidFile = join(dir, "pids");
  const log = join(dir, "log.jsonl");
  const engineConfigs: Record<string, Record<string, unknown>> = {};
  for (const e of ENGINES) engineConfigs[e] = { executable: fakeCli(e, dir, { FAKE_PID_FILE: pidFile, FAKE_LOG: log, PI_CODING_AGENT_DIR: join(dir, "pi"), FAKE_STEP_MS: "150" }) };
  const runtime = buildRuntime({ backends: BUILTIN_ENGINES, engineConfigs, defaultEngine: "codex" });
  const port = new MemoryChatPort();
  const chat = createSessionChat({ runtime, port, showResumeLine: opts.showResumeLine ?? true, editIntervalMs: 0 });
  const logged = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { engine: string; resume: string | null; prompt: string }) : []);
  return { dir, pidFile, runtime, port, chat, logged };
}

const finalOf = (port: MemoryChatPort): ChatRecord => port.visible().filter((r) => r.replyTo !== null).at(-1)!;

describe("session chat end to end with fake engines", () => {
  for (const engine of ENGINES) {
    it(`${engine}: progress edits, final with resume line, and a reply resumes the same session`, async () => {
      const { chat, port, logged } = setup();
      await chat.onMessage({ conversationId: "c1", messageId: "u1", text: `/${engine} list the files` });
      await chat.idle();
      const progress = port.records.find((r) => r.replyTo === "u1" && r.notify === false)!;
      expect(progress.history[0]).toMatch(new RegExp(`^starting · ${engine}`));
      expect(progress.history.some((t) => t.startsWith(`working · ${engine}`))).toBe(true);
      expect(progress.removed).toBe(true); // replaced by the loud final message
      const final = finalOf(port);
      expect(final.notify).toBe(true);
      expect(final.text).toMatch(new RegExp(`^done · ${engine} · \\d+s · step 1`));
      expect(final.text).toContain("echo: list the files");
      const first = logged()[0]!;
      expect(first.prompt).toBe("list the files");
      const resumeLine = final.text.split("\n").at(-1)!;
      const token = chat.chat.runtime.router.extractResume(resumeLine);
      expect(token?.engine).toBe(engine);

      // Reply to the final message: routed by its resume line, same engine session.
      await chat.onMessage({ conversationId: "c1", messageId: "u2", text: "and now the tests", replyToId: final.id, replyText: final.text });
      await chat.idle();
      const second = logged()[1]!;
      expect(second.engine).toBe(engine);
      expect(second.resume).toBe(engine === "pi" ? token!.value : token!.value);
      const final2 = finalOf(port);
      expect(final2.text).toContain("echo: and now the tests");
      expect(final2.text.split("\n").at(-1)).toBe(resumeLine);
    });
  }

  it("stateful chat with hidden resume lines auto-resumes the stored session; /new forgets it", async () => {
    const { chat, port, logged } = setup({ showResumeLine: false });
    await chat.onMessage({ conversationId: "c", messageId: "1", text: "first" });
    await chat.idle();
    expect(finalOf(port).text).not.toContain("codex resume");
    await chat.onMessage({ conversationId: "c", messageId: "2", text: "second" });
    await chat.idle();
    const [a, b] = logged();
    expect(a!.resume).toBeNull();
    expect(b!.resume).not.toBeNull();
    // the queued message is taken over by the resumed run
    expect(port.records.some((r) => r.history[0]!.startsWith("queued · codex"))).toBe(true);
    await chat.onMessage({ conversationId: "c", messageId: "3", text: "/new" });
    expect(port.visible().at(-1)!.text).toBe("cleared stored sessions for this chat.");
    await chat.onMessage({ conversationId: "c", messageId: "4", text: "third" });
    await chat.idle();
    expect(logged()[2]!.resume).toBeNull();
  });

  it("cancel mid-run: cancelled render, and no process of the group survives", async () => {
    const { chat, port, pidFile } = setup();
    await chat.onMessage({ conversationId: "c", messageId: "u1", text: "please hang" });
    const deadline = Date.now() + 10_000;
    while (!(existsSync(pidFile) && readFileSync(pidFile, "utf8").includes(" ")) || chat.chat.runningTasks.size === 0) {
      if (Date.now() > deadline) throw new Error("engine did not start");
      await new Promise((r) => setTimeout(r, 20));
    }
    const pids = readFileSync(pidFile, "utf8").split(" ").map(Number);
    expect(pids.every(alive)).toBe(true);
    const progress = port.records.find((r) => r.replyTo === "u1")!;
    // the UI cancel action (a /cancel reply does the same)
    await chat.onMessage({ conversationId: "c", messageId: "u2", text: "/cancel", replyToId: progress.id, replyText: progress.text });
    await chat.idle();
    expect(progress.text).toMatch(/^`cancelled` · codex/);
    expect(progress.text).toContain("codex resume");
    // The whole process group is gone (a zombie awaiting init's reaping no longer runs).
    await eventually(() => pids.every(dead), 2000);
    expect(pids.map(dead)).toEqual([true, true]);
  });

  it("a message replying to a running progress message is queued behind it and resumes its session", async () => {
    const { chat, port, logged, pidFile } = setup();
    await chat.onMessage({ conversationId: "c", messageId: "u1", text: "please hang" });
    while (!(existsSync(pidFile) && readFileSync(pidFile, "utf8").includes(" "))) await new Promise((r) => setTimeout(r, 20));
    const progress = port.records.find((r) => r.replyTo === "u1")!;
    await chat.onMessage({ conversationId: "c", messageId: "u2", text: "follow up", replyToId: progress.id, replyText: progress.text });
    expect(port.records.some((r) => r.replyTo === "u2" && r.history[0]!.startsWith("queued · codex"))).toBe(true);
    await chat.cancel("c", progress.id);
    await chat.idle();
    const [first, second] = logged();
    expect(second!.resume).not.toBeNull();
    expect(second!.prompt).toBe("follow up");
    expect(first!.resume).toBeNull();
  });

  it("a missing engine CLI is reported with its install command", async () => {
    const runtime = buildRuntime({ backends: BUILTIN_ENGINES, engineConfigs: { codex: { executable: fakeCli("codex") } }, defaultEngine: "codex", which: (c) => (c.startsWith("/") ? c : null) });
    expect(runtime.missingEngineIds()).toEqual(["claude", "opencode", "pi"]);
    const port = new MemoryChatPort();
    const chat = createSessionChat({ runtime, port, editIntervalMs: 0 });
    await chat.onMessage({ conversationId: "c", messageId: "u", text: "/claude hi" });
    await chat.idle();
    const reply = port.visible().at(-1)!;
    expect(reply.text).toMatch(/^error · claude/);
    expect(reply.text).toContain("npm install -g @anthropic-ai/claude-code");
    expect(() => buildRuntime({ backends: BUILTIN_ENGINES, defaultEngine: "pi", which: () => null })).toThrow(/npm install -g @mariozechner\/pi-coding-agent/);
  });
});
