/**
 * Pi engine: `pi --print --mode json`, prompt as the last argument (spec §3.4).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { EventFactory } from "../events.js";
import { JsonlSubprocessRunner, type EndContext, type JsonlState, type SubprocessOptions } from "../jsonl-runner.js";
import { resumeToken, type AgentEvent, type ResumeToken } from "../model.js";
import { RegexResumeCodec } from "../resume.js";
import type { RunOptions } from "../runner.js";
import { defineEngineBackend, executableOf, optionalString, optionalStringList, type EngineConfig } from "./backend.js";
import { decodeStrict, isRecord, nonEmptyString, type Json } from "./common.js";
import { toolAction } from "./tool-actions.js";

export const PI_INSTALL_CMD = "npm install -g @mariozechner/pi-coding-agent";

/** Quotes a value that would not survive the resume-line regex unquoted. */
function formatPiValue(value: string): string {
  const quoted = /[\s"]/.test(value) || /^(['"]).*\1$/s.test(value);
  return quoted ? `"${value.replace(/"/g, '\\"')}"` : value;
}

function normalizePiToken(raw: string): string {
  const t = raw.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) {
    const inner = t.slice(1, -1);
    return t[0] === '"' ? inner.replace(/\\"/g, '"') : inner;
  }
  return t;
}

export const piResumeCodec = new RegexResumeCodec({
  engine: "pi",
  command: "pi\\s+--session\\s+(?<token>.+?)",
  format: (value) => `pi --session ${formatPiValue(value)}`,
  normalize: normalizePiToken,
});

const obj = z.record(z.string(), z.unknown());
export const piEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("session"), id: z.string().nullish(), version: z.number().int().nullish() }),
  z.object({ type: z.literal("agent_start") }),
  z.object({ type: z.literal("agent_end"), messages: z.array(obj) }),
  z.object({ type: z.literal("message_start"), message: obj.nullish() }),
  z.object({ type: z.literal("message_update"), message: obj.nullish() }),
  z.object({ type: z.literal("message_end"), message: obj }),
  z.object({ type: z.literal("turn_start") }),
  z.object({ type: z.literal("turn_end") }),
  z.object({ type: z.literal("tool_execution_start"), toolCallId: z.string(), toolName: z.string().nullish(), args: obj.nullish() }),
  z.object({ type: z.literal("tool_execution_update") }),
  z.object({ type: z.literal("tool_execution_end"), toolCallId: z.string(), toolName: z.string().nullish(), isError: z.boolean().nullish() }),
  z.object({ type: z.literal("auto_compaction_start") }),
  z.object({ type: z.literal("auto_compaction_end") }),
  z.object({ type: z.literal("auto_retry_start") }),
  z.object({ type: z.literal("auto_retry_end") }),
]);

const PI_BARE_EVENTS = new Set([
  "agent_start", "turn_start", "turn_end", "tool_execution_update",
  "auto_compaction_start", "auto_compaction_end", "auto_retry_start", "auto_retry_end",
]);

/**
 * Hot-path pre-check for `decodeStrict` (common.ts): `true` only for lines `piEventSchema`
 * certainly accepts; anything else (`false`) goes through zod.
 */
export function piFastCheck(data: unknown): boolean {
  if (!isRecord(data)) return false;
  const type = data["type"];
  switch (type) {
    case "message_start":
    case "message_update": {
      const m = data["message"];
      return m === undefined || m === null || isRecord(m);
    }
    case "message_end":
      return isRecord(data["message"]);
    case "tool_execution_start": {
      const name = data["toolName"];
      const args = data["args"];
      return typeof data["toolCallId"] === "string" && (name === undefined || name === null || typeof name === "string") && (args === undefined || args === null || isRecord(args));
    }
    case "tool_execution_end": {
      const name = data["toolName"];
      const err = data["isError"];
      return typeof data["toolCallId"] === "string" && (name === undefined || name === null || typeof name === "string") && (err === undefined || err === null || typeof err === "boolean");
    }
    default:
      return PI_BARE_EVENTS.has(type as string);
  }
}

interface PendingAction {
  kind: string;
  title: string;
  detail: Json;
}

interface PiState extends JsonlState {
  factory: EventFactory;
  token: string;
  allowIdPromotion: boolean;
  started: boolean;
  pending: Map<string, PendingAction>;
  lastAssistantText: string | null;
  lastAssistantError: string | null;
  lastUsage: Json | null;
  cwd: string;
}

