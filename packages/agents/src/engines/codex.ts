/**
 * Codex engine: `codex exec --json`, prompt on stdin (spec §3.1).
 */
import { EventFactory } from "../events.js";
import { JsonlSubprocessRunner, type EndContext, type JsonlState, type SubprocessOptions } from "../jsonl-runner.js";
import { ConfigError, resumeToken, type AgentEvent, type ResumeToken } from "../model.js";
import { relativizeCommand, relativizePath } from "../paths.js";
import { RegexResumeCodec } from "../resume.js";
import type { RunOptions } from "../runner.js";
import { defineEngineBackend, executableOf, optionalString, optionalStringList, type EngineConfig } from "./backend.js";
import { codexEventSchema, codexFastCheck } from "./codex-schema.js";
import { decodeStrict, type Json } from "./common.js";

export const CODEX_INSTALL_CMD = "npm install -g @openai/codex";
const DEFAULT_EXTRA_ARGS = ["-c", "notify=[]"];
const EXEC_ONLY_FLAGS = new Set(["--skip-git-repo-check", "--json", "--output-schema", "--output-last-message", "--color", "-o"]);
const EXEC_ONLY_PREFIXES = ["--output-schema=", "--output-last-message=", "--color="];
const RECONNECT = /^Reconnecting\.{3}\s*(\d+)\/(\d+)\s*$/i;

export const codexResumeCodec = new RegexResumeCodec({
  engine: "codex",
  command: "codex\\s+resume\\s+(?<token>[^`\\s]+)",
  format: (value) => `codex resume ${value}`,
});

/** An exec-only flag that taiku manages itself, or null. */
export function findExecOnlyFlag(args: readonly string[]): string | null {
  for (const a of args) {
    if (EXEC_ONLY_FLAGS.has(a) || EXEC_ONLY_PREFIXES.some((p) => a.startsWith(p))) return a;
  }
  return null;
}

interface AgentMessage {
  text: string;
  phase: string | null;
}

interface CodexState extends JsonlState {
  factory: EventFactory;
  turnIndex: number;
  finalAnswer: string | null;
  turnAgentMessages: AgentMessage[];
  cwd: string | null;
}

export interface CodexRunnerOptions extends SubprocessOptions {
  executable?: string | null;
  extraArgs?: string[];
  /** Started title: the profile name when one is configured. */
  title?: string;
}

export function todoTitle(items: ReadonlyArray<{ text: string; completed: boolean }>): { title: string; done: number; total: number } {
  const total = items.length;
  const done = items.filter((i) => i.completed).length;
  if (total === 0) return { title: "todo", done, total };
  const next = items.find((i) => !i.completed);
  return { title: next ? `todo ${done}/${total}: ${next.text}` : `todo ${done}/${total}: done`, done, total };
}

/** The answer of a turn: last `final_answer`, else last phase-less message, else unchanged. */
export function selectFinalAnswer(messages: readonly AgentMessage[], current: string | null): string | null {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.phase === "final_answer") return messages[i]!.text;
  for (let i = messages.length - 1; i >= 0; i--) if (!messages[i]!.phase) return messages[i]!.text;
  return current;
}

export class CodexRunner extends JsonlSubprocessRunner<CodexState> {
  private readonly executable: string;
  private readonly extraArgs: string[];
  private readonly title: string;

  constructor(opts: CodexRunnerOptions = {}) {
    super("codex", codexResumeCodec, opts);
    this.executable = opts.executable ?? "codex";
    this.extraArgs = opts.extraArgs ?? [...DEFAULT_EXTRA_ARGS];
    this.title = opts.title ?? "Codex";
  }

  command(): string {
    return this.executable;
  }

  buildArgs(_prompt: string, resume: ResumeToken | null, _state: CodexState, opts: RunOptions): string[] {
    const args = [...this.extraArgs];
    if (opts.model) args.push("--model", opts.model);
    if (opts.reasoning) args.push("-c", `model_reasoning_effort=${opts.reasoning}`);
    args.push("exec", "--json", "--skip-git-repo-check", "--color=never");
    if (resume) args.push("resume", resume.value);
    args.push("-");
    return args;
  }

  newState(_prompt: string, _resume: ResumeToken | null, opts: RunOptions): CodexState {
    return { noteSeq: 0, factory: new EventFactory("codex"), turnIndex: 0, finalAnswer: null, turnAgentMessages: [], cwd: opts.cwd ?? null };
  }

  override decodeLine(line: string): unknown {
    return decodeStrict(line, codexEventSchema, codexFastCheck);
  }

  override decodeErrorEvents(): AgentEvent[] {
    return []; // logged only (§5.1)
  }

  translate(data: unknown, state: CodexState, resume: ResumeToken | null, found: ResumeToken | null): AgentEvent[] {
    const ev = data as Json;
    const f = state.factory;
    switch (ev["type"]) {
      case "thread.started":
        return [f.started(resumeToken("codex", ev["thread_id"] as string), { title: this.title })];
      case "turn.started": {
        const id = `turn_${state.turnIndex++}`;
        state.finalAnswer = null;
        state.turnAgentMessages = [];
        return [f.actionStarted({ actionId: id, kind: "turn", title: "turn started" })];
      }
      case "turn.completed":
        return [f.completedOk({ answer: state.finalAnswer ?? "", resume: found ?? resume, usage: ev["usage"] as Json })];
      case "turn.failed":
        return [f.completedError({ error: (ev["error"] as Json)["message"] as string, answer: state.finalAnswer ?? "", resume: found ?? resume })];
      case "error": {
        const message = ev["message"] as string;
        const m = RECONNECT.exec(message);
        if (m) {
          const attempt = Number(m[1]);
          return [f.action({ phase: attempt <= 1 ? "started" : "updated", actionId: "codex.reconnect", kind: "note", title: message, detail: { attempt, max: Number(m[2]) }, level: "info" })];
        }
        return [this.noteEvent(state, message)]; // not terminal (§11.1 row 2)
      }
      case "item.started":
      case "item.updated":
      case "item.completed":
        return this.translateItem(ev["type"].slice("item.".length) as "started" | "updated" | "completed", ev["item"] as Json, state);
      default:
        return [];
    }
  }

