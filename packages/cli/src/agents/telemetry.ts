/**
 * Agent telemetry for the workspace (platform spec §3.13, §8): normalised agent events from
 * @taiku/agents (started / action / completed) become `agent_status` and `agent.*` events, which
 * the CLI seals into `agent` frames for viewers (the Agent Monitor plugin shows them).
 *
 * One `AgentRunTelemetry` per agent instance: a chat-started run, or an agent a person started by
 * hand in a shell (then it lives as long as the process and sees many turns).
 */
import { randomUUID } from "node:crypto";
import type { AgentEvent } from "@taiku/agents";

export type AgentStatus = "running" | "thinking" | "waiting" | "tool_use" | "idle" | "done" | "stopped";

export interface AgentWireEvent {
  type: string;
  data: Record<string, unknown>;
  timestamp: number;
}

/** Where events go: the share session (sealed `agent` frames) or a test sink. */
export type AgentEventSink = (shellId: number, event: AgentWireEvent) => void;

export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
  cost: number;
}

const TOOL_KINDS = new Set(["command", "tool", "file_change", "web_search", "subagent"]);
const MAX_TEXT = 4000;

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);

/**
 * Token usage from any engine's `completed.usage` (codex `input_tokens`/`cached_input_tokens`,
 * claude `usage` + `total_cost_usd`, pi `input`/`output`/`cacheRead`/`cost.total`); null when
 * there is nothing to report.
 */
export function normalizeUsage(usage: Record<string, unknown> | null | undefined): TokenUsage | null {
  if (!usage) return null;
  const inner = obj(usage["usage"]);
  const src = Object.keys(inner).length ? { ...usage, ...inner } : usage;
  const input = num(src["input_tokens"]) || num(src["input"]);
  const output = num(src["output_tokens"]) || num(src["output"]);
  const cached = num(src["cached_input_tokens"]) || num(src["cache_read_input_tokens"]) || num(src["cacheRead"]) || num(src["cached"]);
  const costObj = obj(src["cost"]);
  const cost = num(usage["total_cost_usd"]) || num(src["total_cost_usd"]) || num(costObj["total"]) || num(src["cost"]);
  if (!input && !output && !cached && !cost) return null;
  return { input, output, cached, cost };
}

export class AgentRunTelemetry {
  readonly instanceId: string;
  sessionId: string | null = null;
  model: string | null = null;
  status: AgentStatus = "running";
  eventCount = 0;
  tokenUsage: TokenUsage | null = null;
  private readonly startedAt: number;
  private turnStartedAt: number;
  private finished = false;

  constructor(
    private readonly sink: AgentEventSink,
    readonly shellId: number,
    readonly agentType: string,
    private readonly now: () => number = Date.now,
    instanceId?: string,
  ) {
    this.instanceId = instanceId ?? randomUUID();
    this.startedAt = now();
    this.turnStartedAt = this.startedAt;
  }

  private emit(type: string, data: Record<string, unknown>): void {
    this.eventCount++;
    this.sink(this.shellId, { type, data: { shellId: this.shellId, instanceId: this.instanceId, ...data }, timestamp: this.now() });
  }

  private agentSessionId(): string {
    return this.sessionId ?? this.instanceId;
  }

  /** Sends `agent_status` with the current state. */
  setStatus(status: AgentStatus): void {
    this.status = status;
    const data: Record<string, unknown> = { agentType: this.agentType, status, eventCount: this.eventCount + 1 };
    if (this.sessionId) data["sessionId"] = this.sessionId;
    if (this.model) data["model"] = this.model;
    if (this.tokenUsage) data["tokenUsage"] = this.tokenUsage;
    this.emit("agent_status", data);
  }

  userMessage(text: string): void {
    this.turnStartedAt = this.now();
    this.emit("agent.user_message", { agentSessionId: this.agentSessionId(), agent: this.agentType, text: clip(text) });
  }

  /** One normalised event from a runner or a transcript translator. */
  event(ev: AgentEvent): void {
    if (this.finished) return;
    switch (ev.type) {
      case "started": {
        this.sessionId = ev.resume.value;
        const metaModel = ev.meta && typeof ev.meta["model"] === "string" ? (ev.meta["model"] as string) : null;
        this.model = metaModel ?? (ev.title && ev.title !== ev.engine ? ev.title : this.model);
        this.emit("agent.session_start", { model: this.model ?? "", version: ev.meta && typeof ev.meta["version"] === "string" ? ev.meta["version"] : "" });
        this.setStatus("running");
        return;
      }
      case "action": {
        const a = ev.action;
        if (a.kind === "note" && ev.phase !== "completed") {
          this.emit("agent.thinking", { text: clip(a.title) });
          if (this.status !== "thinking") this.setStatus("thinking");
          return;
        }
        if (!TOOL_KINDS.has(a.kind)) return;
        if (ev.phase === "started" || (ev.phase === "completed" && !this.seenTool(a.id))) {
          this.markTool(a.id);
          this.emit("agent.tool_call", { tool_name: clip(a.title), kind: a.kind });
          if (this.status !== "tool_use") this.setStatus("tool_use");
        }
        if (ev.phase === "completed") {
          const detail = obj(a.detail);
          const output = typeof detail["output"] === "string" ? detail["output"] : typeof detail["result_preview"] === "string" ? detail["result_preview"] : (ev.message ?? "");
          this.emit("agent.tool_result", { is_error: ev.ok === false, output: clip(output) });
          if (a.kind === "file_change") {
            const changes = Array.isArray(detail["changes"]) ? (detail["changes"] as unknown[]) : [];
            if (changes.length === 0) this.emit("agent.file_change", { action: "edit", path: a.title });
            for (const c of changes) {
              const co = obj(c);
              this.emit("agent.file_change", { action: fileAction(co["kind"]), path: typeof co["path"] === "string" ? co["path"] : a.title });
            }
          }
          this.setStatus("thinking");
        }
        return;
      }
      case "completed": {
        if (ev.resume) this.sessionId = ev.resume.value;
        if (ev.answer) this.emit("agent.assistant_message", { agentSessionId: this.agentSessionId(), agent: this.agentType, text: clip(ev.answer) });
        const usage = normalizeUsage(ev.usage);
        if (usage) {
          this.tokenUsage = usage;
          this.emit("agent.token_usage", { ...usage });
        }
        this.emit("agent.turn_complete", { duration_ms: this.now() - this.turnStartedAt });
        return;
      }
    }
  }

  private readonly tools = new Set<string>();
  private seenTool(id: string): boolean {
    return this.tools.has(id);
  }
  private markTool(id: string): void {
    this.tools.add(id);
  }

  /** End of a turn of a long-lived (hand-started) agent: it now waits for its user. */
  turnEnded(): void {
    if (!this.finished) this.setStatus("idle");
  }

  /** The run or the process ended. `done` after a completed answer, else `stopped`. */
  finish(status: "done" | "stopped"): void {
    if (this.finished) return;
    if (status === "stopped") this.emit("agent.interrupt", {});
    this.emit("agent.session_end", { duration_ms: this.now() - this.startedAt });
    this.setStatus(status);
    this.finished = true;
  }
}

function fileAction(kind: unknown): string {
  if (kind === "add" || kind === "create") return "create";
  if (kind === "delete" || kind === "remove") return "delete";
  return "edit";
}
