/** handleMessage and rendering (equivalents of takopi tests/test_exec_bridge.py, test_exec_render.py). */
import { describe, expect, it } from "vitest";
import {
  Emit, EventFactory, formatElapsed, handleMessage, Latch, MarkdownPresenter, MemoryTransport, ProgressTracker, Raise, resumeToken, Return,
  RunningTasks, ScriptRunner, shorten, splitMarkdownBody, Wait, codexResumeCodec, type ExecBridgeConfig, type ResumeToken,
  MemoryChatPort, SessionChatTransport, Sleep, type ProgressState, type RenderedMessage, type ScriptStep,
} from "../src/index.js";

const f = new EventFactory("codex");
const TOKEN = "0199a213-81c0-7800-8aa1-bbab2a035a53";

function setup(finalNotify = false, presenter = new MarkdownPresenter()) {
  const transport = new MemoryTransport();
  const cfg: ExecBridgeConfig = { transport, presenter, finalNotify };
  let now = 0;
  return { transport, cfg, clock: () => now, advance: (t: number) => (now = t) };
}

const incoming = (text = "do it") => ({ channelId: 123, messageId: 10, text });

describe("rendering", () => {
  it("renders progress like takopi's example", () => {
    const t = new ProgressTracker("codex");
    t.noteEvent(new EventFactory("codex").started(resumeToken("codex", TOKEN)));
    t.noteEvent(f.actionCompleted({ actionId: "a", kind: "command", title: "bash -lc ls", ok: true }));
    t.noteEvent(f.actionCompleted({ actionId: "b", kind: "note", title: "Checking repository root for README", ok: true }));
    const state = t.snapshot({ formatResume: (x) => codexResumeCodec.formatResume(x) });
    expect(new MarkdownPresenter().renderProgress(state, { elapsedS: 3 }).text).toBe(
      "working · codex · 3s · step 2\n\n✓ `bash -lc ls`  \n✓ Checking repository root for README\n\n`codex resume 0199a213-81c0-7800-8aa1-bbab2a035a53`");
  });

  it("per-kind titles, exit suffix, file changes, last 5 actions, collapsed updates", () => {
    const t = new ProgressTracker("codex");
    t.noteEvent(f.actionStarted({ actionId: "c", kind: "command", title: "pytest -q" }));
    t.noteEvent(f.actionStarted({ actionId: "c", kind: "command", title: "pytest -q" }));
    t.noteEvent(f.actionCompleted({ actionId: "c", kind: "command", title: "pytest -q", detail: { exit_code: 1 }, ok: false }));
    t.noteEvent(f.actionCompleted({ actionId: "s", kind: "web_search", title: "q", ok: true }));
    t.noteEvent(f.actionStarted({ actionId: "t", kind: "tool", title: "github.x" }));
    t.noteEvent(f.actionStarted({ actionId: "t", kind: "tool", title: "github.x" }));
    t.noteEvent(f.actionCompleted({ actionId: "fc", kind: "file_change", title: "x", detail: { changes: [{ path: "README.md", kind: "add" }, { path: "src/a.py", kind: "update" }] }, ok: true }));
    t.noteEvent(f.actionCompleted({ actionId: "w", kind: "warning", title: "careful", ok: false }));
    t.noteEvent(f.actionStarted({ actionId: "turn_0", kind: "turn", title: "turn started" }));
    t.noteEvent(f.actionCompleted({ actionId: "n", kind: "note", title: "six", ok: null }));
    const text = new MarkdownPresenter().renderProgress(t.snapshot(), { elapsedS: 61 }).text;
    expect(text.split("\n\n")[0]).toBe("working · codex · 1m 01s · step 6");
    expect(text.split("\n\n")[1]!.split("  \n")).toEqual([
      "✓ searched: q",
      "↻ tool: github.x",
      "✓ files: add `README.md`, update `src/a.py`",
      "✗ careful",
      "✓ six",
    ]);
    const t2 = new ProgressTracker("codex");
    t2.noteEvent(f.actionCompleted({ actionId: "c", kind: "command", title: "pytest -q", detail: { exit_code: 1 }, ok: null }));
    expect(new MarkdownPresenter().renderProgress(t2.snapshot(), { elapsedS: 0 }).text).toContain("✗ `pytest -q` (exit 1)");
  });

  it("elapsed formats and shorten", () => {
    expect([formatElapsed(1.4), formatElapsed(61), formatElapsed(3661), formatElapsed(-3)]).toEqual(["1s", "1m 01s", "1h 01m", "0s"]);
    expect(shorten("a".repeat(300))).toHaveLength(300);
    expect(shorten(`${"word ".repeat(100)}`, 20)).toBe("word word word word…");
    expect(shorten("x".repeat(400), 10)).toBe("…");
  });

  it("trim keeps header and footer; body chunk is 3500 chars ending with …", () => {
    const t = new ProgressTracker("codex");
    t.noteEvent(new EventFactory("codex").started(resumeToken("codex", "sid")));
    const msg = new MarkdownPresenter().renderFinal(t.snapshot({ formatResume: (x) => codexResumeCodec.formatResume(x) }), { elapsedS: 1, status: "done", answer: "y".repeat(5000) });
    const [header, body, footer] = msg.text.split("\n\n");
    expect(header).toBe("done · codex · 1s");
    expect(body).toHaveLength(3500);
    expect(body!.endsWith("…")).toBe(true);
    expect(footer).toBe("`codex resume sid`");
  });

  it("split mode: followups with continued headers and the full footer; fences closed and reopened", () => {
    const body = "intro\n\n```py\n" + "print(1)\n".repeat(600) + "```\n\nend";
    const chunks = splitMarkdownBody(body, 1000);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1000);
    expect(chunks[0]!.trimEnd().endsWith("```")).toBe(true);
    expect(chunks[1]!.startsWith("```py\n")).toBe(true);
    const t = new ProgressTracker("codex");
    t.noteEvent(new EventFactory("codex").started(resumeToken("codex", "sid")));
    const msg = new MarkdownPresenter({ messageOverflow: "split", maxBodyChars: 1000 }).renderFinal(t.snapshot({ formatResume: (x) => codexResumeCodec.formatResume(x) }), { elapsedS: 1, status: "done", answer: body });
    const followups = msg.extra["followups"] as Array<{ text: string }>;
    expect(followups.length).toBe(chunks.length - 1);
    expect(followups[0]!.text.startsWith(`done · codex · 1s · continued (2/${chunks.length})`)).toBe(true);
    for (const m of [msg, ...followups]) expect(m.text.endsWith("`codex resume sid`")).toBe(true);
  });
});

