/** Markdown formatting of progress and final messages (spec §6.3) [compat]. */
import { relativizePath } from "../paths.js";
import type { ActionState, ProgressState } from "./progress.js";

export const HARD_BREAK = "  \n";
export const MAX_PROGRESS_ACTIONS = 5;
export const MAX_TITLE_CHARS = 300;

export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** textwrap.shorten with placeholder `…`; text within the width is returned unchanged. */
export function shorten(text: string, width = MAX_TITLE_CHARS): string {
  if (text.length <= width) return text;
  let out = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const cand = out ? `${out} ${word}` : word;
    if (cand.length + 1 > width) break;
    out = cand;
  }
  return `${out}…`;
}

function exitCodeOf(a: ActionState): number | null {
  const c = a.action.detail["exit_code"];
  return typeof c === "number" && Number.isInteger(c) && c !== 0 ? c : null;
}

function statusSymbol(a: ActionState): string {
  if (!a.completed) return a.displayPhase === "updated" ? "↻" : "▸";
  if (a.ok === true) return "✓";
  if (a.ok === false) return "✗";
  return exitCodeOf(a) !== null ? "✗" : "✓";
}

function fileChangeTitle(a: ActionState, cwd: string | null | undefined): string {
  const changes = a.action.detail["changes"];
  if (Array.isArray(changes) && changes.length) {
    const parts = changes
      .filter((c): c is Record<string, unknown> => typeof c === "object" && c !== null && typeof (c as Record<string, unknown>)["path"] === "string" && (c as Record<string, unknown>)["path"] !== "")
      .map((c) => `${typeof c["kind"] === "string" ? c["kind"] : "update"} \`${relativizePath(c["path"] as string, cwd)}\``);
    if (parts.length) {
      const shown = parts.length > 3 ? [...parts.slice(0, 3), `…(${parts.length - 3} more)`] : parts;
      return `files: ${shorten(shown.join(", "))}`;
    }
  }
  const rel = relativizePath(a.action.title, cwd);
  const wrap = rel !== a.action.title || /[/\\]/.test(a.action.title);
  return `files: ${shorten(wrap ? `\`${rel}\`` : rel)}`;
}

export function formatActionLine(a: ActionState, cwd?: string | null): string {
  const title = shorten(a.action.title);
  let text: string;
  switch (a.action.kind) {
    case "command": text = `\`${title}\``; break;
    case "tool": text = `tool: ${title}`; break;
    case "web_search": text = `searched: ${title}`; break;
    case "subagent": text = `subagent: ${title}`; break;
    case "file_change": text = fileChangeTitle(a, cwd); break;
    default: text = title;
  }
  const code = a.completed ? exitCodeOf(a) : null;
  return `${statusSymbol(a)} ${text}${code !== null ? ` (exit ${code})` : ""}`;
}

export interface MessageParts {
  header: string;
  body: string;
  footer: string;
}

export function formatHeader(state: ProgressState, label: string, elapsedS: number): string {
  const parts = [label, state.engine, formatElapsed(elapsedS)];
  if (state.actionCount > 0) parts.push(`step ${state.actionCount}`);
  return parts.join(" · ");
}

export function formatFooter(state: ProgressState): string {
  return [state.contextLine, state.resumeLine].filter((x): x is string => !!x).join(HARD_BREAK);
}

export function progressParts(state: ProgressState, opts: { elapsedS: number; label?: string }): MessageParts {
  const body = state.actions.slice(-MAX_PROGRESS_ACTIONS).map((a) => formatActionLine(a, state.cwd)).join(HARD_BREAK);
  return { header: formatHeader(state, opts.label ?? "working", opts.elapsedS), body, footer: formatFooter(state) };
}

export function finalParts(state: ProgressState, opts: { elapsedS: number; status: string; answer: string }): MessageParts {
  return { header: formatHeader(state, opts.status, opts.elapsedS), body: opts.answer.trim(), footer: formatFooter(state) };
}

export function assemble(parts: MessageParts): string {
  return [parts.header, parts.body, parts.footer].filter((p) => p).join("\n\n");
}
