/**
 * The local terminal as a control view (spec §14.5): not an attached shell. Up/Down choose which
 * shell's last lines are previewed; Ctrl-C ends the session. Only used when stdin is a TTY.
 */
import type { ShareSession } from "./session.js";
import { plainText } from "./printer.js";

const TAIL_BYTES = 4096;
const PREVIEW_LINES = 8;

export interface ControlViewIo {
  stdin: NodeJS.ReadStream;
  write(text: string): void;
  onInterrupt(): void;
}

export class ControlView {
  /** Last TAIL_BYTES bytes of each shell's output, kept raw: decoded only when previewed. */
  private readonly tails = new Map<number, Uint8Array>();
  private selected = 0;
  private readonly onKey = (buf: Buffer) => this.key(buf.toString("latin1"));

  constructor(private readonly session: ShareSession, private readonly io: ControlViewIo) {
    // Runs for every output chunk on the thread that reads the PTYs: a copy of at most TAIL_BYTES.
    session.on("output", (id: number, chunk: Uint8Array) => this.tails.set(id, keepTail(this.tails.get(id), chunk)));
    session.on("shells", (ids: number[]) => {
      for (const id of this.tails.keys()) if (!ids.includes(id)) this.tails.delete(id);
    });
  }

  start(): void {
    this.io.stdin.setRawMode(true);
    this.io.stdin.resume();
    this.io.stdin.on("data", this.onKey);
  }

  stop(): void {
    this.io.stdin.off("data", this.onKey);
    if (this.io.stdin.isTTY) this.io.stdin.setRawMode(false);
    this.io.stdin.pause();
  }

  private key(k: string): void {
    if (k === "\x03" || k === "\x04") return this.io.onInterrupt();
    const ids = this.session.shellIds();
    if (ids.length === 0) return;
    if (k === "\x1b[A" || k === "\x1bOA") this.selected = (this.selected - 1 + ids.length) % ids.length;
    else if (k === "\x1b[B" || k === "\x1bOB") this.selected = (this.selected + 1) % ids.length;
    else return;
    this.preview(ids);
  }

  private preview(ids: number[]): void {
    const id = ids[Math.min(this.selected, ids.length - 1)]!;
    const lines = plainText(decodeTail(this.tails.get(id))).split("\n").filter((l) => l.trim() !== "").slice(-PREVIEW_LINES);
    const out = [`--- shell ${id} (${this.selected + 1} of ${ids.length}) ---`, ...lines.map((l) => `  ${l}`), ""];
    this.io.write(out.join("\r\n"));
  }
}

function keepTail(prev: Uint8Array | undefined, chunk: Uint8Array): Uint8Array {
  if (chunk.byteLength >= TAIL_BYTES || !prev) return chunk.slice(-TAIL_BYTES);
  const keep = Math.min(prev.byteLength, TAIL_BYTES - chunk.byteLength);
  const out = new Uint8Array(keep + chunk.byteLength);
  out.set(prev.subarray(prev.byteLength - keep), 0);
  out.set(chunk, keep);
  return out;
}

/** UTF-8 text of a tail, skipping continuation bytes of a character cut at its start. */
function decodeTail(tail: Uint8Array | undefined): string {
  if (!tail) return "";
  let start = 0;
  while (start < tail.byteLength && start < 3 && (tail[start]! & 0xc0) === 0x80) start++;
  return Buffer.from(tail.buffer, tail.byteOffset + start, tail.byteLength - start).toString("utf8");
}
