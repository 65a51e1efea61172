/**
 * Transcripts of agents started by hand in a shared shell (platform spec §3.13 "Recommended
 * detection"): where each CLI keeps its session transcript, and adapters that turn transcript
 * lines into the engine's own JSONL stream events, which then go through the SAME translators as
 * chat-started runs (`JsonlSubprocessRunner.decodeLine` + `translate` of @taiku/agents).
 *
 * | agent  | transcript                                                                      |
 * |--------|---------------------------------------------------------------------------------|
 * | claude | `$CLAUDE_CONFIG_DIR` or `~/.claude` → `projects/<cwd, non-alphanumerics as ->/<session>.jsonl` |
 * | codex  | `$CODEX_HOME` or `~/.codex` → `sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl`     |
 * | pi     | `$PI_CODING_AGENT_DIR` or `~/.pi/agent` → `sessions/--<cwd>--/<ts>_<id>.jsonl`  |
 *
 * opencode keeps its sessions as JSON documents, not a transcript: it is detected (status only).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUILTIN_ENGINES, piSessionPath, type AgentEvent, type JsonlSubprocessRunner, type JsonlState } from "@taiku/agents";

export type TranscriptEngine = "claude" | "codex" | "pi";

/** What one transcript line means: engine stream events, a user prompt, the end of a turn. */
export interface AdaptedLine {
  stream: Record<string, unknown>[];
  user?: string;
  turnEnd?: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b) => obj(b))
    .filter((b) => b["type"] === "text" || b["type"] === "input_text" || b["type"] === "output_text")
    .map((b) => String(b["text"] ?? ""))
    .join("");
}

/**
 * Claude Code transcripts hold the same `assistant` / `user` messages as `stream-json`: one entry
 * per content block, written while the message streams, so `stop_reason` is null even on the last
 * one (see the 2.1.197 recordings). The end of a turn is a `system` entry with subtype
 * `turn_duration`; older versions' `stop_reason: "end_turn"` is honoured too.
 */
export class ClaudeTranscriptAdapter {
  private started = false;
  private lastText = "";
  private lastUsage: unknown = null;
  /** An assistant entry arrived since the last turn end. */
  private open = false;
  private result(sessionId: string): Json {
    this.open = false;
    return { type: "result", subtype: "success", duration_ms: 0, duration_api_ms: 0, is_error: false, num_turns: 1, session_id: sessionId, result: this.lastText, usage: this.lastUsage ?? null };
  }
  adapt(line: Json): AdaptedLine {
    const out: AdaptedLine = { stream: [] };
    const sessionId = str(line["sessionId"]) ?? str(line["session_id"]);
    const message = obj(line["message"]);
    if (!this.started && sessionId && (line["type"] === "user" || line["type"] === "assistant")) {
      this.started = true;
      out.stream.push({ type: "system", subtype: "init", session_id: sessionId, ...(str(message["model"]) ? { model: message["model"] } : {}), cwd: line["cwd"] ?? null });
    }
    if (line["type"] === "user") {
      const content = message["content"];
      const isToolResult = Array.isArray(content) && content.some((b) => obj(b)["type"] === "tool_result");
      if (!isToolResult && !line["isMeta"]) {
        out.user = textOf(content);
        this.lastText = ""; // a new turn: the previous answer is not this one's
      }
      out.stream.push({ type: "user", message: { role: "user", content: content ?? "" } });
    } else if (line["type"] === "assistant") {
      out.stream.push({ type: "assistant", message: { role: "assistant", content: message["content"] ?? [], model: str(message["model"]) ?? "claude" } });
      const text = textOf(message["content"]);
      if (text) this.lastText = text;
      if (message["usage"]) this.lastUsage = message["usage"];
      this.open = true;
      if (message["stop_reason"] === "end_turn" && sessionId) {
        out.stream.push(this.result(sessionId));
        out.turnEnd = true;
      }
    } else if (line["type"] === "system" && line["subtype"] === "turn_duration" && sessionId && this.open) {
      out.stream.push(this.result(sessionId));
      out.turnEnd = true;
    }
    return out;
  }
}

