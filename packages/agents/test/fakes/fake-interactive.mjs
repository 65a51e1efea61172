#!/usr/bin/env node
// Fake *interactive* agent CLI for tests: `node fake-interactive.mjs <engine>` as a person would
// start `claude` / `codex` / `pi` in a terminal. It names its process after the engine (as the
// real CLIs do), writes one turn to the engine's session transcript where the real CLI keeps it
// (under $HOME, or CLAUDE_CONFIG_DIR / CODEX_HOME / PI_CODING_AGENT_DIR), prints a line, and
// stays until it reads "q" on stdin (or FAKE_LIFETIME_MS passes, default 60 s).
//   FAKE_PROMPT=<text>   the user's prompt in the transcript (default "fix the bug")
//   FAKE_DELAY_MS=<n>    wait before writing the transcript (default 300)
import { appendFileSync, mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";

const engine = process.argv[2] ?? "claude";
process.title = engine;
const env = process.env;
const home = env.HOME ?? "/tmp";
const cwd = process.cwd();
const prompt = env.FAKE_PROMPT ?? "fix the bug";
const id = randomUUID();
const now = new Date();
const pad = (n) => String(n).padStart(2, "0");

function transcriptPath() {
  if (engine === "claude") {
    const dir = join(env.CLAUDE_CONFIG_DIR || join(home, ".claude"), "projects", cwd.replace(/[^A-Za-z0-9]/g, "-"));
    return join(dir, `${id}.jsonl`);
  }
  if (engine === "codex") {
    const dir = join(env.CODEX_HOME || join(home, ".codex"), "sessions", String(now.getFullYear()), pad(now.getMonth() + 1), pad(now.getDate()));
    return join(dir, `rollout-${now.toISOString().slice(0, 19).replace(/:/g, "-")}-${id}.jsonl`);
  }
  const safe = cwd.replace(/^[/\\]+/, "").replace(/[/\\:]/g, "-");
  const dir = join(env.PI_CODING_AGENT_DIR || join(home, ".pi", "agent"), "sessions", `--${safe}--`);
  return join(dir, `${now.toISOString().replace(/[:.]/g, "-")}_${id}.jsonl`);
}

function lines() {
  const ts = new Date().toISOString();
  if (engine === "claude") {
    // As Claude Code 2.x writes it: one assistant entry per content block, written while the
    // message streams, so `stop_reason` is always null; the end of a turn is a
    // `system`/`turn_duration` entry.
    const base = { sessionId: id, cwd, version: "2.1.197", timestamp: ts, isSidechain: false, userType: "external" };
    const usage1 = { input_tokens: 10, output_tokens: 2 };
    return [
      { ...base, type: "user", uuid: "u1", parentUuid: null, message: { role: "user", content: prompt } },
      { ...base, type: "assistant", uuid: "a1", parentUuid: "u1", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-fake-4", content: [{ type: "text", text: "Looking at the files." }], stop_reason: null, stop_sequence: null, usage: usage1 } },
      { ...base, type: "assistant", uuid: "a1b", parentUuid: "a1", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-fake-4", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }], stop_reason: null, stop_sequence: null, usage: usage1 } },
      { ...base, type: "user", uuid: "u2", parentUuid: "a1b", message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt", is_error: false }] }, toolUseResult: { stdout: "a.txt", stderr: "", interrupted: false, isImage: false } },
      { ...base, type: "assistant", uuid: "a2", parentUuid: "u2", message: { id: "msg_2", type: "message", role: "assistant", model: "claude-fake-4", content: [{ type: "text", text: "fixed it" }], stop_reason: null, stop_sequence: null, usage: { input_tokens: 20, output_tokens: 5, cache_read_input_tokens: 3 } } },
      { ...base, type: "system", uuid: "s1", parentUuid: "a2", subtype: "turn_duration", durationMs: 1234, isMeta: false },
    ];
  }
  if (engine === "codex") {
    return [
      { timestamp: ts, type: "session_meta", payload: { id, cwd, cli_version: "0.169.0", originator: "codex_cli_rs" } },
      { timestamp: ts, type: "event_msg", payload: { type: "user_message", message: prompt } },
      { timestamp: ts, type: "response_item", payload: { type: "function_call", name: "shell", arguments: JSON.stringify({ command: ["bash", "-lc", "ls"] }), call_id: "call_1" } },
      { timestamp: ts, type: "response_item", payload: { type: "function_call_output", call_id: "call_1", output: JSON.stringify({ output: "a.txt\n", metadata: { exit_code: 0 } }) } },
      { timestamp: ts, type: "response_item", payload: { type: "message", role: "assistant", content: [{ type: "output_text", text: "fixed it" }] } },
      { timestamp: ts, type: "event_msg", payload: { type: "token_count", info: { total_token_usage: { input_tokens: 20, cached_input_tokens: 3, output_tokens: 5 } } } },
      { timestamp: ts, type: "event_msg", payload: { type: "task_complete", last_agent_message: "fixed it" } },
    ];
  }
  return [
    { type: "session", version: 3, id, timestamp: ts, cwd },
    { type: "message", id: "m1", timestamp: ts, message: { role: "user", content: [{ type: "text", text: prompt }] } },
    { type: "message", id: "m2", timestamp: ts, message: { role: "assistant", content: [{ type: "toolCall", id: "tc_1", name: "bash", arguments: { command: "ls" } }], stopReason: "toolUse", usage: { input: 10, output: 2 } } },
    { type: "message", id: "m3", timestamp: ts, message: { role: "toolResult", toolCallId: "tc_1", toolName: "bash", content: [{ type: "text", text: "a.txt" }], isError: false } },
    { type: "message", id: "m4", timestamp: ts, message: { role: "assistant", content: [{ type: "text", text: "fixed it" }], stopReason: "stop", usage: { input: 20, output: 5, cacheRead: 3, cost: { total: 0.01 } } } },
  ];
}

const path = transcriptPath();
setTimeout(() => {
  mkdirSync(join(path, ".."), { recursive: true });
  for (const l of lines()) appendFileSync(path, JSON.stringify(l) + "\n");
  process.stdout.write(`fake ${engine} session ${id} ready\n`);
}, Number(env.FAKE_DELAY_MS ?? 300));

const timer = setTimeout(() => process.exit(0), Number(env.FAKE_LIFETIME_MS ?? 60_000));
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  if (d.includes("q")) {
    clearTimeout(timer);
    process.exit(0);
  }
});
