import { describe, expect, it } from "vitest";
import { fileKind, fileProblem, formatBytes, numberLines, summariseAgent } from "./ui/viewer-logic.js";

describe("file viewer helpers", () => {
  it("picks the view by extension, numbers lines, says sizes and errors in words", () => {
    expect([fileKind("a/b.PNG"), fileKind("doc.pdf"), fileKind("src/x.ts"), fileKind("Makefile")]).toEqual(["image", "pdf", "text", "text"]);
    expect(numberLines("a\nb\nc\n")).toEqual({ count: 3, numbers: "1\n2\n3" });
    expect(numberLines("a\n\nb")).toEqual({ count: 3, numbers: "1\n2\n3" });
    expect(numberLines("")).toEqual({ count: 1, numbers: "1" });
    expect([formatBytes(12), formatBytes(2048), formatBytes(512 * 1024), formatBytes(3 * 1024 * 1024)]).toEqual(["12 B", "2.0 KiB", "512 KiB", "3.0 MiB"]);
    expect(fileProblem("No such file or directory", "x.txt")).toBe("x.txt: no such file in the session directory.");
    expect(fileProblem("write auth required", "x")).toMatch(/writer link/);
    expect(fileProblem("CLI not connected", "x")).toMatch(/offline/);
    // What the server answers when the CLI refuses (e.g. --no-fs): its own text, not the CLI's.
    expect(fileProblem("CLI returned an error from the remote read.", "x")).toMatch(/--no-fs/);
    expect(fileProblem("boom", "x")).toBe("Cannot open x: boom");
  });
});

describe("agent overlay summary", () => {
  it("combines the status with recent events, newest first; file changes once per path", () => {
    const ev = (type: string, data: Record<string, unknown>, timestamp: number) => ({ type, data: { shellId: 1, ...data }, timestamp });
    const s = summariseAgent(
      { shellId: 1, agentType: "claude", status: "waiting" },
      [
        ev("agent.session_start", { model: "opus", version: "1" }, 1),
        ev("agent.tool_call", { tool_name: "Edit" }, 2),
        ev("agent.file_change", { action: "modified", path: "a.ts" }, 3),
        ev("agent.tool_result", { is_error: true, output: "failed" }, 4),
        ev("agent.file_change", { action: "created", path: "a.ts" }, 5),
        ev("agent.token_usage", { input: 10, output: 5, cached: 7, cost: 0.25 }, 6),
        ev("agent.turn_complete", { duration_ms: 1500 }, 7),
      ],
    );
    expect(s).toMatchObject({ agentType: "claude", status: "waiting", model: "opus", tokens: { input: 10, output: 5, cached: 7, cost: 0.25 } });
    expect(s.files).toEqual([{ path: "a.ts", action: "created" }]);
    expect(s.timeline.map((t) => t.kind)).toEqual(["turn", "file", "result", "file", "tool", "start"]);
    expect(s.timeline[0]!.text).toBe("Turn complete in 1.5 s");
    expect(s.timeline[2]!.error).toBe(true);
    // The status's own token usage (cumulative) wins over a single event's.
    expect(summariseAgent({ shellId: 1, agentType: "codex", status: "done", tokenUsage: { input: 1, output: 2, cached: 3, cost: 4 } }, [ev("agent.token_usage", { input: 9, output: 9, cached: 9, cost: 9 }, 1)]).tokens)
      .toEqual({ input: 1, output: 2, cached: 3, cost: 4 });
    expect(summariseAgent(undefined, [])).toEqual({ agentType: null, status: null, model: null, tokens: null, timeline: [], files: [] });
  });
});
