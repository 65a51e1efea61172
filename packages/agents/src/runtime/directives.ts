/** Directives (`/engine`, `/project`, `@branch`) and ctx lines (spec §4.7, §7.8) [compat]. */
import { DirectiveError, type EngineId, type RunContext } from "../model.js";
import { splitLines } from "../resume.js";

export interface ParsedDirectives {
  prompt: string;
  engine: EngineId | null;
  project: string | null;
  branch: string | null;
}

/** Parses leading directive tokens of the first non-empty line. */
export function parseDirectives(text: string, opts: { engineIds: readonly string[]; projectAliases: readonly string[] }): ParsedDirectives {
  const lines = text.split("\n");
  const idx = lines.findIndex((l) => l.trim() !== "");
  const out: ParsedDirectives = { prompt: text.trim(), engine: null, project: null, branch: null };
  if (idx === -1) return out;
  const engines = new Set(opts.engineIds.map((e) => e.toLowerCase()));
  const projects = new Set(opts.projectAliases.map((p) => p.toLowerCase()));
  const tokens = lines[idx]!.trim().split(/\s+/);
  let consumed = 0;
  for (const tok of tokens) {
    if (tok.startsWith("/")) {
      const word = tok.slice(1).split("@")[0]!.toLowerCase();
      if (engines.has(word)) {
        if (out.engine) throw new DirectiveError("multiple engine directives");
        out.engine = word;
      } else if (projects.has(word)) {
        if (out.project) throw new DirectiveError("multiple project directives");
        out.project = word;
      } else break;
    } else if (tok.startsWith("@") && tok.length > 1) {
      if (out.branch) throw new DirectiveError("multiple @branch directives");
      out.branch = tok.slice(1);
    } else break;
    consumed++;
  }
  if (consumed === 0) return out;
  const rest = tokens.slice(consumed).join(" ");
  const newLines = [...lines.slice(0, idx), ...(rest ? [rest] : []), ...lines.slice(idx + 1)];
  out.prompt = newLines.join("\n").trim();
  return out;
}

export function formatContextLine(ctx: RunContext | null, alias?: string | null): string | null {
  if (!ctx?.project) return null;
  const name = alias ?? ctx.project;
  return ctx.branch ? `\`ctx: ${name} @${ctx.branch}\`` : `\`ctx: ${name}\``;
}

/** The last ctx line of a text, validated against known projects. */
export function parseContextLine(text: string | null | undefined, isProject: (key: string) => boolean): RunContext | null {
  if (!text) return null;
  let found: RunContext | null = null;
  for (const raw of splitLines(text)) {
    let line = raw.trim();
    line = line.replace(/^`+/, "").replace(/`+$/, "").trim();
    if (!/^ctx:/i.test(line)) continue;
    const tokens = line.slice(4).trim().split(/\s+/).filter(Boolean);
    if (!tokens.length) continue;
    const project = tokens[0]!.toLowerCase();
    let branch: string | null = null;
    if (tokens[1] === "@" && tokens[2]) branch = tokens[2];
    else if (tokens[1]?.startsWith("@") && tokens[1].length > 1) branch = tokens[1].slice(1);
    if (!isProject(project)) {
      throw new DirectiveError(`unknown project '${project}' in ctx line; start a new thread or add it back to your config`);
    }
    found = { project, branch };
  }
  return found;
}
