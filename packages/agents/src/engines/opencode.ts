/**
 * OpenCode engine: `opencode run --format json`, prompt after `--` (spec §3.3).
 */
import { z } from "zod";
import { EventFactory } from "../events.js";
import { JsonlSubprocessRunner, type EndContext, type JsonlState, type SubprocessOptions } from "../jsonl-runner.js";
import { resumeToken, type AgentEvent, type ResumeToken } from "../model.js";
import { relativizePath } from "../paths.js";
import { RegexResumeCodec } from "../resume.js";
import type { RunOptions } from "../runner.js";
import { defineEngineBackend, executableOf, optionalString, type EngineConfig } from "./backend.js";
import { decodeStrict, isInteger, isRecord, nonEmptyString, type Json } from "./common.js";
import { firstPath, toolAction } from "./tool-actions.js";

export const OPENCODE_INSTALL_CMD = "npm install -g opencode-ai@latest";
const PATH_KEYS = ["file_path", "filePath"] as const;

export const opencodeResumeCodec = new RegexResumeCodec({
  engine: "opencode",
  command: "opencode(?:\\s+run)?\\s+(?:--session|-s)\\s+(?<token>ses_[A-Za-z0-9]+)",
  format: (value) => `opencode --session ${value}`,
});

const common = { timestamp: z.number().int().nullish(), sessionID: z.string().nullish() };
const part = z.record(z.string(), z.unknown()).nullish();
export const opencodeEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("step_start"), ...common, part }),
  z.object({ type: z.literal("step_finish"), ...common, part }),
  z.object({ type: z.literal("tool_use"), ...common, part }),
  z.object({ type: z.literal("text"), ...common, part }),
  z.object({ type: z.literal("error"), ...common, error: z.unknown().optional(), message: z.unknown().optional() }),
]);

const OPENCODE_PART_EVENTS = new Set(["step_start", "step_finish", "tool_use", "text"]);

/**
 * Hot-path pre-check for `decodeStrict` (common.ts): `true` only for lines `opencodeEventSchema`
 * certainly accepts; anything else (`false`) goes through zod.
 */
export function opencodeFastCheck(data: unknown): boolean {
  if (!isRecord(data) || !OPENCODE_PART_EVENTS.has(data["type"] as string)) return false;
  const ts = data["timestamp"];
  const sid = data["sessionID"];
  const part = data["part"];
  return (
    (ts === undefined || ts === null || Number.isSafeInteger(ts)) &&
    (sid === undefined || sid === null || typeof sid === "string") &&
    (part === undefined || part === null || isRecord(part))
  );
}

interface OpencodeState extends JsonlState {
  factory: EventFactory;
  sessionId: string | null;
  emittedStarted: boolean;
  lastText: string | null;
  /** Message whose text parts make up lastText. */
  textMessageId: string | null;
  sawStepFinish: boolean;
  cwd: string | null;
}

export interface OpencodeRunnerOptions extends SubprocessOptions {
  executable?: string | null;
  model?: string | null;
}

/** Error text of an `error` line (spec §3.3). */
export function opencodeErrorMessage(raw: unknown): string {
  if (raw === null || raw === undefined) return "opencode error";
  if (isRecord(raw)) {
    const data = raw["data"];
    if (isRecord(data) && data["message"]) return String(data["message"]);
    const m = raw["message"] ?? raw["name"];
    return m === null || m === undefined ? "opencode error" : String(m);
  }
  return String(raw);
}

export class OpencodeRunner extends JsonlSubprocessRunner<OpencodeState> {
  private readonly opts: OpencodeRunnerOptions;

  constructor(opts: OpencodeRunnerOptions = {}) {
    super("opencode", opencodeResumeCodec, opts);
    this.opts = opts;
  }

  command(): string {
    return this.opts.executable ?? "opencode";
  }

  buildArgs(prompt: string, resume: ResumeToken | null, _state: OpencodeState, run: RunOptions): string[] {
    const args = ["run", "--format", "json"];
    if (resume) args.push("--session", resume.value);
    const model = run.model ?? this.opts.model;
    if (model) args.push("--model", model);
    args.push("--", prompt);
    return args;
  }

  override stdinPayload(): Buffer | null {
    return null;
  }

  newState(_prompt: string, _resume: ResumeToken | null, run: RunOptions): OpencodeState {
    return { noteSeq: 0, factory: new EventFactory("opencode"), sessionId: null, emittedStarted: false, lastText: null, textMessageId: null, sawStepFinish: false, cwd: run.cwd ?? null };
  }

  override decodeLine(line: string): unknown {
    return decodeStrict(line, opencodeEventSchema, opencodeFastCheck);
  }

  override decodeErrorEvents(): AgentEvent[] {
    return [];
  }

  private token(state: OpencodeState): ResumeToken | null {
    return state.sessionId ? resumeToken("opencode", state.sessionId) : null;
  }

