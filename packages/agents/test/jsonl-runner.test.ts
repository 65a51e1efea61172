/** Subprocess skeleton (spec §5.1–5.3): lines, stderr, early exit, teardown of the process group. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexRunner, LineSplitter, MemoryLogger, setLogger, getLogger, spawnGroup, terminateGroup, type AgentEvent } from "../src/index.js";
import { alive, collect, fakeCli, tempDir } from "./helpers/fake-cli.js";

const THREAD = JSON.stringify({ type: "thread.started", thread_id: "t-1" });
const done = (text: string) =>
  [JSON.stringify({ type: "item.completed", item: { id: "m", type: "agent_message", text } }), JSON.stringify({ type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } })].join("\n");

async function runCodex(text: string, env: Record<string, string> = {}, opts: { maxLineBytes?: number; killGraceMs?: number } = {}): Promise<AgentEvent[]> {
  const dir = tempDir();
  const file = join(dir, "out.jsonl");
  writeFileSync(file, text);
  const exe = fakeCli("codex", dir, { FAKE_REPLAY: file, ...env });
  return collect(new CodexRunner({ executable: exe, ...opts }).run("p", null, { cwd: dir }));
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("LineSplitter", () => {
  it("any chunking of UTF-8 bytes yields the same lines", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 20 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => l.replace(/\n/g, "") + "\n").join(""), "utf8");
        const s = new LineSplitter();
        const out: string[] = [];
        let off = 0;
        let i = 0;
        while (off < bytes.length) {
          const n = cuts[i++ % cuts.length]!;
          for (const it of s.push(bytes.subarray(off, off + n))) if (it.kind === "line") out.push(it.text);
          off += n;
        }
        for (const it of s.end()) if (it.kind === "line") out.push(it.text);
        expect(out).toEqual(lines.map((l) => l.replace(/\n/g, "")));
      }),
    );
  });

  it("reports a line longer than the cap as overflow and continues", () => {
    const s = new LineSplitter(10);
    const items = [...s.push(Buffer.from("0123456789ABCDEF")), ...s.push(Buffer.from("GH\nok\n"))];
    expect(items).toEqual([{ kind: "overflow", bytes: 18 }, { kind: "line", text: "ok" }]);
  });
});

describe("stdout handling", () => {
  it("accepts a 5 MiB line split across many chunks", async () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const evs = await runCodex(`${THREAD}\n${done(big)}\n`);
    expect(evs.at(-1)).toMatchObject({ type: "completed", ok: true });
    expect((evs.at(-1) as { answer: string }).answer).toHaveLength(big.length);
  });

  it("a line over maxLineBytes is dropped with a warning; the run goes on", async () => {
    const huge = JSON.stringify({ type: "item.completed", item: { id: "m0", type: "agent_message", text: "y".repeat(5000) } });
    const evs = await runCodex(`${THREAD}\n${huge}\n${done("short")}\n`, {}, { maxLineBytes: 1000 });
    expect(evs.some((e) => e.type === "action" && e.action.kind === "warning" && /ignoring line/.test(e.action.title))).toBe(true);
    expect(evs.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "short" });
  });

  it("lines split byte-by-byte (multi-byte UTF-8 across chunks) decode intact", async () => {
    const evs = await runCodex(`${THREAD}\n${done("ünïcödé ✓ 🐙")}\n`, { FAKE_CHUNK: "1" });
    expect(evs.at(-1)).toMatchObject({ answer: "ünïcödé ✓ 🐙" });
  });

  it("undecodable lines are dropped without events; an unterminated last line is processed", async () => {
    const evs = await runCodex(`garbage\n{"type":"nope"}\n\xff\xfe\n${THREAD}\n${done("fine")}`);
    expect(evs.map((e) => e.type)).toEqual(["started", "completed"]);
  });

  it("nothing is emitted after completed", async () => {
    const evs = await runCodex(`${THREAD}\n${done("first")}\n${JSON.stringify({ type: "error", message: "late" })}\n${done("second")}\n`);
    expect(evs.map((e) => e.type)).toEqual(["started", "completed"]);
    expect(evs.at(-1)).toMatchObject({ answer: "first" });
  });
});

describe("process exit", () => {
  it("stderr goes to logs only, never into the error text", async () => {
    const prev = getLogger();
    const log = new MemoryLogger();
    setLogger(log);
    try {
      const evs = await runCodex("", { FAKE_STDERR: "SECRET-REASON", FAKE_EXIT: "1" });
      expect(evs.map((e) => e.type)).toEqual(["action", "completed"]);
      expect(evs.at(-1)).toMatchObject({ ok: false, error: "codex exec failed (rc=1)." });
      expect(JSON.stringify(evs)).not.toContain("SECRET");
      expect(log.entries.some((e) => e.fields?.["line"] === "SECRET-REASON")).toBe(true);
    } finally {
      setLogger(prev);
    }
  });

  it("a run that never starts but printed unrecognised lines hints at a CLI version mismatch", async () => {
    const evs = await runCodex('{"type":"session.created","id":"x"}\n{"type":"item.completed","item":{"type":"agent_message"}}\n');
    expect(evs).toHaveLength(1);
    expect((evs[0] as { error: string }).error).toMatch(/^codex exec finished but no session_id\/thread_id was captured \(2 unrecognised lines — is `.+codex` up to date\?\)$/);
  });

  it("early exit 0 without a session synthesises a failed completed", async () => {
    const evs = await runCodex("");
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ type: "completed", ok: false, error: "codex exec finished but no session_id/thread_id was captured", resume: null });
  });

  it("exit 0 after started without turn.completed counts as success with the last answer", async () => {
    const evs = await runCodex(`${THREAD}\n${JSON.stringify({ type: "item.completed", item: { id: "m", type: "agent_message", text: "partial" } })}\n`);
    expect(evs.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "partial", resume: { value: "t-1" } });
  });

  it("a missing executable is an error for the consumer", async () => {
    await expect(collect(new CodexRunner({ executable: "/nonexistent/codex" }).run("p", null))).rejects.toThrow(/ENOENT/);
  });
});

describe("cancellation", () => {
  for (const ignoreTerm of [false, true]) {
    it(`abort kills the whole process group${ignoreTerm ? " (SIGKILL after the grace period when SIGTERM is ignored)" : ""}`, async () => {
      const dir = tempDir();
      const pidFile = join(dir, "pids");
      const exe = fakeCli("codex", dir, { FAKE_PID_FILE: pidFile, ...(ignoreTerm ? { FAKE_IGNORE_TERM: "1" } : {}) });
      const ctl = new AbortController();
      const runner = new CodexRunner({ executable: exe, killGraceMs: 300 });
      const seen: AgentEvent[] = [];
      const t0 = Date.now();
      const run = (async () => {
        for await (const ev of runner.run("please hang", null, { cwd: dir, signal: ctl.signal })) {
          seen.push(ev);
          if (ev.type === "action" && ev.phase === "completed") {
            await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").includes(" "));
            ctl.abort();
          }
        }
      })();
      await run;
      const pids = readFileSync(pidFile, "utf8").split(" ").map(Number);
      expect(pids).toHaveLength(2);
      await waitFor(() => pids.every((p) => !alive(p)), 3000);
      expect(seen.some((e) => e.type === "completed")).toBe(false);
      if (ignoreTerm) expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    });
  }

  it("terminateGroup escalates to SIGKILL and reports a non-zero exit", async () => {
    const proc = await spawnGroup([process.execPath, "-e", "process.on('SIGTERM',()=>{});setInterval(()=>{},1000)"], {});
    await new Promise((r) => setTimeout(r, 150));
    const rc = await terminateGroup(proc, 200);
    expect(rc).not.toBe(0);
    expect(alive(proc.child.pid!)).toBe(false);
  });
});
