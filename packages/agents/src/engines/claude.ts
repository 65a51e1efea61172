/**
 * Claude Code engine: `claude -p --output-format stream-json --verbose`, prompt after `--`
 * (spec §3.2).
 */
import { EventFactory } from "../events.js";
import { JsonlSubprocessRunner, type EndContext, type JsonlState, type SubprocessOptions } from "../jsonl-runner.js";
import { resumeToken, type AgentEvent, type ResumeToken } from "../model.js";
import { which } from "../proc.js";
import { RegexResumeCodec } from "../resume.js";
import type { RunOptions } from "../runner.js";
import { defineEngineBackend, executableOf, optionalBool, optionalString, optionalStringList, type EngineConfig } from "./backend.js";
import { claudeEventSchema, claudeFastCheck } from "./claude-schema.js";
import { compact, decodeStrict, isRecord, nonEmptyString, type Json } from "./common.js";
import { toolAction } from "./tool-actions.js";

export const CLAUDE_INSTALL_CMD = "npm install -g @anthropic-ai/claude-code";
const DEFAULT_ALLOWED_TOOLS = ["Bash", "Read", "Edit", "Write"];
const PATH_KEYS = ["file_path", "path"] as const;
const META_KEYS = ["cwd", "tools", "permissionMode", "output_style", "apiKeySource", "mcp_servers"] as const;

export const claudeResumeCodec = new RegexResumeCodec({
  engine: "claude",
  command: "claude\\s+(?:--resume|-r)\\s+(?<token>[^`\\s]+)",
  format: (value) => `claude --resume ${value}`,
});

interface PendingAction {
  id: string;
  kind: string;
  title: string;
  detail: Json;
}

interface ClaudeState extends JsonlState {
  factory: EventFactory;
  pending: Map<string, PendingAction>;
  lastAssistantText: string | null;
  thinkingSeq: number;
  cwd: string | null;
}

export interface ClaudeRunnerOptions extends SubprocessOptions {
  executable?: string | null;
  model?: string | null;
  allowedTools?: string[] | null;
  dangerouslySkipPermissions?: boolean;
  useApiBilling?: boolean;
}

/** tool_result content as text: string as is, text parts joined by newlines, null → "". */
export function normalizeToolResult(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const item of content) {
      if (typeof item === "string" && item) parts.push(item);
      else if (isRecord(item) && typeof item["text"] === "string" && item["text"]) parts.push(item["text"]);
    }
    return parts.join("\n");
  }
  return "";
}

export class ClaudeRunner extends JsonlSubprocessRunner<ClaudeState> {
  private readonly opts: ClaudeRunnerOptions;

  constructor(opts: ClaudeRunnerOptions = {}) {
    super("claude", claudeResumeCodec, opts);
    this.opts = opts;
  }

  command(): string {
    // Absolute path from a PATH lookup so Windows `claude.cmd` shims resolve (spec §3.0).
    return this.opts.executable ?? which("claude") ?? "claude";
  }

  buildArgs(prompt: string, resume: ResumeToken | null, _state: ClaudeState, run: RunOptions): string[] {
    const args = ["-p", "--output-format", "stream-json", "--verbose"];
    if (resume) args.push("--resume", resume.value);
    const model = run.model ?? this.opts.model;
    if (model) args.push("--model", model);
    const tools = (this.opts.allowedTools === undefined || this.opts.allowedTools === null ? DEFAULT_ALLOWED_TOOLS : this.opts.allowedTools).filter((t) => t);
    if (tools.length) args.push("--allowedTools", tools.join(","));
    if (this.opts.dangerouslySkipPermissions === true) args.push("--dangerously-skip-permissions");
    args.push("--", prompt);
    return args;
  }

  override stdinPayload(): Buffer | null {
    return null;
  }

  override env(): NodeJS.ProcessEnv | null {
    if (this.opts.useApiBilling === true) return null;
    // Without API billing the subscription login is used; a stray key would bill the API.
    const env = { ...process.env };
    delete env["ANTHROPIC_API_KEY"];
    return env;
  }

  newState(_prompt: string, _resume: ResumeToken | null, run: RunOptions): ClaudeState {
    return { noteSeq: 0, factory: new EventFactory("claude"), pending: new Map(), lastAssistantText: null, thinkingSeq: 0, cwd: run.cwd ?? null };
  }

  override decodeLine(line: string): unknown {
    return decodeStrict(line, claudeEventSchema, claudeFastCheck);
  }

  override invalidJsonEvents(): AgentEvent[] {
    return [];
  }

  override decodeErrorEvents(): AgentEvent[] {
    return [];
  }