  translate(data: unknown, state: OpencodeState, resume: ResumeToken | null, found: ResumeToken | null): AgentEvent[] {
    const ev = data as Json;
    const f = state.factory;
    state.sessionId ??= nonEmptyString(ev["sessionID"]);
    const p = isRecord(ev["part"]) ? ev["part"] : {};
    switch (ev["type"]) {
      case "step_start": {
        const token = this.token(state);
        if (state.emittedStarted || !token) return [];
        state.emittedStarted = true;
        return [f.started(token, { title: this.opts.model ?? "opencode" })];
      }
      case "tool_use":
        return this.toolEvents(p, state);
      case "text": {
        if (typeof p["text"] !== "string" || !p["text"]) return [];
        // Parts of one message concatenate (takopi). A later message starts a new answer, so the
        // commentary of a tool-calling step does not prefix the final text ([deviation]; current
        // opencode emits both as separate messages).
        const mid = nonEmptyString(p["messageID"]);
        if (mid && state.textMessageId && mid !== state.textMessageId) state.lastText = null;
        if (mid) state.textMessageId = mid;
        state.lastText = (state.lastText ?? "") + p["text"];
        return [];
      }
      case "step_finish":
        state.sawStepFinish = true;
        if (p["reason"] !== "stop") return [];
        return [f.completedOk({ answer: state.lastText ?? "", resume: found ?? this.token(state) ?? resume })];
      case "error":
        return [f.completedError({ answer: state.lastText ?? "", resume: found ?? this.token(state) ?? resume, error: opencodeErrorMessage(ev["message"] ?? ev["error"]) })];
      default:
        return [];
    }
  }

  private toolEvents(p: Json, state: OpencodeState): AgentEvent[] {
    const id = nonEmptyString(p["callID"]) ?? nonEmptyString(p["id"]);
    if (!id) return [];
    const tool = typeof p["tool"] === "string" ? p["tool"] : "tool";
    const st = isRecord(p["state"]) ? p["state"] : {};
    const input = isRecord(st["input"]) ? st["input"] : {};
    const ta = toolAction(tool, input, { pathKeys: PATH_KEYS, cwd: state.cwd, taskKind: "tool" });
    let title = ta.title;
    const stateTitle = nonEmptyString(st["title"]);
    if (stateTitle) {
      const raw = firstPath(input, PATH_KEYS);
      const isPath = raw !== null && (stateTitle === raw || stateTitle === relativizePath(raw, state.cwd));
      title = isPath && !stateTitle.includes("`") ? `\`${stateTitle}\`` : stateTitle;
    }
    const detail: Json = { name: tool, input, callID: id };
    if (ta.changes) detail["changes"] = ta.changes;
    const f = state.factory;
    const metadata = isRecord(st["metadata"]) ? st["metadata"] : {};
    const exitCode = metadata["exit"] ?? null;
    if (st["status"] === "completed") {
      if (st["output"] !== null && st["output"] !== undefined) detail["output_preview"] = String(st["output"]).slice(0, 500);
      detail["exit_code"] = exitCode;
      const ok = !(isInteger(exitCode) && exitCode !== 0);
      return [f.actionCompleted({ actionId: id, kind: ta.kind, title, detail, ok })];
    }
    if (st["status"] === "error") {
      const error = st["error"];
      if (error !== null && error !== undefined) detail["error"] = error;
      detail["exit_code"] = exitCode;
      return [f.actionCompleted({ actionId: id, kind: ta.kind, title, detail, ok: false, message: String(error) })];
    }
    return [f.actionStarted({ actionId: id, kind: ta.kind, title, detail })];
  }

  override processErrorEvents(rc: number, ctx: EndContext<OpencodeState>): AgentEvent[] {
    const message = `opencode failed (rc=${rc}).`;
    return [
      this.noteEvent(ctx.state, message),
      ctx.state.factory.completedError({ error: message, answer: ctx.state.lastText ?? "", resume: ctx.found ?? ctx.resume }),
    ];
  }

  override streamEndEvents(ctx: EndContext<OpencodeState>): AgentEvent[] {
    const f = ctx.state.factory;
    if (!ctx.found) return [f.completedError({ error: "opencode finished but no session_id was captured", resume: ctx.resume })];
    if (ctx.state.sawStepFinish) return [f.completedOk({ answer: ctx.state.lastText ?? "", resume: ctx.found })];
    return [f.completedError({ error: "opencode finished without a result event", answer: ctx.state.lastText ?? "", resume: ctx.found })];
  }
}

export function buildOpencodeRunner(config: EngineConfig, opts: SubprocessOptions = {}): OpencodeRunner {
  return new OpencodeRunner({ ...opts, executable: executableOf(config, "opencode"), model: optionalString(config, "opencode", "model") });
}

export const opencodeBackend = defineEngineBackend({
  id: "opencode",
  buildRunner: (config) => buildOpencodeRunner(config),
  cliCmd: "opencode",
  installCmd: OPENCODE_INSTALL_CMD,
});
