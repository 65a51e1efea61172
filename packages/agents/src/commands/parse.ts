/** Command-line parsing for chat commands (spec §8.1). */

export interface ParsedCommand {
  command: string;
  argsText: string;
  args: string[];
}

/** POSIX-shell-like split; null on unbalanced quotes. */
export function shellSplit(s: string): string[] | null {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) return null;
  if (has || cur) out.push(cur);
  return out;
}

/** `/id[@bot] args…` → command id (lowercased, bot suffix stripped) and its arguments. */
export function parseCommand(text: string): ParsedCommand | null {
  const lines = text.split("\n");
  const first = lines[0]!.trim();
  const m = /^\/([^\s@]+)(?:@\S+)?(?:\s+(.*))?$/.exec(first);
  if (!m) return null;
  const rest = [m[2] ?? "", ...lines.slice(1)].join("\n").trim();
  return { command: m[1]!.toLowerCase(), argsText: rest, args: shellSplit(rest) ?? rest.split(/\s+/).filter(Boolean) };
}
