/**
 * Markdown → Telegram text + entities (spec §6.4), for the subset the presenter and agents
 * produce: fenced code, inline code, bold, italic, links, hard breaks. Offsets are UTF-16 code
 * units (JS string indices). Links other than http(s)/tg are dropped (their text stays), since
 * Telegram rejects them with 400.
 */
export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  language?: string;
  url?: string;
}

export interface RenderedText {
  text: string;
  entities: MessageEntity[];
}

const INLINE = /(`+)([\s\S]+?)\1|\*\*([\s\S]+?)\*\*|(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])|(?<!\w)_([^_\s][^_]*?)_(?!\w)|\[([^\]]+)\]\(([^)\s]+)\)/g;

function allowedUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return ((u.protocol === "http:" || u.protocol === "https:") && !!u.hostname) || u.protocol === "tg:";
  } catch {
    return false;
  }
}

function renderInline(src: string, out: RenderedText): void {
  let last = 0;
  for (const m of src.matchAll(INLINE)) {
    out.text += src.slice(last, m.index);
    last = m.index + m[0].length;
    const start = out.text.length;
    if (m[2] !== undefined) {
      out.text += m[2];
      out.entities.push({ type: "code", offset: start, length: m[2].length });
    } else if (m[3] !== undefined || m[4] !== undefined || m[5] !== undefined) {
      const inner = m[3] ?? m[4] ?? m[5]!;
      const before = out.entities.length;
      renderInline(inner, out);
      const type = m[3] !== undefined ? "bold" : "italic";
      out.entities.splice(before, 0, { type, offset: start, length: out.text.length - start });
    } else {
      const before = out.entities.length;
      renderInline(m[6]!, out);
      if (allowedUrl(m[7]!)) out.entities.splice(before, 0, { type: "text_link", offset: start, length: out.text.length - start, url: m[7]! });
    }
  }
  out.text += src.slice(last);
}

export function renderMarkdown(markdown: string): RenderedText {
  const out: RenderedText = { text: "", entities: [] };
  const lines = markdown.replace(/ {2,}\n/g, "\n").split("\n");
  let i = 0;
  const prose: string[] = [];
  const flushProse = (beforeBlock = false) => {
    if (!prose.length) return;
    renderInline(prose.join("\n").replace(/^(\s*)[*+] /gm, "$1- "), out);
    if (beforeBlock) out.text += "\n";
    prose.length = 0;
  };
  while (i < lines.length) {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$/.exec(lines[i]!);
    if (!fence) {
      prose.push(lines[i]!);
      i++;
      continue;
    }
    flushProse(true);
    const marker = fence[1]!;
    const body: string[] = [];
    i++;
    while (i < lines.length && !(lines[i]!.trim().startsWith(marker[0]!.repeat(marker.length)) && lines[i]!.trim().replace(/[`~]/g, "") === "")) body.push(lines[i++]!);
    i++; // closing fence
    const code = body.join("\n");
    const start = out.text.length;
    out.text += code;
    out.entities.push({ type: "pre", offset: start, length: code.length, ...(fence[2] ? { language: fence[2] } : {}) });
    if (i < lines.length) out.text += "\n";
  }
  flushProse();
  return out;
}