describe("handleMessage", () => {
  it("full flow: silent progress reply, edits, final replaces progress loudly with the resume line", async () => {
    const { transport, cfg, clock, advance } = setup(true);
    const runner = new ScriptRunner([
      Emit(f.actionStarted({ actionId: "a", kind: "command", title: "ls" }), 1),
      Emit(f.actionCompleted({ actionId: "a", kind: "command", title: "ls", ok: true }), 2),
      Return("all good"),
    ], { engine: "codex", resumeValue: TOKEN, advance });
    const outcome = await handleMessage(cfg, { runner, incoming: incoming(), resumeToken: null, clock });
    expect(outcome.kind).toBe("completed");
    const sends = transport.calls.filter((c) => c.op === "send");
    expect(sends).toHaveLength(2);
    const [progress, final] = sends as Array<Extract<(typeof transport.calls)[number], { op: "send" }>>;
    expect(progress!.options).toMatchObject({ notify: false, replyTo: { channelId: 123, messageId: 10 } });
    expect(progress!.message.text).toMatch(/^starting · codex · 0s/);
    expect(transport.calls.filter((c) => c.op === "edit").length).toBeGreaterThanOrEqual(1);
    expect(transport.calls.filter((c) => c.op === "edit").every((c) => c.op === "edit" && !c.wait)).toBe(true);
    expect(final!.options).toMatchObject({ notify: true, replace: progress!.ref });
    expect(final!.message.text).toContain("all good");
    expect(final!.message.text).toContain(`\`codex resume ${TOKEN}\``);
    expect(transport.visible()).toHaveLength(1);
  });

  it("strips resume lines from the prompt and passes the token separately", async () => {
    const { cfg } = setup();
    const runner = new ScriptRunner([Return("ok")], { engine: "codex" });
    const token = resumeToken("codex", "sid");
    await handleMessage(cfg, { runner, incoming: incoming("do this\n`codex resume sid`\nand that"), resumeToken: token });
    expect(runner.calls).toEqual([["do this\nand that", token]]);
    await handleMessage(cfg, { runner, incoming: incoming("`codex resume sid`"), resumeToken: token });
    expect(runner.calls[1]![0]).toBe("continue");
  });

  it("finalNotify=false edits the progress message in place (one send)", async () => {
    const { transport, cfg } = setup(false);
    await handleMessage(cfg, { runner: new ScriptRunner([Return("x".repeat(5000))], { engine: "codex" }), incoming: incoming(), resumeToken: null });
    expect(transport.calls.filter((c) => c.op === "send")).toHaveLength(1);
    expect(transport.last()!.message.text).toMatch(/^done · codex/);
  });

  it("an empty successful answer renders as error; a failed run appends the error", async () => {
    const { transport, cfg } = setup();
    await handleMessage(cfg, { runner: new ScriptRunner([Return("")], { engine: "codex" }), incoming: incoming(), resumeToken: null });
    expect(transport.last()!.message.text).toMatch(/^error · codex/);
    const failing = new ScriptRunner([Emit(f.completedError({ error: "boom", answer: "partial", resume: resumeToken("codex", "r") }))], { engine: "codex", resumeValue: "r" });
    await handleMessage(cfg, { runner: failing, incoming: incoming(), resumeToken: null });
    expect(transport.last()!.message.text).toContain("partial\n\nboom");
  });

  it("a runner error renders error in place and keeps the resume line", async () => {
    const { transport, cfg } = setup(true);
    const runner = new ScriptRunner([Raise(new Error("kaput"))], { engine: "codex", resumeValue: "keep" });
    const outcome = await handleMessage(cfg, { runner, incoming: incoming(), resumeToken: null });
    expect(outcome).toEqual({ kind: "error", error: "kaput" });
    const text = transport.last()!.message.text;
    expect(text).toMatch(/^error · codex/);
    expect(text).toContain("kaput");
    expect(text).toContain("`codex resume keep`");
    expect(transport.calls.filter((c) => c.op === "send")).toHaveLength(1);
  });

  it("ctx line is in the final footer before the resume line", async () => {
    const { transport, cfg } = setup();
    await handleMessage(cfg, { runner: new ScriptRunner([Return("ok")], { engine: "codex", resumeValue: "s" }), incoming: incoming(), resumeToken: null, contextLine: "`ctx: shop @main`" });
    expect(transport.last()!.message.text.endsWith("`ctx: shop @main`  \n`codex resume s`")).toBe(true);
  });

  it("cancel: cancelled render in place with the token, exactly one send, registry emptied", async () => {
    const { transport, cfg } = setup(true);
    const gate = new Latch();
    const runner = new ScriptRunner([Emit(f.actionStarted({ actionId: "a", kind: "command", title: "sleep" })), Wait(gate), Return("never")], { engine: "codex", resumeValue: "tok" });
    const tasks = new RunningTasks();
    const known: ResumeToken[] = [];
    const run = handleMessage(cfg, { runner, incoming: incoming(), resumeToken: null, runningTasks: tasks, onThreadKnown: async (t) => void known.push(t) });
    await new Promise((r) => setTimeout(r, 20));
    expect(tasks.size).toBe(1);
    const task = [...tasks.values()][0]!;
    expect(task.resume).toEqual(resumeToken("codex", "tok"));
    task.cancelRequested.set();
    expect(await run).toEqual({ kind: "cancelled" });
    expect(tasks.size).toBe(0);
    expect(task.done.isSet).toBe(true);
    expect(known).toEqual([resumeToken("codex", "tok")]);
    expect(transport.calls.filter((c) => c.op === "send")).toHaveLength(1);
    const last = transport.last()!.message.text;
    expect(last).toMatch(/^`cancelled` · codex/);
    expect(last).toContain("`codex resume tok`");
  });

  it("takes over a queued progress message, falling back to send-with-replace when the edit fails", async () => {
    const { transport, cfg } = setup(false);
    const queued = await transport.send({ channelId: 123, message: { text: "queued", extra: {} } });
    transport.failEdits = true;
    await handleMessage(cfg, { runner: new ScriptRunner([Return("ok")], { engine: "codex" }), incoming: incoming(), resumeToken: null, progressRef: queued });
    const sends = transport.calls.filter((c) => c.op === "send");
    expect(sends[1]).toMatchObject({ options: { replace: queued } });
    expect(transport.messages.get(`123:${queued!.messageId}`)!.deleted).toBe(true);
  });
});