/** Codex rollout files (`response_item` / `event_msg`) → `codex exec --json` events. */
export class CodexTranscriptAdapter {
  private readonly commands = new Map<string, string>();
  private usage: Json | null = null;
  private seq = 0;
  adapt(line: Json): AdaptedLine {
    const out: AdaptedLine = { stream: [] };
    const p = obj(line["payload"]);
    if (line["type"] === "session_meta" && str(p["id"])) {
      out.stream.push({ type: "thread.started", thread_id: p["id"] });
    } else if (line["type"] === "event_msg") {
      if (p["type"] === "user_message") {
        out.user = String(p["message"] ?? "");
        out.stream.push({ type: "turn.started" });
      } else if (p["type"] === "token_count") {
        const u = obj(obj(p["info"])["total_token_usage"]);
        if (Object.keys(u).length) this.usage = u;
      } else if (p["type"] === "task_complete") {
        const u = this.usage ?? {};
        out.stream.push({ type: "turn.completed", usage: { input_tokens: Number(u["input_tokens"] ?? 0), cached_input_tokens: Number(u["cached_input_tokens"] ?? 0), output_tokens: Number(u["output_tokens"] ?? 0) } });
        out.turnEnd = true;
      }
    } else if (line["type"] === "response_item") {
      if (p["type"] === "function_call" || p["type"] === "custom_tool_call" || p["type"] === "local_shell_call") {
        const id = str(p["call_id"]) ?? `call_${++this.seq}`;
        let command = str(p["name"]) ?? "tool";
        try {
          const args = obj(JSON.parse(String(p["arguments"] ?? p["input"] ?? "{}")));
          const c = args["command"] ?? args["cmd"];
          // `["bash", "-lc", "<script>"]`: the script is what the person wants to see
          if (Array.isArray(c)) command = c.length === 3 && /(^|\/)(ba|z)?sh$/.test(String(c[0])) && /^-l?c$/.test(String(c[1])) ? String(c[2]) : c.map(String).join(" ");
          else if (typeof c === "string") command = c;
        } catch {
          // free-form tool input: keep the tool name
        }
        this.commands.set(id, command);
        out.stream.push({ type: "item.started", item: { id, type: "command_execution", command, aggregated_output: "", exit_code: null, status: "in_progress" } });
      } else if (p["type"] === "function_call_output" || p["type"] === "custom_tool_call_output") {
        const id = str(p["call_id"]) ?? "";
        const raw = p["output"];
        let output = typeof raw === "string" ? raw : JSON.stringify(raw ?? "");
        let exit: number | null = null;
        try {
          const o = obj(JSON.parse(output));
          if (typeof o["output"] === "string") output = o["output"];
          const code = obj(o["metadata"])["exit_code"];
          if (typeof code === "number") exit = code;
        } catch {
          // plain text output
        }
        out.stream.push({ type: "item.completed", item: { id, type: "command_execution", command: this.commands.get(id) ?? "tool", aggregated_output: output, exit_code: exit, status: exit !== null && exit !== 0 ? "failed" : "completed" } });
      } else if (p["type"] === "message" && p["role"] === "assistant") {
        const text = textOf(p["content"]);
        if (text) out.stream.push({ type: "item.completed", item: { id: `msg_${++this.seq}`, type: "agent_message", text } });
      }
    }
    return out;
  }
}

/** pi session files (`session`, `message`) → `pi --mode json` events. */
export class PiTranscriptAdapter {
  adapt(line: Json): AdaptedLine {
    const out: AdaptedLine = { stream: [] };
    if (line["type"] === "session") {
      out.stream.push({ type: "session", version: line["version"] ?? 3, id: line["id"], cwd: line["cwd"] ?? "" });
      return out;
    }
    if (line["type"] !== "message") return out;
    const m = obj(line["message"]);
    if (m["role"] === "user") {
      out.user = textOf(m["content"]);
    } else if (m["role"] === "assistant") {
      for (const b of Array.isArray(m["content"]) ? (m["content"] as unknown[]) : []) {
        const block = obj(b);
        if (block["type"] === "toolCall") out.stream.push({ type: "tool_execution_start", toolCallId: block["id"], toolName: block["name"], args: obj(block["arguments"]) });
      }
      out.stream.push({ type: "message_end", message: m });
      // pi's stop reasons: stop | length | toolUse | error | aborted; only toolUse continues the turn.
      if (typeof m["stopReason"] === "string" && m["stopReason"] !== "toolUse") {
        out.stream.push({ type: "agent_end", messages: [m] });
        out.turnEnd = true;
      }
    } else if (m["role"] === "toolResult") {
      out.stream.push({ type: "tool_execution_end", toolCallId: m["toolCallId"], toolName: m["toolName"], result: { content: m["content"] ?? [] }, isError: m["isError"] === true });
    }
    return out;
  }
}