  translate(data: unknown, state: ClaudeState, _resume: ResumeToken | null, found: ResumeToken | null): AgentEvent[] {
    const ev = data as Json;
    const f = state.factory;
    switch (ev["type"]) {
      case "system": {
        const sid = nonEmptyString(ev["session_id"]);
        if (ev["subtype"] !== "init" || !sid) return [];
        const meta = compact(Object.fromEntries(META_KEYS.map((k) => [k, ev[k]])));
        const title = nonEmptyString(ev["model"]) ?? this.opts.model ?? "claude";
        return [f.started(resumeToken("claude", sid), { title, meta: Object.keys(meta).length ? meta : null })];
      }
      case "assistant":
        return this.assistantEvents(ev, state);
      case "user":
        return this.userEvents(ev, state);
      case "result": {
        const ok = ev["is_error"] !== true;
        const result = typeof ev["result"] === "string" ? ev["result"] : "";
        const answer = ok && !result ? (state.lastAssistantText ?? "") : result;
        const usageObj = compact({
          total_cost_usd: ev["total_cost_usd"],
          duration_ms: ev["duration_ms"],
          duration_api_ms: ev["duration_api_ms"],
          num_turns: ev["num_turns"],
          usage: ev["usage"],
        });
        const token = resumeToken("claude", ev["session_id"] as string);
        return [
          f.completed({
            ok,
            answer,
            resume: found ?? token,
            error: ok ? null : result || `claude run failed (${String(ev["subtype"])})`,
            usage: Object.keys(usageObj).length ? usageObj : null,
          }),
        ];
      }
      default:
        return []; // stream_event, control_*
    }
  }

  private assistantEvents(ev: Json, state: ClaudeState): AgentEvent[] {
    const f = state.factory;
    const out: AgentEvent[] = [];
    const parent = nonEmptyString(ev["parent_tool_use_id"]);
    for (const block of (ev["message"] as Json)["content"] as Json[]) {
      if (block["type"] === "tool_use") {
        const name = block["name"] as string;
        const input = block["input"] as Json;
        const ta = toolAction(name, input, { pathKeys: PATH_KEYS, cwd: state.cwd });
        const detail: Json = { name, input };
        if (parent) detail["parent_tool_use_id"] = parent;
        if (ta.changes) detail["changes"] = ta.changes;
        const action = { id: block["id"] as string, kind: ta.kind, title: ta.title, detail };
        state.pending.set(action.id, action);
        out.push(f.actionStarted({ actionId: action.id, kind: action.kind, title: action.title, detail }));
      } else if (block["type"] === "thinking" && block["thinking"]) {
        state.thinkingSeq++;
        const detail: Json = {};
        if (parent) detail["parent_tool_use_id"] = parent;
        if (block["signature"]) detail["signature"] = block["signature"];
        out.push(f.actionCompleted({ actionId: `claude.thinking.${state.thinkingSeq}`, kind: "note", title: block["thinking"] as string, detail, ok: true }));
      } else if (block["type"] === "text" && block["text"]) {
        state.lastAssistantText = block["text"] as string;
      }
    }
    return out;
  }

  private userEvents(ev: Json, state: ClaudeState): AgentEvent[] {
    const content = (ev["message"] as Json)["content"];
    if (!Array.isArray(content)) return [];
    const out: AgentEvent[] = [];
    for (const block of content as Json[]) {
      if (block["type"] !== "tool_result") continue;
      const toolUseId = block["tool_use_id"] as string;
      const action = state.pending.get(toolUseId) ?? { id: toolUseId, kind: "tool", title: "tool result", detail: {} };
      state.pending.delete(toolUseId);
      const preview = normalizeToolResult(block["content"]);
      const isError = block["is_error"] === true;
      out.push(
        state.factory.actionCompleted({
          actionId: action.id,
          kind: action.kind,
          title: action.title,
          detail: { ...action.detail, tool_use_id: toolUseId, result_preview: preview, result_len: preview.length, is_error: isError },
          ok: !isError,
        }),
      );
    }
    return out;
  }

  override streamEndEvents(ctx: EndContext<ClaudeState>): AgentEvent[] {
    const f = ctx.state.factory;
    if (!ctx.found) return [f.completedError({ error: "claude finished but no session_id was captured", resume: ctx.resume })];
    return [f.completedError({ error: "claude finished without a result event", answer: ctx.state.lastAssistantText ?? "", resume: ctx.found })];
  }
}

export function buildClaudeRunner(config: EngineConfig, opts: SubprocessOptions = {}): ClaudeRunner {
  return new ClaudeRunner({
    ...opts,
    executable: executableOf(config, "claude"),
    model: optionalString(config, "claude", "model"),
    allowedTools: "allowed_tools" in config ? (optionalStringList(config, "claude", "allowed_tools") ?? []) : null,
    dangerouslySkipPermissions: optionalBool(config, "claude", "dangerously_skip_permissions") === true,
    useApiBilling: optionalBool(config, "claude", "use_api_billing") === true,
  });
}

export const claudeBackend = defineEngineBackend({
  id: "claude",
  buildRunner: (config) => buildClaudeRunner(config),
  cliCmd: "claude",
  installCmd: CLAUDE_INSTALL_CMD,
});
