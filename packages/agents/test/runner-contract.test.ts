/**
 * Runner contract (spec §2): event order invariants, resume equality, locking and lock release.
 * ScriptRunner tests mirror takopi's tests/test_runner_contract.py; a property test drives the
 * real JsonlSubprocessRunner (codex translator) with random JSONL streams.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BaseRunner, CodexRunner, Emit, EventFactory, Latch, resumeToken, Return, ScriptRunner, Wait,
  type AgentEvent, type ResumeToken, type RunOptions,
} from "../src/index.js";
import { collect, fakeCli, tempDir } from "./helpers/fake-cli.js";

export function assertContract(events: AgentEvent[], engine: string): void {
  const started = events.filter((e) => e.type === "started");
  const completed = events.filter((e) => e.type === "completed");
  expect(started.length).toBeLessThanOrEqual(1);
  expect(completed).toHaveLength(1);
  expect(events.at(-1)!.type).toBe("completed");
  for (const e of events) expect(e.engine).toBe(engine);
  const s = started[0];
  const c = completed[0]!;
  if (s && s.type === "started" && c.type === "completed") expect(c.resume).toEqual(s.resume);
}

describe("ScriptRunner contract (tests/test_runner_contract.py)", () => {
  const f = new EventFactory("codex");
  it("session started and order; completed action with ok null becomes ok true", async () => {
    const runner = new ScriptRunner([
      Emit(f.actionStarted({ actionId: "a-1", kind: "command", title: "echo ok" })),
      Emit(f.actionCompleted({ actionId: "a-1", kind: "command", title: "echo ok", detail: { exit_code: 0 }, ok: null })),
      Return("done"),
    ], { engine: "codex" });
    const evs = await collect(runner.run("hi", null));
    assertContract(evs, "codex");
    expect(evs.map((e) => e.type)).toEqual(["started", "action", "action", "completed"]);
    expect(evs[2]).toMatchObject({ ok: true, action: { id: "a-1", kind: "command", title: "echo ok" } });
    expect(evs[3]).toMatchObject({ answer: "done" });
  });

  it("resume matches started", async () => {
    const evs = await collect(new ScriptRunner([], { engine: "codex", resumeValue: "abc" }).run("hi", null));
    expect(evs[1]).toMatchObject({ type: "completed", resume: { engine: "codex", value: "abc" } });
    expect((evs[1] as { resume: ResumeToken }).resume).toEqual((evs[0] as { resume: ResumeToken }).resume);
  });

  it("lock released when the consumer closes early", async () => {
    const gate = new Latch();
    const runner = new ScriptRunner([Wait(gate)], { engine: "codex", resumeValue: "t" });
    const gen = runner.run("a", null);
    const first = await gen.next();
    expect(first.value).toMatchObject({ type: "started" });
    gate.set();
    await gen.return(undefined);
    const second = runner.run("b", resumeToken("codex", "t"));
    expect((await second.next()).value).toMatchObject({ type: "started" });
    await second.return(undefined);
  });

  it("rejects a resume token of another engine before doing anything", async () => {
    const runner = new ScriptRunner([], { engine: "codex" });
    await expect(collect(runner.run("x", resumeToken("claude", "a")))).rejects.toThrow(/claude/);
    expect(runner.calls).toHaveLength(0);
  });
});

/** A BaseRunner whose subprocess-like body is driven by latches (tests the locking only). */
class GatedRunner extends BaseRunner {
  inFlight = 0;
  maxInFlight = 0;
  readonly gates: Latch[] = [];
  constructor(private readonly tokenFor: (i: number) => string) {
    super("codex");
  }
  private n = 0;
  protected async *runImpl(_p: string, resume: ResumeToken | null, _o: RunOptions): AsyncGenerator<AgentEvent, void> {
    const f = new EventFactory("codex");
    const i = this.n++;
    const gate = new Latch();
    this.gates[i] = gate;
    const token = resume ?? resumeToken("codex", this.tokenFor(i));
    yield f.started(token);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await gate.wait();
      yield f.completedOk({ answer: String(i) });
    } finally {
      this.inFlight--;
    }
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe("BaseRunner locking (§2.2)", () => {
  it("C1: two runs resuming one token never overlap", async () => {
    const r = new GatedRunner(() => "x");
    const t = resumeToken("codex", "same");
    const a = collect(r.run("a", t));
    const b = collect(r.run("b", t));
    await settle();
    expect(r.gates.filter(Boolean)).toHaveLength(1);
    r.gates[0]!.set();
    await settle();
    r.gates[1]!.set();
    await Promise.all([a, b]);
    expect(r.maxInFlight).toBe(1);
    expect(r.locks.size).toBe(0);
  });

  it("C2: new threads and different tokens run in parallel", async () => {
    const r = new GatedRunner((i) => `new-${i}`);
    const a = collect(r.run("a", null));
    const b = collect(r.run("b", resumeToken("codex", "other")));
    await settle();
    expect(r.maxInFlight).toBe(2);
    r.gates.forEach((g) => g.set());
    await Promise.all([a, b]);
  });

  it("C4: two new runs that learn the same token serialise at started", async () => {
    const r = new GatedRunner(() => "shared");
    const seen: string[] = [];
    const consume = async (name: string) => {
      for await (const ev of r.run(name, null)) seen.push(`${name}:${ev.type}`);
    };
    const a = consume("a");
    const b = consume("b");
    await settle();
    expect(seen.filter((s) => s.endsWith("started"))).toHaveLength(1);
    r.gates[0]!.set();
    r.gates[1]!.set();
    await Promise.all([a, b]);
    const firstDone = seen.findIndex((s) => s.endsWith("completed"));
    expect(seen.filter((s, i) => s.endsWith("started") && i > firstDone)).toHaveLength(1);
  });

  it("C3/C5: a resume waits for the new run, and a closed consumer releases the lock", async () => {
    const r = new GatedRunner(() => "t1");
    const gen = r.run("a", null);
    expect((await gen.next()).value).toMatchObject({ type: "started" });
    const resumed = r.run("b", resumeToken("codex", "t1"));
    const next = resumed.next();
    await settle();
    expect(r.gates).toHaveLength(1);
    r.gates[0]!.set();
    await gen.return(undefined);
    expect((await next).value).toMatchObject({ type: "started" });
    r.gates[1]!.set();
    await collect(resumed);
  });

  it("waiting for a lock is abortable", async () => {
    const r = new GatedRunner(() => "x");
    const t = resumeToken("codex", "busy");
    const a = collect(r.run("a", t));
    await settle();
    const ctl = new AbortController();
    const b = collect(r.run("b", t, { signal: ctl.signal }));
    ctl.abort();
    await expect(b).rejects.toThrow(/abort/i);
    r.gates[0]!.set();
    await a;
  });
});

describe("JsonlSubprocessRunner contract (property, codex translator)", () => {
  const THREAD = "0190aaaa-1111-7222-8333-444455556666";
  const pool = [
    JSON.stringify({ type: "thread.started", thread_id: THREAD }),
    JSON.stringify({ type: "turn.started" }),
    JSON.stringify({ type: "item.started", item: { id: "item_1", type: "command_execution", command: "ls", aggregated_output: "", exit_code: null, status: "in_progress" } }),
    JSON.stringify({ type: "item.completed", item: { id: "item_1", type: "command_execution", command: "ls", aggregated_output: "x", exit_code: 1, status: "failed" } }),
    JSON.stringify({ type: "item.completed", item: { id: "item_2", type: "agent_message", text: "answer ✓ ünïcödé" } }),
    JSON.stringify({ type: "error", message: "Reconnecting... 2/5" }),
    JSON.stringify({ type: "error", message: "boom" }),
    JSON.stringify({ type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } }),
    JSON.stringify({ type: "turn.failed", error: { message: "nope" } }),
    "not json at all",
    '{"type":"item.completed","item":{"type":"command_execution"}}',
    "",
  ];

  it("started ≤ 1, exactly one completed, last, same token — for any stream, chunking and exit code", async () => {
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 14 }),
        fc.constantFrom(0, 1, 3),
        fc.constantFrom(0, 1, 7, 64),
        fc.boolean(),
        async (picks, exit, chunk, resumed) => {
          const file = join(dir, `s-${Math.random().toString(16).slice(2)}.jsonl`);
          writeFileSync(file, picks.map((i) => pool[i]).join("\n"));
          const exe = fakeCli("codex", tempDir(), { FAKE_REPLAY: file, FAKE_EXIT: String(exit), FAKE_CHUNK: String(chunk) });
          const resume = resumed ? resumeToken("codex", THREAD) : null;
          const evs = await collect(new CodexRunner({ executable: exe }).run("p", resume, { cwd: dir }));
          assertContract(evs, "codex");
          const c = evs.at(-1)!;
          if (c.type === "completed" && resume) expect(c.resume).toEqual(resume);
          // A thread id is captured iff thread.started comes before the first terminal line.
          const end = picks.findIndex((i) => i === 7 || i === 8);
          const sawStart = picks.slice(0, end === -1 ? undefined : end).includes(0);
          expect(evs.some((e) => e.type === "started")).toBe(sawStart);
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);
});