  private translateItem(phase: "started" | "updated" | "completed", item: Json, state: CodexState): AgentEvent[] {
    const f = state.factory;
    const id = item["id"] as string;
    const done = phase === "completed";
    switch (item["type"]) {
      case "agent_message": {
        const text = item["text"] as string;
        const msgPhase = typeof item["phase"] === "string" ? item["phase"] : null;
        if (done) {
          state.turnAgentMessages.push({ text, phase: msgPhase });
          state.finalAnswer = selectFinalAnswer(state.turnAgentMessages, state.finalAnswer);
        }
        if (msgPhase !== "commentary") return [];
        return [f.action({ phase, actionId: id, kind: "note", title: text, detail: { phase: "commentary" }, ok: done ? true : null })];
      }
      case "command_execution": {
        const title = relativizeCommand(item["command"] as string, state.cwd);
        if (!done) return [f.action({ phase, actionId: id, kind: "command", title })];
        const exitCode = item["exit_code"] as number | null;
        const status = item["status"] as string;
        const ok = status === "completed" && (exitCode === null || exitCode === 0);
        return [f.actionCompleted({ actionId: id, kind: "command", title, detail: { exit_code: exitCode, status }, ok })];
      }
      case "mcp_tool_call": {
        const server = item["server"] as string;
        const tool = item["tool"] as string;
        const title = [server, tool].filter((p) => p).join(".") || "tool";
        const status = item["status"] as string;
        const detail: Json = { server, tool, status, arguments: item["arguments"] ?? null };
        if (!done) return [f.action({ phase, actionId: id, kind: "tool", title, detail })];
        const error = item["error"] as Json | null;
        const result = item["result"] as Json | null;
        if (error) detail["error_message"] = error["message"];
        if (result) {
          detail["result_summary"] = {
            content_blocks: Array.isArray(result["content"]) ? result["content"].length : 0,
            has_structured: result["structured_content"] !== null && result["structured_content"] !== undefined,
          };
        }
        return [f.actionCompleted({ actionId: id, kind: "tool", title, detail, ok: status === "completed" && !error })];
      }
      case "web_search": {
        const query = item["query"] as string;
        return [f.action({ phase, actionId: id, kind: "web_search", title: query, detail: { query }, ok: done ? true : null })];
      }
      case "file_change": {
        if (!done) return [];
        const changes = (item["changes"] as Json[]).map((c) => ({ path: c["path"] as string, kind: c["kind"] as string }));
        const paths = changes.map((c) => c.path).filter((p) => p).map((p) => relativizePath(p, state.cwd));
        const title = paths.length ? paths.join(", ") : changes.length ? `${changes.length} files` : "files";
        const status = item["status"] as string;
        return [f.actionCompleted({ actionId: id, kind: "file_change", title, detail: { changes, status, error: null }, ok: status === "completed" })];
      }
      case "todo_list": {
        const { title, done: d, total } = todoTitle(item["items"] as Array<{ text: string; completed: boolean }>);
        return [f.action({ phase, actionId: id, kind: "note", title, detail: { done: d, total }, ok: done ? true : null })];
      }
      case "reasoning":
        return [f.action({ phase, actionId: id, kind: "note", title: item["text"] as string, ok: done ? true : null })];
      case "error": {
        if (!done) return [];
        const message = item["message"] as string;
        return [f.actionCompleted({ actionId: id, kind: "warning", title: message, detail: { message }, ok: false, message, level: "warning" })];
      }
      default:
        return []; // collab_tool_call and unknown items never break the stream
    }
  }

  override processErrorEvents(rc: number, ctx: EndContext<CodexState>): AgentEvent[] {
    const message = `codex exec failed (rc=${rc}).`;
    return [
      this.noteEvent(ctx.state, message),
      ctx.state.factory.completedError({ error: message, answer: ctx.state.finalAnswer ?? "", resume: ctx.found ?? ctx.resume }),
    ];
  }

  override streamEndEvents(ctx: EndContext<CodexState>): AgentEvent[] {
    const answer = ctx.state.finalAnswer ?? "";
    if (ctx.found) return [ctx.state.factory.completedOk({ answer, resume: ctx.found })];
    return [ctx.state.factory.completedError({ error: "codex exec finished but no session_id/thread_id was captured", answer, resume: ctx.resume })];
  }
}

export function buildCodexRunner(config: EngineConfig, opts: SubprocessOptions = {}): CodexRunner {
  const extra = optionalStringList(config, "codex", "extra_args") ?? [...DEFAULT_EXTRA_ARGS];
  const bad = findExecOnlyFlag(extra);
  if (bad) throw new ConfigError(`[codex].extra_args: exec-only flag ${bad} is managed by taiku`);
  const profile = optionalString(config, "codex", "profile");
  if (profile) extra.push("--profile", profile);
  return new CodexRunner({ ...opts, executable: executableOf(config, "codex"), extraArgs: extra, title: profile ?? "Codex" });
}

export const codexBackend = defineEngineBackend({
  id: "codex",
  buildRunner: (config) => buildCodexRunner(config),
  cliCmd: "codex",
  installCmd: CODEX_INSTALL_CMD,
});
