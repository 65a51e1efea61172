/**
 * Terminal titles (spec §2.2 `title`, §2.4.4): programs set a window title with OSC 0 or OSC 2
 * (`ESC ] 0 ; text BEL` or `… ESC \`); shells do it on every prompt (Debian's bashrc: `user@host: dir`).
 * The CLI watches its shells' output for them and sends each new title sealed with K_enc under the AAD
 * `…|title|{shellId}|{version}`; the server keeps the highest version and the page shows it on the
 * tile (`getTerminalNames`, `terminal_title_changed` for plugins).
 */

const ESC = 0x1b;
const BEL = 0x07;
/** Where an OSC starts; found with the native `indexOf`, so output without one costs one scan. */
const OSC_START = Buffer.from([ESC, 0x5d]);
/** Longest OSC payload we keep looking at; a longer one is not a title we show (and memory stays bounded). */
export const MAX_OSC_BYTES = 1024;
/** Longest title sent, in characters (after control characters are removed). */
export const MAX_TITLE_CHARS = 256;

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Finds OSC 0/2 titles in a byte stream cut at arbitrary points. `feed` returns the last title completed
 * within the chunk (null: none). Other OSCs (colours, hyperlinks, cwd …) and over-long ones are skipped.
 */
export class OscTitleScanner {
  /** Bytes of an OSC whose terminator has not arrived yet (starting after `ESC ]`). */
  private carry: Uint8Array | null = null;
  /** The chunk ended right after an ESC: it may be the start of `ESC ]` or of the `ESC \` terminator. */
  private pendingEsc = false;

  feed(chunk: Uint8Array): string | null {
    if (chunk.byteLength === 0) return null;
    let title: string | null = null;
    let at = 0;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pendingEsc) {
      this.pendingEsc = false;
      const done = this.carry;
      this.carry = null;
      // ESC inside an OSC: `ESC \` ends it; anything else aborts it (as terminals do) — and `ESC ]` starts another.
      if (done && buf[0] === 0x5c) {
        title = titleOf(done);
        at = 1;
      } else if (buf[0] === 0x5d) {
        this.carry = new Uint8Array(0);
        at = 1;
      }
    }
    while (at < buf.length) {
      if (this.carry) {
        const end = terminator(buf, at);
        if (end.index < 0) {
          if (end.trailingEsc) this.pendingEsc = true;
          this.append(buf.subarray(at, end.trailingEsc ? buf.length - 1 : buf.length));
          return title;
        }
        this.append(buf.subarray(at, end.index));
        const done = this.carry;
        this.carry = null;
        if (done && end.ok) title = titleOf(done) ?? title;
        at = end.index + end.length;
        continue;
      }
      const start = buf.indexOf(OSC_START, at);
      if (start < 0) {
        if (buf[buf.length - 1] === ESC) this.pendingEsc = true;
        return title;
      }
      this.carry = new Uint8Array(0);
      at = start + 2;
    }
    return title;
  }

  /** Keep at most MAX_OSC_BYTES of an unfinished OSC; past that it is only skipped to its end (TOO_LONG). */
  private append(part: Uint8Array): void {
    const prev = this.carry!;
    if (prev.byteLength + part.byteLength > MAX_OSC_BYTES) {
      this.carry = TOO_LONG;
      return;
    }
    if (prev === TOO_LONG || part.byteLength === 0) return;
    const next = new Uint8Array(prev.byteLength + part.byteLength);
    next.set(prev);
    next.set(part, prev.byteLength);
    this.carry = next;
  }
}

/** Stands for an OSC that grew past MAX_OSC_BYTES: skipped up to its terminator. */
const TOO_LONG = new Uint8Array(0);

/** The end of an OSC from `at`: BEL, `ESC \`, or another control that aborts it (CAN, SUB). */
function terminator(buf: Buffer, at: number): { index: number; length: number; ok: boolean; trailingEsc: boolean } {
  for (let i = at; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === BEL) return { index: i, length: 1, ok: true, trailingEsc: false };
    if (b === 0x18 || b === 0x1a) return { index: i, length: 1, ok: false, trailingEsc: false };
    if (b === ESC) {
      if (i + 1 >= buf.length) return { index: -1, length: 0, ok: false, trailingEsc: true };
      // Any other ESC aborts the OSC and is left in place: it may start the next one.
      return buf[i + 1] === 0x5c ? { index: i, length: 2, ok: true, trailingEsc: false } : { index: i, length: 0, ok: false, trailingEsc: false };
    }
  }
  return { index: -1, length: 0, ok: false, trailingEsc: false };
}

/** `0;text` or `2;text` → text (control characters removed, trimmed, capped); other OSCs → null. */
function titleOf(payload: Uint8Array): string | null {
  if (payload === TOO_LONG || payload.byteLength < 2 || payload[1] !== 0x3b) return null;
  if (payload[0] !== 0x30 && payload[0] !== 0x32) return null;
  // eslint-disable-next-line no-control-regex
  const text = decoder.decode(payload.subarray(2)).replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim();
  return [...text].slice(0, MAX_TITLE_CHARS).join("");
}

/** Per-shell titles with their versions; `send` seals and sends one (the session keeps the order). */
export class ShellTitles {
  private readonly shells = new Map<number, { scanner: OscTitleScanner; title: string | null; version: number }>();

  constructor(private readonly send: (shellId: number, version: number, title: string) => void) {}

  /** Output of a shell, as read from its PTY. */
  onOutput(shellId: number, chunk: Uint8Array): void {
    let s = this.shells.get(shellId);
    if (!s) this.shells.set(shellId, (s = { scanner: new OscTitleScanner(), title: null, version: 0 }));
    const title = s.scanner.feed(chunk);
    if (title === null || title === s.title) return;
    s.title = title;
    s.version++;
    this.send(shellId, s.version, title);
  }

  /** After a reconnect: the server may have missed a title (it keeps the highest version it saw). */
  resendAll(): void {
    for (const [shellId, s] of this.shells) if (s.title !== null) this.send(shellId, s.version, s.title);
  }

  remove(shellId: number): void {
    this.shells.delete(shellId);
  }
}