/** Adapter + the engine's own translator: transcript lines in, normalised events out. */
export class TranscriptTranslator {
  private readonly runner: JsonlSubprocessRunner<JsonlState>;
  private readonly state: JsonlState;
  private readonly adapter: { adapt(line: Json): AdaptedLine };

  constructor(readonly engine: TranscriptEngine, cwd: string, transcriptPath: string) {
    const backend = BUILTIN_ENGINES.find((b) => b.id === engine)!;
    this.runner = backend.buildRunner({}, "") as unknown as JsonlSubprocessRunner<JsonlState>;
    this.state = this.runner.newState("", null, { cwd });
    if (engine === "pi") (this.state as unknown as { token: string }).token = transcriptPath; // promoted to the session id
    this.adapter = engine === "claude" ? new ClaudeTranscriptAdapter() : engine === "codex" ? new CodexTranscriptAdapter() : new PiTranscriptAdapter();
  }

  /** One raw transcript line. */
  line(raw: string): { events: AgentEvent[]; user?: string; turnEnd?: boolean } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { events: [] };
    }
    const adapted = this.adapter.adapt(obj(parsed));
    const events: AgentEvent[] = [];
    for (const ev of adapted.stream) {
      let decoded: unknown;
      try {
        decoded = this.runner.decodeLine(JSON.stringify(ev));
      } catch {
        continue; // shape the translator does not accept
      }
      if (decoded === null) continue;
      events.push(...this.runner.translate(decoded, this.state, null, null));
    }
    return { events, ...(adapted.user ? { user: adapted.user } : {}), ...(adapted.turnEnd ? { turnEnd: true } : {}) };
  }
}

/** The directory or files to watch for an agent process, from its environment and cwd. */
export function transcriptCandidates(engine: TranscriptEngine, cwd: string, env: Record<string, string>, now = new Date()): string[] {
  const home = env["HOME"] ?? "";
  const jsonl = (dir: string, prefix = ""): string[] => {
    try {
      return readdirSync(dir).filter((f) => f.endsWith(".jsonl") && f.startsWith(prefix)).map((f) => join(dir, f));
    } catch {
      return [];
    }
  };
  if (engine === "claude") {
    const base = env["CLAUDE_CONFIG_DIR"] || join(home, ".claude");
    return jsonl(join(base, "projects", cwd.replace(/[^A-Za-z0-9]/g, "-")));
  }
  if (engine === "codex") {
    const base = env["CODEX_HOME"] || join(home, ".codex");
    const out: string[] = [];
    for (const d of [now, new Date(now.getTime() - 86_400_000)]) {
      const day = join(base, "sessions", String(d.getFullYear()), String(d.getMonth() + 1).padStart(2, "0"), String(d.getDate()).padStart(2, "0"));
      out.push(...jsonl(day, "rollout-"));
    }
    return out;
  }
  const piEnv = { ...env, PI_CODING_AGENT_DIR: env["PI_CODING_AGENT_DIR"] || join(home, ".pi", "agent") };
  return jsonl(dirname(piSessionPath(cwd, piEnv, now)));
}

/** The newest candidate modified at or after `since` (ms), or null. */
export function newestTranscript(files: string[], since: number): string | null {
  let best: { path: string; mtime: number } | null = null;
  for (const path of files) {
    try {
      const mtime = statSync(path).mtimeMs;
      if (mtime >= since && (!best || mtime > best.mtime)) best = { path, mtime };
    } catch {
      // vanished
    }
  }
  return best && existsSync(best.path) ? best.path : null;
}