describe("progress under a flood of events", () => {
  it("renders only when the transport can deliver an edit, and keeps first-appearance order", async () => {
    class CountingPresenter extends MarkdownPresenter {
      renders = 0;
      last: ProgressState | null = null;
      override renderProgress(state: ProgressState, opts: { elapsedS: number; label?: string }): RenderedMessage {
        this.renders++;
        this.last = state;
        return super.renderProgress(state, opts);
      }
      override renderFinal(state: ProgressState, opts: { elapsedS: number; status: string; answer: string }): RenderedMessage {
        this.last = state;
        return super.renderFinal(state, opts);
      }
    }
    const presenter = new CountingPresenter({ structured: true });
    const port = new MemoryChatPort();
    const transport = new SessionChatTransport(port, { editIntervalMs: 20 });
    const steps: ScriptStep[] = [];
    const actions = 1500;
    for (let i = 0; i < actions; i++) {
      steps.push(Emit(f.actionStarted({ actionId: `a${i}`, kind: "command", title: `step ${i}` })));
      steps.push(Emit(f.actionCompleted({ actionId: `a${i}`, kind: "command", title: `step ${i}`, ok: true })));
      if (i % 100 === 99) steps.push(Sleep(0.005));
    }
    steps.push(Return("done"));
    const outcome = await handleMessage({ transport, presenter, finalNotify: false }, { runner: new ScriptRunner(steps, { engine: "codex" }), incoming: incoming(), resumeToken: null });
    expect(outcome.kind).toBe("completed");
    const progress = port.records[0]!;
    // 3,000 tracked events: one render for the initial message, then at most one per delivered edit
    // (plus one whose edit the final message superseded), never one per event.
    const progressEdits = progress.edits - 1; // the last edit is the final message
    expect(presenter.renders).toBeLessThanOrEqual(1 + progressEdits + 2);
    // The final render sees every action, in first-appearance order.
    expect(presenter.last!.actions.map((a) => a.action.id)).toEqual(Array.from({ length: actions }, (_, i) => `a${i}`));
    expect(presenter.last!.actions.every((a) => a.completed)).toBe(true);
  });
});
