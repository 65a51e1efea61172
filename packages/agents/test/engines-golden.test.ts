/**
 * Golden replays of every recorded fixture through the real runners (spec §10.3 item 2, §10.4),
 * for the takopi recordings and the current CLI recordings.
 */
import { describe, expect, it } from "vitest";
import type { ActionEvent, CompletedEvent, StartedEvent } from "../src/index.js";
import { brief, fixtureLines, replay } from "./helpers/replay.js";

const CODEX_THREAD = "0199a213-81c0-7800-8aa1-bbab2a035a53";


describe("codex fixtures", () => {
  it("codex_exec_json_all_formats: 19 events, later turn dropped after completed", async () => {
    const evs = await replay("codex", { file: "takopi/codex_exec_json_all_formats.jsonl" });
    expect(evs.map(brief)).toEqual([
      `started codex:${CODEX_THREAD} Codex`,
      `action started turn_0 turn "turn started" ok=null`,
      `action started item_0 note "todo 0/3: Inspect repo structure" ok=null`,
      `action updated item_0 note "todo 1/3: Run tests" ok=null`,
      `action completed item_0 note "todo 3/3: done" ok=true`,
      `action started item_1 command "pytest -q" ok=null`,
      `action completed item_1 command "pytest -q" ok=true`,
      `action started item_2 command "pytest -q" ok=null`,
      `action completed item_2 command "pytest -q" ok=false`,
      `action completed item_3 file_change "src/compute_answer.py, README.md" ok=true`,
      `action completed item_4 file_change "src/compute_answer.py" ok=false`,
      `action started item_5 tool "github.search_issues" ok=null`,
      `action completed item_5 tool "github.search_issues" ok=true`,
      `action started item_6 tool "github.search_issues" ok=null`,
      `action completed item_6 tool "github.search_issues" ok=false`,
      `action completed item_7 web_search "codex exec --json schema" ok=true`,
      `action completed item_8 note "Root cause: compute_answer() returned 0." ok=true`,
      `action completed item_10 warning "command output truncated" ok=false`,
      `completed ok=true answer="Updated src/compute_answer.py and tests pass." error=null`,
    ]);
    const byId = (id: string, phase = "completed") => evs.find((e) => e.type === "action" && e.action.id === id && e.phase === phase) as ActionEvent;
    expect(byId("item_0").action.detail).toEqual({ done: 3, total: 3 });
    expect(byId("item_1").action.detail).toEqual({ exit_code: 0, status: "completed" });
    expect(byId("item_2").action.detail).toEqual({ exit_code: 1, status: "failed" });
    expect(byId("item_5").action.detail["result_summary"]).toEqual({ content_blocks: 1, has_structured: true });
    expect(byId("item_6").action.detail["error_message"]).toBe("tool timeout");
    const done = evs.at(-1) as CompletedEvent;
    expect(done.usage).toEqual({ input_tokens: 1840, cached_input_tokens: 256, output_tokens: 732 });
    expect(done.resume).toEqual({ engine: "codex", value: CODEX_THREAD });
  });

  it("codex second turn (lines 21-23) alone: turn started, then turn.failed completes; the error line after it is dropped", async () => {
    const text = fixtureLines("takopi/codex_exec_json_all_formats.jsonl", 1, 1) + fixtureLines("takopi/codex_exec_json_all_formats.jsonl", 21, 23);
    const evs = await replay("codex", { text });
    expect(evs.map(brief)).toEqual([
      `started codex:${CODEX_THREAD} Codex`,
      `action started turn_0 turn "turn started" ok=null`,
      'completed ok=false answer="" error="Aborted: required dependency `npm` is missing; cannot continue."',
    ]);
  });

  it("codex_exec_json_phase_and_unknown: commentary note, final_answer preferred, collab/unknown items ignored", async () => {
    const evs = await replay("codex", { file: "takopi/codex_exec_json_phase_and_unknown.jsonl" });
    expect(evs.map(brief)).toEqual([
      `started codex:${CODEX_THREAD} Codex`,
      `action started turn_0 turn "turn started" ok=null`,
      `action completed item_1 note "Inspecting repository state." ok=true`,
      `completed ok=true answer="Implemented the requested changes." error=null`,
    ]);
    expect((evs[2] as ActionEvent).action.detail).toEqual({ phase: "commentary" });
    expect((evs[3] as CompletedEvent).usage).toEqual({ input_tokens: 10, cached_input_tokens: 0, output_tokens: 5 });
  });

  for (const file of ["current/codex-0.169.0.jsonl", "current/codex-0.169.0-resume.jsonl"]) {
    it(`${file}: reasoning note, command with wrapped shell, last agent message is the answer`, async () => {
      const evs = await replay("codex", { file });
      const turn = file.includes("resume") ? "done: second-turn-codex" : "done: hello-from-codex";
      expect(evs[0]).toMatchObject({ type: "started", resume: { engine: "codex", value: "01a1fd1e-ebf1-78c0-b895-e1e652dd4103" } });
      const cmd = evs.filter((e) => e.type === "action" && e.action.kind === "command") as ActionEvent[];
      expect(cmd.map((e) => e.phase)).toEqual(["started", "completed"]);
      expect(cmd[1]!.ok).toBe(true);
      expect(cmd[1]!.action.title).toMatch(/^\/bin\/bash -lc 'echo /);
      const done = evs.at(-1) as CompletedEvent;
      expect(done.answer.startsWith(turn.slice(0, 10))).toBe(true);
      expect(done.ok).toBe(true);
    });
  }

  it("codex resume fixture replayed as a resume of the same thread keeps the token", async () => {
    const token = { engine: "codex", value: "01a1fd1e-ebf1-78c0-b895-e1e652dd4103" };
    const evs = await replay("codex", { file: "current/codex-0.169.0-resume.jsonl" }, { resume: token });
    expect((evs.at(-1) as CompletedEvent).resume).toEqual(token);
    expect((evs[0] as StartedEvent).resume).toEqual(token);
  });
});

describe("claude fixtures", () => {
  it("claude_stream_json_session lines 1-7: 6 events with meta, previews and usage", async () => {
    const evs = await replay("claude", { text: fixtureLines("takopi/claude_stream_json_session.jsonl", 1, 7) });
    expect(evs.map(brief)).toEqual([
      "started claude:aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa claude-sonnet-4-5-20250929",
      `action started toolu_01BASH_LS_EXAMPLE command "ls" ok=null`,
      `action started toolu_02 file_change "notes.md" ok=null`,
      `action completed toolu_01BASH_LS_EXAMPLE command "ls" ok=true`,
      `action completed toolu_02 file_change "notes.md" ok=true`,
      `completed ok=true answer="I see README.md, pyproject.toml, and src/." error=null`,
    ]);
    expect(Object.keys((evs[0] as StartedEvent).meta!).sort()).toEqual(["apiKeySource", "cwd", "mcp_servers", "output_style", "permissionMode", "tools"]);
    expect((evs[2] as ActionEvent).action.detail["changes"]).toEqual([{ path: "notes.md", kind: "update" }]);
    const ls = evs[3] as ActionEvent;
    expect(ls.action.detail["result_len"]).toBe(30);
    expect(ls.action.detail["result_preview"]).toBe("README.md\npyproject.toml\nsrc/\n");
    expect((evs[4] as ActionEvent).action.detail["result_preview"]).toBe("ok");
    expect((evs[5] as CompletedEvent).usage).toMatchObject({ total_cost_usd: 0.012345, duration_ms: 2450, duration_api_ms: 2100, num_turns: 2 });
  });

  it("claude_stream_json_session lines 8-9: error result, permission denials produce no events", async () => {
    const evs = await replay("claude", { text: fixtureLines("takopi/claude_stream_json_session.jsonl", 8, 9) });
    expect(evs.map(brief)).toEqual([
      expect.stringMatching(/^started claude:bbbbbbbb-/),
      `completed ok=false answer="" error="claude run failed (error_during_execution)"`,
    ]);
    expect((evs[0] as StartedEvent).meta).toMatchObject({ apiKeySource: "none", mcp_servers: [] });
    expect((evs[1] as CompletedEvent).usage).toMatchObject({ total_cost_usd: 0.001, duration_ms: 1200, duration_api_ms: 800, num_turns: 1 });
  });

  it("claude whole fixture as one run ends after line 7", async () => {
    const evs = await replay("claude", { file: "takopi/claude_stream_json_session.jsonl" });
    expect(evs).toHaveLength(6);
    expect(evs.filter((e) => e.type === "started")).toHaveLength(1);
  });

  for (const file of ["current/claude-2.1.197.jsonl", "current/claude-2.1.197-resume.jsonl"]) {
    it(`${file}: per-block assistant lines, string tool_result content`, async () => {
      const evs = await replay("claude", { file });
      const init = JSON.parse(fixtureLines(file, 1, 1)) as { session_id: string; model: string };
      expect(evs[0]).toMatchObject({ type: "started", title: init.model, resume: { value: init.session_id } });
      const bash = evs.filter((e) => e.type === "action") as ActionEvent[];
      expect(bash.map((e) => [e.phase, e.action.kind, e.ok])).toEqual([["started", "command", null], ["completed", "command", true]]);
      expect(bash[1]!.action.detail["result_preview"]).toMatch(/^(hello-from-claude|second-turn)/);
      expect(evs.at(-1)).toMatchObject({ type: "completed", ok: true });
      expect((evs.at(-1) as CompletedEvent).answer).toMatch(/^done: /);
    });
  }

  it("claude API error of current CLIs (success subtype with is_error) fails with the result text", async () => {
    const init = fixtureLines("current/claude-2.1.197.jsonl", 1, 1);
    const sid = "552d5d7f-abeb-423c-a20e-4a53498c5288";
    const text = init +
      JSON.stringify({ type: "assistant", message: { role: "assistant", model: "<synthetic>", content: [{ type: "text", text: "API Error: 400 bad" }] }, error: "unknown", session_id: sid }) + "\n" +
      JSON.stringify({ type: "result", subtype: "success", is_error: true, api_error_status: 400, duration_ms: 3, duration_api_ms: 0, num_turns: 1, result: "API Error: 400 bad", session_id: sid }) + "\n";
    const evs = await replay("claude", { text }, { exit: 1 });
    expect(evs.at(-1)).toMatchObject({ type: "completed", ok: false, error: "API Error: 400 bad" });
  });

  it("an unknown content block is skipped without losing the tool use in the same line", async () => {
    const init = fixtureLines("current/claude-2.1.197.jsonl", 1, 1);
    const line = JSON.stringify({ type: "assistant", message: { role: "assistant", model: "m", content: [{ type: "redacted_thinking", data: "x" }, { type: "tool_use", id: "t1", name: "Read", input: { file_path: "a.txt" } }] } });
    const evs = await replay("claude", { text: init + line + "\n" });
    expect(evs.map(brief)).toContain('action started t1 tool "read: `a.txt`" ok=null');
  });
});

describe("opencode fixtures", () => {
  it("opencode_stream_success: 3 events, fenced answer", async () => {
    const evs = await replay("opencode", { file: "takopi/opencode_stream_success.jsonl" });
    expect(evs.map(brief)).toEqual([
      "started opencode:ses_494719016ffe85dkDMj0FPRbHK opencode",
      `action completed r9bQWsNLvOrJGIOz command "Print hello to stdout" ok=true`,
      'completed ok=true answer="```\\nhello\\n```" error=null',
    ]);
    expect((evs[1] as ActionEvent).action.detail).toMatchObject({ output_preview: "hello\n", exit_code: 0 });
  });

  it("opencode_stream_success_no_reason: stream-end success", async () => {
    const evs = await replay("opencode", { file: "takopi/opencode_stream_success_no_reason.jsonl" });
    expect(evs.map(brief)).toEqual(["started opencode:ses_no_reason opencode", 'completed ok=true answer="All done." error=null']);
  });

  it("opencode_stream_error: error from error.data.message", async () => {
    const evs = await replay("opencode", { file: "takopi/opencode_stream_error.jsonl" });
    expect(evs.map(brief)).toEqual(["started opencode:ses_error123 opencode", 'completed ok=false answer="" error="Rate limit exceeded"']);
  });

  it("opencode_run_json: exitCode is not exit, trailing error dropped", async () => {
    const evs = await replay("opencode", { file: "takopi/opencode_run_json.jsonl" });
    expect(evs.map(brief)).toEqual([
      "started opencode:ses_1f2e3d4c5b6aAbCdEfGhIjKlMn opencode",
      `action completed 01J3Z2K7S0XQ9Y8W7V6U5T4R3S command "Check ripgrep version" ok=true`,
      'completed ok=true answer="Found ripgrep 13.0.0." error=null',
    ]);
    expect((evs[1] as ActionEvent).action.detail["exit_code"]).toBeNull();
  });

  for (const file of ["current/opencode-1.18.33.jsonl", "current/opencode-1.18.33-resume.jsonl"]) {
    it(`${file}: answer is the final message's text, not the commentary of the tool step`, async () => {
      const evs = await replay("opencode", { file });
      expect(evs[0]).toMatchObject({ type: "started", resume: { value: "ses_e02e0e595ffekwQp2TsyuvllPO" } });
      const done = evs.at(-1) as CompletedEvent;
      expect(done.ok).toBe(true);
      expect(done.answer).toMatch(/^done: /);
      expect(evs.some((e) => e.type === "action" && e.action.kind === "command" && e.ok === true)).toBe(true);
    });
  }
});

describe("pi fixtures", () => {
  const given = { engine: "pi", value: "session.jsonl" };

  it("pi_stream_success with a given token: 6 events", async () => {
    const evs = await replay("pi", { file: "takopi/pi_stream_success.jsonl" }, { resume: given });
    expect(evs.map(brief)).toEqual([
      "started pi:session.jsonl pi",
      `action started tool_1 command "ls -la" ok=null`,
      `action completed tool_1 command "ls -la" ok=true`,
      `action started tool_2 file_change "notes.md" ok=null`,
      `action completed tool_2 file_change "notes.md" ok=true`,
      'completed ok=true answer="Done. Added notes.md." error=null',
    ]);
    expect((evs[3] as ActionEvent).action.detail["changes"]).toEqual([{ path: "notes.md", kind: "update" }]);
    expect((evs[2] as ActionEvent).action.detail).toMatchObject({ is_error: false });
    expect((evs[5] as CompletedEvent).usage).toMatchObject({ input: 12, output: 6 });
  });

  it("pi_stream_error: error from errorMessage, answer kept", async () => {
    const evs = await replay("pi", { file: "takopi/pi_stream_error.jsonl" }, { resume: given });
    expect(evs.map(brief)).toEqual(["started pi:session.jsonl pi", 'completed ok=false answer="Request failed." error="Upstream error"']);
    expect((evs[1] as CompletedEvent).usage).toMatchObject({ input: 5 });
  });

  it("pi_print_mode_events: completes at the first agent_end", async () => {
    const evs = await replay("pi", { file: "takopi/pi_print_mode_events.jsonl" }, { resume: given });
    expect(evs.map(brief)).toEqual([
      "started pi:session.jsonl pi",
      'action started toolu_01HXYZREAD tool "read: `README.md`" ok=null',
      'action completed toolu_01HXYZREAD tool "read: `README.md`" ok=true',
      'completed ok=true answer="Main CLI commands include `pi --mode <mode>` for output format and `pi --print` for non-interactive runs." error=null',
    ]);
    expect((evs[3] as CompletedEvent).usage).toMatchObject({ input: 680, output: 128 });
  });

  it("a new pi run without a session header keeps the invented session path as token", async () => {
    const evs = await replay("pi", { file: "takopi/pi_stream_success.jsonl" });
    expect((evs[0] as StartedEvent).resume.value).toMatch(/sessions\/--.+--\/\d{4}-\d\d-\d\dT[\d-]+Z_[0-9a-f]{32}\.jsonl$/);
  });

  it("current pi (v3 session header, UUIDv7): token is the full session id", async () => {
    const evs = await replay("pi", { file: "current/pi-0.73.1.jsonl" });
    expect(evs.map(brief)).toEqual([
      "started pi:01a1fd1f-623d-77cb-b634-3ab2b3bad3f8 pi",
      `action started call_90849b4325ff5d2e command "echo hello-from-pi > out.txt && cat out.txt" ok=null`,
      `action completed call_90849b4325ff5d2e command "echo hello-from-pi > out.txt && cat out.txt" ok=true`,
      'completed ok=true answer="done: hello-from-pi" error=null',
    ]);
  });

  it("current pi resume keeps the given id", async () => {
    const token = { engine: "pi", value: "01a1fd1f-623d-77cb-b634-3ab2b3bad3f8" };
    const evs = await replay("pi", { file: "current/pi-0.73.1-resume.jsonl" }, { resume: token });
    expect((evs.at(-1) as CompletedEvent).resume).toEqual(token);
    expect((evs.at(-1) as CompletedEvent).ok).toBe(true);
  });

  it("a UUIDv4 session header is promoted to its short id (takopi)", async () => {
    const text = JSON.stringify({ type: "session", id: "ccd569e0-4e1b-4c2d-9e3f-000000000000", version: 3 }) + "\n" + fixtureLines("takopi/pi_stream_success.jsonl");
    const evs = await replay("pi", { text });
    expect((evs[0] as StartedEvent).resume.value).toBe("ccd569e0");
  });

  it("a pi API error of current CLIs (stopReason error, exit 0) fails the run", async () => {
    const msg = { role: "assistant", content: [], stopReason: "error", errorMessage: "400 bad request" };
    const text = [{ type: "session", version: 3, id: "01a1fd1f-0000-7000-8000-000000000000" }, { type: "agent_start" }, { type: "message_end", message: msg }, { type: "turn_end" }, { type: "agent_end", messages: [msg] }].map((l) => JSON.stringify(l)).join("\n") + "\n";
    const evs = await replay("pi", { text });
    expect(evs.at(-1)).toMatchObject({ type: "completed", ok: false, error: "400 bad request" });
  });
});