describe("runner contract for every engine translator (property over recorded lines)", () => {
  // One session per fixture (a different session id in the same run is a runner error, R12).
  const sources: Record<string, Array<[string, number, number?]>> = {
    codex: [["takopi/codex_exec_json_all_formats.jsonl", 1], ["takopi/codex_exec_json_phase_and_unknown.jsonl", 1], ["current/codex-0.169.0.jsonl", 1]],
    claude: [["takopi/claude_stream_json_session.jsonl", 1, 7], ["current/claude-2.1.197.jsonl", 1]],
    opencode: [["takopi/opencode_stream_success.jsonl", 1], ["takopi/opencode_run_json.jsonl", 1], ["current/opencode-1.18.33.jsonl", 1]],
    pi: [["takopi/pi_print_mode_events.jsonl", 1], ["takopi/pi_stream_success.jsonl", 1], ["current/pi-0.73.1.jsonl", 1]],
  };
  for (const [engine, files] of Object.entries(sources)) {
    it(`${engine}: any subsequence of a recording, any exit code, keeps the contract`, async () => {
      const { fixtureLines, runnerFor } = await import("./helpers/replay.js");
      const pools = files.map(([f, from, to]) => fixtureLines(f, from, to).trim().split("\n"));
      const dir = tempDir();
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: pools.length - 1 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom(0, 2), async (which, picks, exit) => {
          const pool = pools[which]!;
          const lines = [...new Set(picks.map((p) => p % pool.length))].sort((a, b) => a - b).map((i) => pool[i]!);
          const file = join(dir, `p-${Math.random().toString(16).slice(2)}.jsonl`);
          writeFileSync(file, lines.join("\n") + "\n");
          const exe = fakeCli(engine, tempDir(), { FAKE_REPLAY: file, FAKE_EXIT: String(exit), PI_CODING_AGENT_DIR: join(dir, "pi") });
          const evs = await collect(runnerFor(engine as "codex", exe).run("p", null, { cwd: dir }));
          assertContract(evs, engine);
        }),
        { numRuns: 12 },
      );
    }, 60_000);
  }
});
