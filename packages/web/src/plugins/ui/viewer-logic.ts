/** Pure helpers of the built-in file viewer and agent overlay (tested in Node). */
import type { PluginAgentStatus } from "@taiku/protocol";
import type { AgentEventRecord } from "../agents.js";

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp|ico|svg)$/i;

/** How the viewer shows a path: by its extension (the server serves those types from it too). */
export function fileKind(path: string): "text" | "image" | "pdf" {
  if (IMAGE.test(path)) return "image";
  return /\.pdf$/i.test(path) ? "pdf" : "text";
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The line-number column for a text (one number per line; a final newline adds no line). */
export function numberLines(text: string): { count: number; numbers: string } {
  let count = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10 && i < text.length - 1) count++;
  return { count, numbers: Array.from({ length: count }, (_, i) => i + 1).join("\n") };
}

/** The filesystem routes' texts (§11.3.5), said in words for a person. */
export function fileProblem(message: string, path: string): string {
  if (/no such file/i.test(message)) return `${path}: no such file in the session directory.`;
  if (/write auth required/i.test(message)) return "Reading files needs a writer link: this link can only watch (write auth required).";
  if (/CLI not connected/i.test(message)) return "The host's taiku is offline: files are read from its machine. Try again when it is back.";
  if (/CLI did not respond/i.test(message)) return "The host's taiku did not answer in time. Try again.";
  if (/--no-fs|disabled/i.test(message)) return "The host runs taiku with --no-fs: its files are not shared.";
  // The server's answer to any refusal by the CLI (§11.3.5), --no-fs included: the CLI's reason is not passed on.
  if (/CLI returned an error/i.test(message)) return `The host's taiku refused to read ${path}: it may run with --no-fs (its files are not shared), or the file cannot be read.`;
  if (/too large/i.test(message)) return `${path} is too large to open here.`;
  if (/too many file reads/i.test(message)) return "Too many files are being read at once. Try again in a moment.";
  return `Cannot open ${path}: ${message}`;
}

export interface AgentSummary {
  agentType: string | null;
  status: string | null;
  model: string | null;
  tokens: { input: number; output: number; cached: number; cost: number } | null;
  /** Newest first: turns, tool calls, file changes, messages. */
  timeline: Array<{ kind: string; text: string; timestamp: number; error?: boolean }>;
  files: Array<{ action: string; path: string }>;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** What the agent overlay shows, from the latest `agent_status` and the recent `agent.*` events. */
export function summariseAgent(status: PluginAgentStatus | undefined, events: readonly AgentEventRecord[]): AgentSummary {
  let model = status?.model ?? null;
  let tokens = status?.tokenUsage ?? null;
  const timeline: AgentSummary["timeline"] = [];
  const files = new Map<string, string>();
  for (const e of events) {
    const d = e.data;
    const at = e.timestamp;
    switch (e.type) {
      case "agent.session_start":
        model ??= str(d.model) || null;
        timeline.push({ kind: "start", text: `Session started${d.model ? ` · ${str(d.model)}` : ""}`, timestamp: at });
        break;
      case "agent.token_usage":
        if (!status?.tokenUsage) tokens = { input: Number(d.input) || 0, output: Number(d.output) || 0, cached: Number(d.cached) || 0, cost: Number(d.cost) || 0 };
        break;
      case "agent.user_message":
        timeline.push({ kind: "user", text: clip(str(d.text)), timestamp: at });
        break;
      case "agent.assistant_message":
        timeline.push({ kind: "assistant", text: clip(str(d.text)), timestamp: at });
        break;
      case "agent.tool_call":
        timeline.push({ kind: "tool", text: str(d.tool_name) || "tool", timestamp: at });
        break;
      case "agent.tool_result":
        timeline.push({ kind: "result", text: clip(str(d.output)) || "(no output)", timestamp: at, ...(d.is_error === true ? { error: true } : {}) });
        break;
      case "agent.file_change":
        files.set(str(d.path), str(d.action));
        timeline.push({ kind: "file", text: `${str(d.action)} ${str(d.path)}`, timestamp: at });
        break;
      case "agent.turn_complete":
        timeline.push({ kind: "turn", text: `Turn complete${typeof d.duration_ms === "number" ? ` in ${(d.duration_ms / 1000).toFixed(1)} s` : ""}`, timestamp: at });
        break;
      case "agent.interrupt":
        timeline.push({ kind: "interrupt", text: `Interrupted${d.tool_name ? ` (${str(d.tool_name)})` : ""}`, timestamp: at });
        break;
      case "agent.session_end":
        timeline.push({ kind: "end", text: "Session ended", timestamp: at });
        break;
    }
  }
  return {
    agentType: status?.agentType ?? null,
    status: status?.status ?? null,
    model,
    tokens,
    timeline: timeline.reverse(),
    files: [...files].filter(([p]) => p).map(([path, action]) => ({ path, action })),
  };
}
