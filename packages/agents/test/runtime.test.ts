/** Router order, directives, ctx lines and context resolution (takopi test_auto_router, test_transport_runtime). */
import { describe, expect, it } from "vitest";
import {
  AutoRouter, ClaudeRunner, CodexRunner, DirectiveError, OpencodeRunner, PiRunner, TransportRuntime, parseContextLine, parseDirectives, relativizeCommand,
  relativizePath, toolAction, type ProjectConfig,
} from "../src/index.js";

const entries = [new ClaudeRunner(), new CodexRunner(), new OpencodeRunner(), new PiRunner()].map((runner) => ({ engine: runner.engine, runner, status: "ok" as const, issue: null }));
const project = (key: string, extra: Partial<ProjectConfig> = {}): ProjectConfig => ({ alias: key, key, path: `/srv/${key}`, worktreesDir: `/srv/${key}/.worktrees`, defaultEngine: null, worktreeBase: null, chatId: null, ...extra });
const runtime = new TransportRuntime({
  router: new AutoRouter(entries, "codex"),
  projects: { projects: new Map([["shop", project("shop", { defaultEngine: "claude", chatId: -5 })], ["blog", project("blog")]]), defaultProject: null },
});

describe("router", () => {
  it("polls runners in order: first engine with a match wins; text before reply", () => {
    expect(runtime.router.extractResume("`codex resume abc`\n`claude --resume def`")).toEqual({ engine: "claude", value: "def" });
    expect(runtime.router.resolveResume("`codex resume a`", "`claude --resume b`")?.engine).toBe("codex");
    expect(runtime.router.resolveResume("hello", "`claude --resume b`")?.value).toBe("b");
    expect(runtime.isResumeLine("`pi --session x`")).toBe(true);
    expect(runtime.isResumeLine("`opencode --session ses_a`")).toBe(true);
  });

  it("unknown engines throw RunnerUnavailableError with takopi's text", () => {
    expect(() => runtime.resolveRunner({ engineOverride: "gemini" })).toThrow("engine 'gemini' is unavailable: engine not configured");
    expect(runtime.resolveRunner({ resumeToken: { engine: "pi", value: "x" }, engineOverride: "codex" }).engine).toBe("pi");
  });
});

describe("directives", () => {
  const opts = { engineIds: ["codex", "claude"], projectAliases: ["shop"] };
  it("parses leading tokens of the first non-empty line", () => {
    expect(parseDirectives("\n/claude@bot /Shop @feat/x fix it\nsecond", opts)).toEqual({ prompt: "fix it\nsecond", engine: "claude", project: "shop", branch: "feat/x" });
    expect(parseDirectives("/unknown thing", opts)).toMatchObject({ prompt: "/unknown thing", engine: null });
    expect(parseDirectives("/codex\nbody", opts)).toMatchObject({ prompt: "body", engine: "codex" });
    expect(() => parseDirectives("@a @b x", opts)).toThrow(DirectiveError);
  });
  it("ctx lines: last wins, unknown projects are errors", () => {
    expect(parseContextLine("`ctx: shop @main`\nx\n`ctx: blog`", (k) => ["shop", "blog"].includes(k))).toEqual({ project: "blog", branch: null });
    expect(parseContextLine("ctx: shop @ dev", () => true)).toEqual({ project: "shop", branch: "dev" });
    expect(() => parseContextLine("`ctx: gone`", () => false)).toThrow(/unknown project 'gone' in ctx line/);
  });
});

describe("context resolution (§9.4)", () => {
  it("a branch directive merges with the ambient project; a project directive drops the ambient branch", () => {
    const ambient = { project: "shop", branch: "dev" };
    expect(runtime.resolveMessage({ text: "@feat go", ambientContext: ambient })).toMatchObject({ context: { project: "shop", branch: "feat" }, contextSource: "directives" });
    expect(runtime.resolveMessage({ text: "/blog go", ambientContext: ambient })).toMatchObject({ context: { project: "blog", branch: null } });
    expect(runtime.resolveMessage({ text: "go", ambientContext: ambient })).toMatchObject({ context: ambient, contextSource: "ambient" });
  });
  it("reply ctx beats ambient; project chat gives a default; project default engine", () => {
    expect(runtime.resolveMessage({ text: "go", replyText: "done\n`ctx: blog @x`", ambientContext: { project: "shop", branch: null } })).toMatchObject({ context: { project: "blog", branch: "x" }, contextSource: "reply_ctx" });
    const r = runtime.resolveMessage({ text: "go", chatId: -5 });
    expect(r).toMatchObject({ context: { project: "shop", branch: null }, contextSource: "default_project" });
    expect(runtime.resolveEngine({ context: r.context })).toBe("claude");
    expect(runtime.resolveEngine({ engineOverride: "pi", context: r.context })).toBe("pi");
    expect(runtime.formatContextLine({ project: "shop", branch: "main" })).toBe("`ctx: shop @main`");
  });
  it("resolveRunCwd: project path without a branch, errors for unknown projects", async () => {
    expect(await runtime.resolveRunCwd({ project: "shop", branch: null })).toBe("/srv/shop");
    expect(await runtime.resolveRunCwd(null)).toBeNull();
    await expect(runtime.resolveRunCwd({ project: "nope", branch: null })).rejects.toThrow("unknown project 'nope'");
    await expect(runtime.resolveRunCwd({ project: "shop", branch: " " })).rejects.toThrow("branch name cannot be empty");
  });
});

describe("paths and tool actions", () => {
  it("relativises inside the base only", () => {
    expect(relativizePath("/srv/app", "/srv/app")).toBe(".");
    expect(relativizePath("/srv/app/src/a.ts", "/srv/app")).toBe("src/a.ts");
    expect(relativizePath("/srv/app2/x", "/srv/app")).toBe("/srv/app2/x");
    expect(relativizeCommand("cat /srv/app/a --out=/srv/app/b", "/srv/app")).toBe("cat a --out=b");
  });
  it("maps tool names to kinds and titles", () => {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ["Bash", { command: "ls" }, "command", "ls"],
      ["Edit", { file_path: "/srv/app/a.ts" }, "file_change", "a.ts"],
      ["Write", {}, "file_change", "Write"],
      ["Read", { path: "/srv/app/r.md" }, "tool", "read: `r.md`"],
      ["Glob", { pattern: "*.ts" }, "tool", "glob: `*.ts`"],
      ["Grep", { pattern: "x" }, "tool", "grep: x"],
      ["find", {}, "tool", "find"],
      ["LS", { path: "/srv/app/src" }, "tool", "ls: `src`"],
      ["WebSearch", { query: "q" }, "web_search", "q"],
      ["WebFetch", {}, "web_search", "fetch"],
      ["TodoWrite", {}, "note", "update todos"],
      ["TodoRead", {}, "note", "read todos"],
      ["AskUserQuestion", {}, "note", "ask user"],
      ["Task", { description: "d" }, "subagent", "d"],
      ["Mystery", {}, "tool", "Mystery"],
    ];
    for (const [name, input, kind, title] of cases) {
      expect(toolAction(name, input, { pathKeys: ["file_path", "path"], cwd: "/srv/app" })).toMatchObject({ kind, title });
    }
    expect(toolAction("task", { prompt: "p" }, { pathKeys: [], taskKind: "tool" })).toMatchObject({ kind: "tool", title: "p" });
  });
});
