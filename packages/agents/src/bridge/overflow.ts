/** Long bodies (spec §6.6): trim to 3500 characters, or split into fenced-code-safe chunks. */
export const MAX_BODY_CHARS = 3500;

/** Counts code points; never cuts inside a surrogate pair. */
export function trimBody(body: string, limit = MAX_BODY_CHARS): string {
  if (!body.trim()) return "";
  const points = Array.from(body);
  if (points.length <= limit) return body;
  return points.slice(0, limit - 1).join("") + "…";
}

const FENCE = /^([ \t]*)(`{3,}|~{3,})(.*)$/;

function hardSplit(line: string, limit: number): string[] {
  const points = Array.from(line);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += limit) out.push(points.slice(i, i + limit).join(""));
  return out;
}

const len = (s: string) => Array.from(s).length;

/** Blocks at runs of ≥2 newlines (separator kept with the preceding block), then lines. */
function pieces(body: string, limit: number): string[] {
  const blocks = body.split(/(?<=\n{2,})(?=[^\n])/);
  const out: string[] = [];
  for (const block of blocks) {
    if (len(block) <= limit) {
      out.push(block);
      continue;
    }
    for (const line of block.split(/(?<=\n)/)) {
      if (len(line) <= limit) out.push(line);
      else out.push(...hardSplit(line, limit));
    }
  }
  return out;
}

/** Splits a markdown body into chunks of at most `limit` characters, closing/reopening fences. */
export function splitMarkdownBody(body: string, limit = MAX_BODY_CHARS): string[] {
  // Leave room for a fence that may be appended when a chunk closes inside a code block.
  const room = Math.max(16, limit - 16);
  const chunks: string[] = [];
  let current = "";
  let open: { indent: string; marker: string; line: string } | null = null;
  let reopen = "";

  const flush = () => {
    let chunk = current;
    if (open) {
      if (!chunk.endsWith("\n")) chunk += "\n";
      chunk += `${open.indent}${open.marker}`;
      reopen = open.line.endsWith("\n") ? open.line : open.line + "\n";
    } else reopen = "";
    chunks.push(chunk);
    current = reopen;
  };

  for (const piece of pieces(body, room)) {
    if (current && len(current) + len(piece) > room) flush();
    current += piece;
    for (const line of piece.split("\n")) {
      const m = FENCE.exec(line);
      if (!m) continue;
      const marker = m[2]!;
      if (!open) open = { indent: m[1]!, marker, line };
      else if (marker[0] === open.marker[0] && marker.length >= open.marker.length && !m[3]!.trim()) open = null;
    }
  }
  if (current && current !== reopen) chunks.push(current);
  const kept = chunks.filter((c) => c.trim());
  return kept.length ? kept : [""];
}
