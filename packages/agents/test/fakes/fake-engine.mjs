#!/usr/bin/env node
// Fake engine CLI for tests: `node fake-engine.mjs <engine> <argv of the real CLI...>`.
// Environment:
//   FAKE_REPLAY=<file>      print this JSONL file and exit FAKE_EXIT (default 0)
//   FAKE_EXIT=<n>           exit code
//   FAKE_CHUNK=<n>          write the replay in n-byte chunks
//   FAKE_LOG=<file>         append {engine, argv, stdin, hasAnthropicKey, cwd} per invocation
//   FAKE_PID_FILE=<file>    write "<pid> <grandchild pid>" when the prompt asks to hang
//   FAKE_IGNORE_TERM=1      ignore SIGTERM while hanging (tests SIGKILL escalation)
//   FAKE_STDERR=<text>      print this to stderr
// Otherwise it emits a small engine-shaped session: the session id comes from the resume flag
// (or is new), the answer is `echo: <prompt>`. A prompt containing "hang" prints the session
// line, starts a grandchild and sleeps until killed.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";

const [engine, ...argv] = process.argv.slice(2);
const env = process.env;

function readStdin() {
  try { return readFileSync(0, "utf8"); } catch { return ""; }
}
const after = (flag) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };

let prompt = "";
let resume;
if (engine === "codex") {
  prompt = readStdin();
  const i = argv.indexOf("resume");
  resume = i >= 0 ? argv[i + 1] : undefined;
} else if (engine === "claude") {
  readStdin();
  prompt = argv[argv.indexOf("--") + 1] ?? "";
  resume = after("--resume");
} else if (engine === "opencode") {
  readStdin();
  prompt = argv[argv.indexOf("--") + 1] ?? "";
  resume = after("--session");
} else if (engine === "pi") {
  readStdin();
  prompt = argv[argv.length - 1] ?? "";
  const s = after("--session");
  resume = s && !s.endsWith(".jsonl") ? s : undefined;
}

if (env.FAKE_LOG) {
  appendFileSync(env.FAKE_LOG, JSON.stringify({ engine, argv, prompt, resume: resume ?? null, hasAnthropicKey: "ANTHROPIC_API_KEY" in env, noColor: env.NO_COLOR ?? null, cwd: process.cwd() }) + "\n");
}
if (env.FAKE_STDERR) process.stderr.write(env.FAKE_STDERR + "\n");

const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

if (env.FAKE_REPLAY) {
  const data = readFileSync(env.FAKE_REPLAY);
  const size = Number(env.FAKE_CHUNK ?? 0);
  if (size > 0) {
    // Small writes spread over event-loop turns so the reader sees lines split across chunks.
    let off = 0;
    const next = () => {
      if (off >= data.length) { process.exitCode = Number(env.FAKE_EXIT ?? 0); return; }
      process.stdout.write(data.subarray(off, off + size), () => setTimeout(next, 0));
      off += size;
    };
    next();
  } else {
    process.stdout.write(data);
    process.exitCode = Number(env.FAKE_EXIT ?? 0);
  }
} else {
  const id = resume ?? { codex: randomUUID(), claude: randomUUID(), opencode: "ses_" + randomUUID().replace(/-/g, "").slice(0, 20), pi: randomUUID() }[engine];
  const answer = `echo: ${prompt.trim()}`;
  const hang = prompt.includes("hang");
  const start = {
    codex: () => { out({ type: "thread.started", thread_id: id }); out({ type: "turn.started" }); },
    claude: () => out({ type: "system", subtype: "init", session_id: id, model: "fake-claude" }),
    opencode: () => out({ type: "step_start", sessionID: id, part: { type: "step-start" } }),
    pi: () => { out({ type: "session", version: 3, id, cwd: process.cwd() }); out({ type: "agent_start" }); },
  }[engine];
  const step = {
    codex: () => {
      out({ type: "item.started", item: { id: "item_1", type: "command_execution", command: "ls", aggregated_output: "", exit_code: null, status: "in_progress" } });
      out({ type: "item.completed", item: { id: "item_1", type: "command_execution", command: "ls", aggregated_output: "a\n", exit_code: 0, status: "completed" } });
    },
    claude: () => {
      out({ type: "assistant", message: { role: "assistant", model: "fake-claude", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }] } });
      out({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a", is_error: false }] } });
    },
    opencode: () => out({ type: "tool_use", sessionID: id, part: { type: "tool", callID: "call_1", tool: "bash", state: { status: "completed", input: { command: "ls" }, output: "a\n", metadata: { exit: 0 } } } }),
    pi: () => {
      out({ type: "tool_execution_start", toolCallId: "tc_1", toolName: "bash", args: { command: "ls" } });
      out({ type: "tool_execution_end", toolCallId: "tc_1", toolName: "bash", result: { content: [] }, isError: false });
    },
  }[engine];
  const finish = {
    codex: () => { out({ type: "item.completed", item: { id: "item_2", type: "agent_message", text: answer } }); out({ type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } }); },
    claude: () => out({ type: "result", subtype: "success", session_id: id, duration_ms: 1, duration_api_ms: 1, is_error: false, num_turns: 1, result: answer }),
    opencode: () => { out({ type: "text", sessionID: id, part: { type: "text", text: answer } }); out({ type: "step_finish", sessionID: id, part: { type: "step-finish", reason: "stop" } }); },
    pi: () => {
      const msg = { role: "assistant", content: [{ type: "text", text: answer }], stopReason: "stop", usage: { input: 1, output: 1 } };
      out({ type: "message_end", message: msg });
      out({ type: "agent_end", messages: [msg] });
    },
  }[engine];
  start();
  step();
  if (hang) {
    if (env.FAKE_IGNORE_TERM) process.on("SIGTERM", () => {});
    // A grandchild in the same process group: cancel must reach it too.
    const child = spawn(process.execPath, ["-e", env.FAKE_IGNORE_TERM ? "process.on('SIGTERM',()=>{});setInterval(()=>{},1000)" : "setInterval(()=>{},1000)"], { stdio: "ignore" });
    if (env.FAKE_PID_FILE) writeFileSync(env.FAKE_PID_FILE, `${process.pid} ${child.pid}`);
    setInterval(() => {}, 1000);
  } else if (env.FAKE_STEP_MS) {
    // A pause between the tool step and the answer, as a real agent has: progress edits get their turn.
    setTimeout(finish, Number(env.FAKE_STEP_MS));
  } else {
    finish();
  }
}
