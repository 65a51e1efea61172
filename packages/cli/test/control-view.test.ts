import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ControlView } from "../src/control-view.js";
import type { ShareSession } from "../src/session.js";

function setup() {
  const session = Object.assign(new EventEmitter(), { shellIds: () => [1, 2] });
  const stdin = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => stdin, resume: () => stdin, pause: () => stdin });
  const written: string[] = [];
  const view = new ControlView(session as unknown as ShareSession, {
    stdin: stdin as unknown as NodeJS.ReadStream,
    write: (t) => written.push(t),
    onInterrupt: () => {},
  });
  view.start();
  const out = (id: number, text: string) => session.emit("output", id, new TextEncoder().encode(text));
  const press = (k: string) => stdin.emit("data", Buffer.from(k, "latin1"));
  return { out, press, written };
}

describe("ControlView", () => {
  it("previews the last lines of the chosen shell from a raw tail, whatever the chunk sizes", () => {
    const { out, press, written } = setup();
    for (let i = 0; i < 500; i++) out(1, `line ${i} ✓\r\n`); // many small chunks
    out(2, `${"x".repeat(10_000)}\r\nlast of two é\r\n`); // one chunk larger than the tail
    press("\x1b[B"); // shell 2
    expect(written.at(-1)).toContain("last of two é");
    press("\x1b[A"); // back to shell 1
    const shown = written.at(-1)!;
    expect(shown).toContain("line 499 ✓");
    expect(shown).toContain("line 492 ✓");
    expect(shown).not.toContain("line 491 ");
    expect(shown).not.toContain("\uFFFD");
  });

  it("drops a character cut in half at the start of the tail instead of showing garbage", () => {
    const { out, press, written } = setup();
    out(1, `é${"a".repeat(4088)}\r\nend\r\n`); // 4,097 bytes: the 4,096-byte tail starts inside "é"
    press("\x1b[A");
    press("\x1b[B");
    expect(written.at(-1)).not.toContain("\uFFFD");
  });
});
