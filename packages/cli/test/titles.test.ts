import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_OSC_BYTES, MAX_TITLE_CHARS, OscTitleScanner, ShellTitles } from "../src/titles.js";

const bytes = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

/** Feed `parts` in order; the last title any of them completed. */
function lastTitle(parts: Uint8Array[], scanner = new OscTitleScanner()): string | null {
  let title: string | null = null;
  for (const p of parts) title = scanner.feed(p) ?? title;
  return title;
}

/** The stream cut at the given offsets. */
function cut(all: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((x) => x % (all.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, all.byteLength]) {
    out.push(all.subarray(from, p));
    from = p;
  }
  return out;
}

describe("OscTitleScanner", () => {
  it("reads OSC 0 and OSC 2 titles ended by BEL or ST, the last one in a chunk winning", () => {
    const s = new OscTitleScanner();
    expect(s.feed(bytes("plain output\r\n"))).toBeNull();
    expect(s.feed(bytes("\x1b]0;user@host: ~/src\x07$ "))).toBe("user@host: ~/src");
    expect(s.feed(bytes("\x1b]2;vim notes.md\x1b\\"))).toBe("vim notes.md");
    expect(s.feed(bytes("\x1b]2;first\x07 text \x1b]0;second\x07"))).toBe("second");
  });

  it("ignores other OSCs (icon name, cwd, hyperlinks, colours) and CSI sequences", () => {
    const s = new OscTitleScanner();
    expect(s.feed(bytes("\x1b]1;icon\x07\x1b]7;file://host/tmp\x07\x1b]8;;https://x.test\x07link\x1b]8;;\x07"))).toBeNull();
    expect(s.feed(bytes("\x1b]10;?\x07\x1b[31mred\x1b[0m\x1b]02x\x07"))).toBeNull();
    expect(s.feed(bytes("\x1b]2;after\x07"))).toBe("after");
  });

  it("gives the same title however the stream is cut (byte by byte, mid-UTF-8, mid-ST)", () => {
    const stream = bytes("ls\r\n\x1b[1mx\x1b]0;naïve — 日本\x1b\\out\x1b]2;t2\x07\x1b]0;日本語のタイトル\x1b\\tail\x1b");
    expect(lastTitle([stream])).toBe("日本語のタイトル");
    expect(lastTitle([...stream].map((b) => Uint8Array.of(b)))).toBe("日本語のタイトル");
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (points) => {
        expect(lastTitle(cut(stream, points))).toBe("日本語のタイトル");
      }),
      { numRuns: 500 },
    );
  });

  it("matches a one-piece scan for random streams of OSC fragments, however they are cut", () => {
    const piece = fc.constantFrom("\x1b]0;a\x07", "\x1b]2;bé\x1b\\", "\x1b]1;icon\x07", "\x1b", "]", "\\", "\x07", "2;", "0;", "x", "\x18", "\x1b[0m", "é");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, points) => {
        const all = bytes(pieces.join(""));
        expect(lastTitle(cut(all, points))).toBe(lastTitle([all]));
      }),
      { numRuns: 1000 },
    );
  });

  it("drops an OSC aborted by CAN or by another escape sequence; ESC ] inside one starts the next", () => {
    const s = new OscTitleScanner();
    expect(s.feed(bytes("\x1b]2;cut\x18short"))).toBeNull();
    expect(s.feed(bytes("\x1b]2;cut\x1b[0m\x07"))).toBeNull();
    expect(s.feed(bytes("\x1b]2;lost\x1b]2;kept\x07"))).toBe("kept");
  });

  it("removes control characters, trims, and caps the length; an over-long OSC is skipped, bounded", () => {
    const s = new OscTitleScanner();
    expect(s.feed(bytes("\x1b]0;  a\x01b\x7fc\u009b  \x07"))).toBe("abc");
    expect(s.feed(bytes(`\x1b]0;${"é".repeat(MAX_TITLE_CHARS + 10)}\x07`))).toBe("é".repeat(MAX_TITLE_CHARS));
    const long = bytes(`\x1b]0;${"x".repeat(MAX_OSC_BYTES * 4)}`);
    for (let off = 0; off < long.byteLength; off += 100) expect(s.feed(long.subarray(off, off + 100))).toBeNull();
    expect(s.feed(bytes("\x07\x1b]0;next\x07"))).toBe("next");
  });
});

describe("ShellTitles", () => {
  it("sends a title only when it changes, with a version per shell that only grows; resends the current ones", () => {
    const sent: [number, number, string][] = [];
    const t = new ShellTitles((shellId, version, title) => sent.push([shellId, version, title]));
    t.onOutput(1, bytes("\x1b]0;a\x07"));
    t.onOutput(1, bytes("\x1b]0;a\x07 same again"));
    t.onOutput(2, bytes("\x1b]2;b\x07"));
    t.onOutput(3, bytes("no title yet"));
    t.onOutput(1, bytes("\x1b]0;c\x07"));
    expect(sent).toEqual([[1, 1, "a"], [2, 1, "b"], [1, 2, "c"]]);
    sent.length = 0;
    t.resendAll(); // the latest title of each shell that has one
    expect(sent).toEqual([[1, 2, "c"], [2, 1, "b"]]);
    sent.length = 0;
    t.remove(2);
    t.resendAll();
    expect(sent).toEqual([[1, 2, "c"]]);
    t.onOutput(2, bytes("\x1b]2;b\x07")); // a new shell with the id: its own titles from version 1
    expect(sent).toEqual([[1, 2, "c"], [2, 1, "b"]]);
  });
});
