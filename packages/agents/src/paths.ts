/** Path display helpers (spec §3.0 "Path display"): show paths relative to the run directory. */
import { sep } from "node:path";

function separators(): string[] {
  return sep === "/" ? ["/"] : ["/", sep];
}

export function relativizePath(value: string, base: string | null | undefined): string {
  const root = base ?? process.cwd();
  if (!root || !value) return value;
  if (value === root) return ".";
  for (const s of separators()) {
    const prefix = root.endsWith(s) ? root : root + s;
    if (value.startsWith(prefix)) return value.slice(prefix.length) || ".";
  }
  return value; // never strip sibling prefixes like /srv/app2 under /srv/app
}

export function relativizeCommand(command: string, base: string | null | undefined): string {
  const root = base ?? process.cwd();
  if (!root) return command;
  let out = command;
  for (const s of separators()) {
    const prefix = root.endsWith(s) ? root : root + s;
    out = out.split(prefix).join("");
  }
  return out;
}