export interface PiRunnerOptions extends SubprocessOptions {
  executable?: string | null;
  model?: string | null;
  provider?: string | null;
  extraArgs?: string[];
  /** Injectable for tests; defaults to the process environment. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** `<agent dir>/sessions/--<cwd>--/<ts>_<uuid>.jsonl` (spec §3.4). */
export function piSessionPath(cwd: string, env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): string {
  const dirEnv = env["PI_CODING_AGENT_DIR"];
  const agentDir = dirEnv ? dirEnv.replace(/^~(?=$|[/\\])/, homedir()) : join(homedir(), ".pi", "agent");
  const safeCwd = cwd.replace(/^[/\\]+/, "").replace(/[/\\:]/g, "-");
  const ts = now.toISOString().replace(/[:.]/g, "-");
  return join(agentDir, "sessions", `--${safeCwd}--`, `${ts}_${randomBytes(16).toString("hex")}.jsonl`);
}

function looksLikePath(token: string): boolean {
  return token.endsWith(".jsonl") || token.includes("/") || token.includes("\\") || token.startsWith("~");
}

/**
 * Short session id for the resume line. takopi keeps the part before the first `-`; current pi
 * writes UUIDv7 ids whose first 8 hex digits are a timestamp shared by every session started in
 * the same ~65 s, so for v7 ids the full id is kept [deviation].
 */
export function piShortId(id: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/i.test(id)) return id;
  const dash = id.indexOf("-");
  return dash > 0 ? id.slice(0, dash) : id.slice(0, 8);
}

function assistantSummary(message: Json): { text: string | null; error: string | null; usage: Json | null } {
  const content = Array.isArray(message["content"]) ? (message["content"] as unknown[]) : [];
  const text = content
    .filter((b): b is Json => isRecord(b) && b["type"] === "text" && typeof b["text"] === "string" && b["text"] !== "")
    .map((b) => b["text"] as string)
    .join("")
    .trim();
  const stop = message["stopReason"];
  const error = stop === "error" || stop === "aborted" ? nonEmptyString(message["errorMessage"]) ?? `pi run ${stop}` : null;
  return { text: text || null, error, usage: isRecord(message["usage"]) ? message["usage"] : null };
}

export class PiRunner extends JsonlSubprocessRunner<PiState> {
  private readonly opts: PiRunnerOptions;

  constructor(opts: PiRunnerOptions = {}) {
    super("pi", piResumeCodec, opts);
    this.opts = opts;
  }

  command(): string {
    return this.opts.executable ?? "pi";
  }

  newState(_prompt: string, resume: ResumeToken | null, run: RunOptions): PiState {
    const cwd = run.cwd ?? process.cwd();
    return {
      noteSeq: 0,
      factory: new EventFactory("pi"),
      token: resume?.value ?? "",
      allowIdPromotion: resume === null,
      started: false,
      pending: new Map(),
      lastAssistantText: null,
      lastAssistantError: null,
      lastUsage: null,
      cwd,
    };
  }

  override startRun(_prompt: string, resume: ResumeToken | null, state: PiState): void {
    if (resume) return;
    state.token = piSessionPath(state.cwd, this.opts.env ?? process.env, this.opts.now?.() ?? new Date());
    mkdirSync(join(state.token, ".."), { recursive: true });
  }

  buildArgs(prompt: string, _resume: ResumeToken | null, state: PiState, run: RunOptions): string[] {
    const args = [...(this.opts.extraArgs ?? []), "--print", "--mode", "json"];
    if (this.opts.provider) args.push("--provider", this.opts.provider);
    const model = run.model ?? this.opts.model;
    if (model) args.push("--model", model);
    // pi has no `--` separator: a leading space keeps a prompt like "-x" from being a flag.
    args.push("--session", state.token, prompt.startsWith("-") ? ` ${prompt}` : prompt);
    return args;
  }

  override stdinPayload(): Buffer | null {
    return null;
  }

  override env(): NodeJS.ProcessEnv | null {
    const env = { ...(this.opts.env ?? process.env) };
    env["NO_COLOR"] ??= "1";
    env["CI"] ??= "1";
    return env;
  }

  override decodeLine(line: string): unknown {
    return decodeStrict(line, piEventSchema, piFastCheck);
  }

  override decodeErrorEvents(): AgentEvent[] {
    return [];
  }

