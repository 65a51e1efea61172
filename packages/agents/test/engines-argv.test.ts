/** Exact argv, stdin and environment per engine (spec §3), and engine-table validation. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildClaudeRunner, buildCodexRunner, buildOpencodeRunner, buildPiRunner, ClaudeRunner, CodexRunner, ConfigError, findExecOnlyFlag,
  OpencodeRunner, PiRunner, piSessionPath, resumeToken,
} from "../src/index.js";
import { collect, fakeCli, tempDir } from "./helpers/fake-cli.js";

type Logged = { argv: string[]; prompt: string; resume: string | null; hasAnthropicKey: boolean; noColor: string | null; cwd: string };
function readLog(path: string): Logged[] {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Logged);
}

describe("codex", () => {
  const state = () => new CodexRunner().newState("p", null, {});
  it("argv with run options matches takopi's exact order", () => {
    const r = new CodexRunner();
    expect(r.buildArgs("p", null, state(), { model: "gpt-4.1-mini", reasoning: "low" })).toEqual(
      ["-c", "notify=[]", "--model", "gpt-4.1-mini", "-c", "model_reasoning_effort=low", "exec", "--json", "--skip-git-repo-check", "--color=never", "-"]);
    expect(r.buildArgs("p", resumeToken("codex", "t1"), state(), {})).toEqual(
      ["-c", "notify=[]", "exec", "--json", "--skip-git-repo-check", "--color=never", "resume", "t1", "-"]);
  });
  it("config: profile follows extra_args and names the title; exec-only flags rejected", () => {
    const r = buildCodexRunner({ extra_args: ["-c", "x=1"], profile: "work" });
    expect(r.buildArgs("p", null, state(), { model: "m" }).slice(0, 6)).toEqual(["-c", "x=1", "--profile", "work", "--model", "m"]);
    expect(() => buildCodexRunner({ extra_args: ["--json"] })).toThrow(ConfigError);
    expect(() => buildCodexRunner({ extra_args: "nope" })).toThrow(ConfigError);
    expect(() => buildCodexRunner({ profile: 3 })).toThrow(ConfigError);
    expect(findExecOnlyFlag(["--color=always"])).toBe("--color=always");
    expect(findExecOnlyFlag(["--output-last-message=x"])).toBe("--output-last-message=x");
    expect(findExecOnlyFlag(["-c", "a=b"])).toBeNull();
  });
  it("sends the prompt on stdin, not argv", async () => {
    const dir = tempDir();
    const log = join(dir, "log.jsonl");
    const exe = fakeCli("codex", dir, { FAKE_LOG: log });
    const evs = await collect(new CodexRunner({ executable: exe }).run("héllo wörld", null, { cwd: dir }));
    expect(evs.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "echo: héllo wörld" });
    const [entry] = readLog(log);
    expect(entry!.prompt).toBe("héllo wörld");
    expect(entry!.argv).not.toContain("héllo wörld");
  });
});

describe("claude", () => {
  const st = () => new ClaudeRunner().newState("p", null, {});
  it("argv: resume, model, default allowed tools, prompt after --", () => {
    const r = buildClaudeRunner({ model: "opus" });
    expect(r.buildArgs("hi", resumeToken("claude", "s1"), st(), {})).toEqual(
      ["-p", "--output-format", "stream-json", "--verbose", "--resume", "s1", "--model", "opus", "--allowedTools", "Bash,Read,Edit,Write", "--", "hi"]);
    expect(r.buildArgs("hi", null, st(), { model: "sonnet" })).toContain("sonnet");
  });
  it("allowed_tools replaces the default; an empty list omits the flag; skip-permissions only when true", () => {
    expect(buildClaudeRunner({ allowed_tools: [] }).buildArgs("x", null, st(), {})).not.toContain("--allowedTools");
    expect(buildClaudeRunner({ allowed_tools: ["Read"], dangerously_skip_permissions: true }).buildArgs("x", null, st(), {})).toEqual(
      ["-p", "--output-format", "stream-json", "--verbose", "--allowedTools", "Read", "--dangerously-skip-permissions", "--", "x"]);
    expect(() => buildClaudeRunner({ model: 1 })).toThrow(ConfigError);
  });
  it("strips ANTHROPIC_API_KEY unless use_api_billing", async () => {
    const dir = tempDir();
    const log = join(dir, "log.jsonl");
    const exe = fakeCli("claude", dir, { FAKE_LOG: log });
    process.env["ANTHROPIC_API_KEY"] = "sk-test";
    try {
      await collect(buildClaudeRunner({ executable: exe }).run("a", null, { cwd: dir }));
      await collect(buildClaudeRunner({ executable: exe, use_api_billing: true }).run("b", null, { cwd: dir }));
    } finally {
      delete process.env["ANTHROPIC_API_KEY"];
    }
    expect(readLog(log).map((e) => e.hasAnthropicKey)).toEqual([false, true]);
  });
  it("stdin is closed without payload", () => {
    expect(new ClaudeRunner().stdinPayload()).toBeNull();
  });
});

describe("opencode", () => {
  const st = () => new OpencodeRunner().newState("p", null, {});
  it("argv for new and resumed runs", () => {
    expect(new OpencodeRunner().buildArgs("hi there", null, st(), {})).toEqual(["run", "--format", "json", "--", "hi there"]);
    expect(buildOpencodeRunner({ model: "a/b" }).buildArgs("x", resumeToken("opencode", "ses_1"), st(), {})).toEqual(
      ["run", "--format", "json", "--session", "ses_1", "--model", "a/b", "--", "x"]);
    expect(() => buildOpencodeRunner({ model: false })).toThrow(ConfigError);
    expect(new OpencodeRunner().stdinPayload()).toBeNull();
  });
});

describe("pi", () => {
  it("argv: extra args, provider, model, invented session path, leading-dash prompt", () => {
    const r = buildPiRunner({ extra_args: ["--x"], provider: "openai", model: "m" });
    const state = r.newState("p", null, { cwd: "/srv/app" });
    state.token = "/tmp/s.jsonl";
    expect(r.buildArgs("-v please", null, state, {})).toEqual(["--x", "--print", "--mode", "json", "--provider", "openai", "--model", "m", "--session", "/tmp/s.jsonl", " -v please"]);
    expect(() => buildPiRunner({ extra_args: [1] })).toThrow(ConfigError);
  });
  it("session path uses the run directory and sanitises separators", () => {
    const p = piSessionPath("/srv/app", { PI_CODING_AGENT_DIR: "/data/agent" }, new Date("2026-02-01T10:00:00.000Z"));
    expect(p).toMatch(/^\/data\/agent\/sessions\/--srv-app--\/2026-02-01T10-00-00-000Z_[0-9a-f]{32}\.jsonl$/);
    expect(piSessionPath("C:\\Users\\me", { PI_CODING_AGENT_DIR: "/d" })).toContain("--C--Users-me--");
  });
  it("a resumed run passes the token unchanged; env adds NO_COLOR and CI", async () => {
    const dir = tempDir();
    const log = join(dir, "log.jsonl");
    const exe = fakeCli("pi", dir, { FAKE_LOG: log });
    const evs = await collect(new PiRunner({ executable: exe, env: { ...process.env, PI_CODING_AGENT_DIR: join(dir, "agent") } }).run("x", resumeToken("pi", "/srv/a b.jsonl"), { cwd: dir }));
    const [entry] = readLog(log);
    expect(entry!.argv.slice(-2)).toEqual(["/srv/a b.jsonl", "x"]);
    expect(entry!.noColor).toBe("1");
    expect(evs.at(-1)).toMatchObject({ type: "completed", resume: { engine: "pi", value: "/srv/a b.jsonl" } });
  });
});
