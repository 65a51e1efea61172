/**
 * Splits a byte stream into `\n`-terminated lines before decoding, so multi-byte UTF-8 sequences
 * that straddle chunks survive. Lines may be very long (spec §11.4); a line longer than `maxBytes`
 * is dropped and reported instead of growing memory without bound.
 */
export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;

export type LineItem = { kind: "line"; text: string } | { kind: "overflow"; bytes: number };

const decoder = new TextDecoder("utf-8", { fatal: false });

export class LineSplitter {
  private pieces: Buffer[] = [];
  private pending = 0;
  private overflowing = false;
  private overflowBytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_LINE_BYTES) {}

  push(chunk: Buffer): LineItem[] {
    const out: LineItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (nl !== -1 && this.pending === 0 && !this.overflowing && end - start <= this.maxBytes) {
        // Whole line inside this chunk: decode it in place (synchronously, so no copy is needed).
        out.push({ kind: "line", text: decoder.decode(chunk.subarray(start, end)) });
        start = nl + 1;
        continue;
      }
      this.append(chunk.subarray(start, end));
      if (nl === -1) break;
      out.push(this.take());
      start = nl + 1;
    }
    return out;
  }

  /** The unterminated tail at EOF is processed as a last line ([deviation] §5.2). */
  end(): LineItem[] {
    if (this.pending === 0 && !this.overflowing) return [];
    return [this.take()];
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.overflowing) {
      this.overflowBytes += part.length;
      return;
    }
    if (this.pending + part.length > this.maxBytes) {
      this.overflowing = true;
      this.overflowBytes = this.pending + part.length;
      this.pieces = [];
      this.pending = 0;
      return;
    }
    // Copy: the chunk buffer may be reused by the stream.
    this.pieces.push(Buffer.from(part));
    this.pending += part.length;
  }

  private take(): LineItem {
    if (this.overflowing) {
      const bytes = this.overflowBytes;
      this.overflowing = false;
      this.overflowBytes = 0;
      return { kind: "overflow", bytes };
    }
    const buf = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.pending);
    this.pieces = [];
    this.pending = 0;
    return { kind: "line", text: decoder.decode(buf) };
  }
}

/** ASCII whitespace trim, as Python's bytes.strip(). */
export function trimAscii(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isAsciiSpace(s.charCodeAt(start))) start++;
  while (end > start && isAsciiSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** \t \n \v \f \r and space. */
function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
