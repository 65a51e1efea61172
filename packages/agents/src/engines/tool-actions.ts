/**
 * Tool name → action kind and title, shared by claude, opencode and pi (spec §3.0.1).
 */
import type { ActionKind } from "../model.js";
import { relativizeCommand, relativizePath } from "../paths.js";
import type { Json } from "./common.js";

export interface ToolAction {
  kind: ActionKind;
  title: string;
  /** For file changes: `[{path, kind: "update"}]` when a path is known. */
  changes?: Array<{ path: string; kind: string }>;
}

export function firstPath(input: Json, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = input[k];
    if (typeof v === "string" && v !== "") return v;
  }
  return null;
}

export function toolAction(
  toolName: string,
  input: Json,
  opts: { pathKeys: readonly string[]; cwd?: string | null; taskKind?: ActionKind },
): ToolAction {
  const name = toolName.toLowerCase();
  const path = firstPath(input, opts.pathKeys);
  const rel = path ? relativizePath(path, opts.cwd) : null;
  const str = (k: string) => (typeof input[k] === "string" && input[k] !== "" ? (input[k] as string) : null);
  switch (name) {
    case "bash":
    case "shell":
    case "killshell":
      return { kind: "command", title: relativizeCommand(str("command") ?? toolName, opts.cwd) };
    case "edit":
    case "write":
    case "notebookedit":
    case "multiedit":
      return path ? { kind: "file_change", title: rel!, changes: [{ path, kind: "update" }] } : { kind: "file_change", title: toolName };
    case "read":
      return { kind: "tool", title: rel ? `read: \`${rel}\`` : "read" };
    case "glob":
      return { kind: "tool", title: str("pattern") ? `glob: \`${str("pattern")}\`` : "glob" };
    case "grep":
      return { kind: "tool", title: str("pattern") ? `grep: ${str("pattern")}` : "grep" };
    case "find":
      return { kind: "tool", title: str("pattern") ? `find: ${str("pattern")}` : "find" };
    case "ls":
      return { kind: "tool", title: rel ? `ls: \`${rel}\`` : "ls" };
    case "websearch":
    case "web_search":
      return { kind: "web_search", title: str("query") ?? "search" };
    case "webfetch":
    case "web_fetch":
      return { kind: "web_search", title: str("url") ?? "fetch" };
    case "todowrite":
      return { kind: "note", title: "update todos" };
    case "todoread":
      return { kind: "note", title: "read todos" };
    case "askuserquestion":
      return { kind: "note", title: "ask user" };
    case "task":
    case "agent":
      return { kind: opts.taskKind ?? "subagent", title: str("description") ?? str("prompt") ?? toolName };
    default:
      return { kind: "tool", title: toolName };
  }
}