  private startedEvent(state: PiState): AgentEvent {
    state.started = true;
    const meta: Json = { cwd: state.cwd };
    if (this.opts.model) meta["model"] = this.opts.model;
    if (this.opts.provider) meta["provider"] = this.opts.provider;
    return state.factory.started(resumeToken("pi", state.token), { title: "pi", meta });
  }

  translate(data: unknown, state: PiState): AgentEvent[] {
    const ev = data as Json;
    const f = state.factory;
    const out: AgentEvent[] = [];
    if (ev["type"] === "session") {
      const id = nonEmptyString(ev["id"]);
      if (!state.started && state.allowIdPromotion && id && looksLikePath(state.token)) state.token = piShortId(id);
      if (!state.started) out.push(this.startedEvent(state));
      return out;
    }
    if (!state.started) out.push(this.startedEvent(state));
    switch (ev["type"]) {
      case "tool_execution_start": {
        const id = ev["toolCallId"] as string;
        if (!id) break;
        const name = nonEmptyString(ev["toolName"]) ?? "tool";
        const args = isRecord(ev["args"]) ? ev["args"] : {};
        const ta = toolAction(name, args, { pathKeys: ["path"], cwd: state.cwd });
        const detail: Json = { tool_name: name, args };
        if (ta.changes) detail["changes"] = ta.changes;
        state.pending.set(id, { kind: ta.kind, title: ta.title, detail });
        out.push(f.actionStarted({ actionId: id, kind: ta.kind, title: ta.title, detail }));
        break;
      }
      case "tool_execution_end": {
        const id = ev["toolCallId"] as string;
        if (!id) break;
        const name = nonEmptyString(ev["toolName"]) ?? "tool";
        const action = state.pending.get(id) ?? { kind: "tool", title: name, detail: {} };
        state.pending.delete(id);
        const isError = ev["isError"] === true;
        out.push(f.actionCompleted({ actionId: id, kind: action.kind, title: action.title, detail: { ...action.detail, result: ev["result"] ?? null, is_error: isError }, ok: !isError }));
        break;
      }
      case "message_end": {
        const message = ev["message"] as Json;
        if (message["role"] === "assistant") this.remember(state, message);
        break;
      }
      case "agent_end": {
        const messages = ev["messages"] as Json[];
        const last = [...messages].reverse().find((m) => m["role"] === "assistant");
        if (last) this.remember(state, last);
        out.push(f.completed({ ok: state.lastAssistantError === null, answer: state.lastAssistantText ?? "", resume: resumeToken("pi", state.token), error: state.lastAssistantError, usage: state.lastUsage }));
        break;
      }
      default:
        break;
    }
    return out;
  }

  private remember(state: PiState, message: Json): void {
    const s = assistantSummary(message);
    if (s.text) state.lastAssistantText = s.text;
    if (s.usage) state.lastUsage = s.usage;
    if (s.error) state.lastAssistantError = s.error;
  }

  private endToken(ctx: EndContext<PiState>): ResumeToken {
    return ctx.found ?? ctx.resume ?? resumeToken("pi", ctx.state.token);
  }

  override processErrorEvents(rc: number, ctx: EndContext<PiState>): AgentEvent[] {
    const message = `pi failed (rc=${rc}).`;
    const s = ctx.state;
    return [this.noteEvent(s, message), s.factory.completed({ ok: false, error: message, answer: s.lastAssistantText ?? "", usage: s.lastUsage, resume: this.endToken(ctx) })];
  }

  override streamEndEvents(ctx: EndContext<PiState>): AgentEvent[] {
    const s = ctx.state;
    return [s.factory.completed({ ok: false, error: "pi finished without an agent_end event", answer: s.lastAssistantText ?? "", usage: s.lastUsage, resume: this.endToken(ctx) })];
  }
}

export function buildPiRunner(config: EngineConfig, opts: SubprocessOptions & { env?: NodeJS.ProcessEnv } = {}): PiRunner {
  return new PiRunner({
    ...opts,
    executable: executableOf(config, "pi"),
    model: optionalString(config, "pi", "model"),
    provider: optionalString(config, "pi", "provider"),
    extraArgs: optionalStringList(config, "pi", "extra_args") ?? [],
  });
}

export const piBackend = defineEngineBackend({
  id: "pi",
  buildRunner: (config) => buildPiRunner(config),
  cliCmd: "pi",
  installCmd: PI_INSTALL_CMD,
});
