/** Unit tests: output buffer/resend, coalescer, flow gate, backoff, printer lines, chat log. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../src/backoff.js";
import { ChatLog } from "../src/chat.js";
import { Coalescer } from "../src/coalescer.js";
import { FlowGate, Watermark } from "../src/flow.js";
import { OutputBuffer } from "../src/output-buffer.js";
import { bannerLines, linkLines, plainText, presenceLine, windowCountLine } from "../src/printer.js";

const frame = (size: number) => ({ n: new Uint8Array(12), c: new Uint8Array(size - 12) });

describe("OutputBuffer", () => {
  it("numbers frames from 0 and returns what the server lacks after a sync", () => {
    const b = new OutputBuffer(1000);
    for (let i = 0; i < 5; i++) b.push(b.takeSeq(), frame(100));
    b.markSent(5);
    expect(b.nextSeq).toBe(5);
    expect(b.from(3).frames.map((f) => f.seq)).toEqual([3, 4]);
    expect(b.from(3).missing).toBe(0);
  });

  it("trims sent frames beyond capacity and reports the gap", () => {
    const b = new OutputBuffer(300);
    for (let i = 0; i < 10; i++) {
      const s = b.takeSeq();
      b.push(s, frame(100));
      b.markSent(s + 1);
    }
    expect(b.bufferedBytes).toBeLessThanOrEqual(300);
    const { frames, missing } = b.from(0);
    expect(frames.map((f) => f.seq)).toEqual([7, 8, 9]);
    expect(missing).toBe(7);
  });

  it("never trims unsent frames; reports full instead", () => {
    const b = new OutputBuffer(300);
    for (let i = 0; i < 4; i++) b.push(b.takeSeq(), frame(100));
    expect(b.full).toBe(true);
    expect(b.from(0).frames).toHaveLength(4);
    b.markSent(4);
    expect(b.full).toBe(false);
    expect(b.bufferedBytes).toBeLessThanOrEqual(300);
  });

  it("rewind makes frames unsent again (kept until re-sent)", () => {
    const b = new OutputBuffer(10_000);
    for (let i = 0; i < 4; i++) b.push(b.takeSeq(), frame(100));
    b.markSent(4);
    expect(b.unsentBytes).toBe(0);
    b.rewind(2);
    expect(b.unsentBytes).toBe(200);
    b.markSent(4);
    expect(b.unsentBytes).toBe(0);
  });

  it("property: unsentBytes equals the bytes of frames at or after the send mark", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 20, max: 200 }), fc.integer({ min: 0, max: 3 })), { maxLength: 60 }), (ops) => {
        const b = new OutputBuffer(1000);
        let mark = 0;
        const sizes: number[] = [];
        for (const [size, op] of ops) {
          const s = b.takeSeq();
          b.push(s, frame(size));
          sizes.push(size);
          if (op === 1) {
            b.markSent(s + 1);
            mark = Math.max(mark, s + 1);
          } else if (op === 2 && s > 0) {
            b.rewind(s - 1);
            mark = Math.min(mark, s - 1);
          }
        }
        const expected = sizes.slice(mark).reduce((a, x) => a + x, 0);
        expect(b.unsentBytes).toBe(expected);
        // Every unsent frame is still there.
        expect(b.from(mark).frames.length).toBe(sizes.length - mark);
      }),
    );
  });
});

describe("Coalescer", () => {
  function harness(flushBytes = 100, maxChunk = 64, backlogBytes?: number) {
    const out: string[] = [];
    let pending: (() => void) | null = null;
    const c = new Coalescer({
      flushMs: 10,
      flushBytes,
      maxChunk,
      ...(backlogBytes ? { backlogBytes } : {}),
      emit: (chunk) => out.push(Buffer.from(chunk).toString()),
      setTimer: (fn) => (pending = fn),
      clearTimer: () => (pending = null),
    });
    const fire = () => {
      const fn = pending;
      pending = null;
      fn?.();
    };
    return { c, out, fire, armed: () => pending !== null };
  }

  it("sends the first read after idle at once and batches the rest until the timer", () => {
    const h = harness();
    h.c.push(Buffer.from("a"));
    expect(h.out).toEqual(["a"]);
    h.c.push(Buffer.from("b"));
    h.c.push(Buffer.from("c"));
    expect(h.out).toEqual(["a"]);
    h.fire();
    expect(h.out).toEqual(["a", "bc"]);
    expect(h.armed()).toBe(true); // still under load: keep batching
    h.fire();
    expect(h.armed()).toBe(false); // idle again
    h.c.push(Buffer.from("d"));
    expect(h.out).toEqual(["a", "bc", "d"]);
  });

  it("after input, the next read goes out at once inside the window, with what waits; later reads batch again", () => {
    const h = harness();
    h.c.push(Buffer.from("a")); // idle: at once, window opens
    h.c.push(Buffer.from("b")); // output within the window: batched
    h.c.expectEcho(); // a keystroke was written to the shell
    h.c.push(Buffer.from("c")); // its echo: now, with b
    expect(h.out).toEqual(["a", "bc"]);
    h.c.push(Buffer.from("d")); // output that follows batches again
    expect(h.out).toEqual(["a", "bc"]);
    expect(h.armed()).toBe(true);
  });

  it("flushes at flushBytes and splits chunks at maxChunk", () => {
    const h = harness(100, 64);
    h.c.push(Buffer.from("x"));
    h.c.push(Buffer.alloc(150, "y"));
    expect(h.out.map((s) => s.length)).toEqual([1, 64, 64, 22]);
  });

  it("with backlogBytes, batches grow to whole frames of that size under backlog; idle resets to the first read at once", () => {
    const h = harness(16, 64, 64);
    h.c.push(Buffer.from("a"));
    h.c.push(Buffer.alloc(20, "b")); // first batch of the window: flushBytes, as the spec has it
    h.c.push(Buffer.alloc(30, "c")); // backlogged now: waits for maxChunk
    expect(h.out.map((s) => s.length)).toEqual([1, 20]);
    h.c.push(Buffer.alloc(40, "d"));
    expect(h.out.map((s) => s.length)).toEqual([1, 20, 64]); // one whole frame; the 6-byte tail waits
    h.fire();
    expect(h.out.map((s) => s.length)).toEqual([1, 20, 64, 6]);
    expect(h.out.join("")).toBe("a" + "b".repeat(20) + "c".repeat(30) + "d".repeat(40));
    h.fire(); // nothing pending: idle
    expect(h.armed()).toBe(false);
    h.c.push(Buffer.from("e"));
    h.c.push(Buffer.alloc(20, "f"));
    expect(h.out.slice(4)).toEqual(["e", "f".repeat(20)]);
  });

  it("without backlogBytes a window keeps flushing at flushBytes (the spec's batching)", () => {
    const h = harness(16, 64);
    h.c.push(Buffer.from("a"));
    for (let i = 0; i < 3; i++) h.c.push(Buffer.alloc(20, "b"));
    expect(h.out.map((s) => s.length)).toEqual([1, 20, 20, 20]);
  });

  it("dispose flushes what is pending", () => {
    const h = harness();
    h.c.push(Buffer.from("a"));
    h.c.push(Buffer.from("b"));
    h.c.dispose();
    expect(h.out).toEqual(["a", "b"]);
  });
});

describe("FlowGate", () => {
  it("pauses while any reason holds and reports transitions only", () => {
    const calls: string[] = [];
    const g = new FlowGate({ pause: (id) => calls.push(`pause ${id}`), resume: (id) => calls.push(`resume ${id}`) });
    g.add(1);
    g.add(2);
    g.set(1, "server", true);
    g.set(1, "server", true);
    g.setGlobal("socket", true);
    g.set(1, "server", false);
    g.setGlobal("socket", false);
    expect(calls).toEqual(["pause 1", "pause 2", "resume 1", "resume 2"]);
    g.setGlobal("socket", true);
    g.add(3); // a shell born under backpressure starts paused
    expect(calls.at(-1)).toBe("pause 3");
  });

  it("Watermark has hysteresis", () => {
    const w = new Watermark(100, 10);
    expect([w.update(50), w.update(101), w.update(50), w.update(9), w.update(50)]).toEqual([false, true, true, false, false]);
  });
});

describe("backoff", () => {
  it("doubles from initial to max with ±20% jitter", () => {
    expect([0, 1, 2, 5, 10].map((a) => backoffDelay(a, 500, 10_000, () => 0.5))).toEqual([500, 1000, 2000, 10_000, 10_000]);
    expect(backoffDelay(0, 500, 10_000, () => 0)).toBe(400);
    expect(backoffDelay(0, 500, 10_000, () => 1)).toBe(600);
  });
});

describe("printer", () => {
  const links = { participant: "P", write: "W", admin: "A", adminSignIn: "A?signin", readersEnabled: false };
  it("prints session and admin lines, or read-only/write/admin with readers", () => {
    expect(bannerLines(links, 1, false)).toEqual(["session: P", "admin: A?signin", "1 terminal window (Up/Down to switch)", "Ctrl-C to exit"]);
    expect(linkLines({ ...links, readersEnabled: true })).toEqual(["read-only: P", "write: W", "admin: A?signin"]);
    expect(bannerLines(links, 1, true)).toEqual(["session: P", "admin: A?signin"]);
    expect(windowCountLine(3)).toBe("3 terminal windows (Up/Down to switch)");
  });

  it("formats presence lines", () => {
    const ev = (kind: string, userName: string, shellId = 0) => ({ kind, userName, shellId, detail: "" }) as Parameters<typeof presenceLine>[0];
    expect(presenceLine(ev("user_joined", "alice"))).toBe("[connect] alice joined");
    expect(presenceLine(ev("user_left", "bob"))).toBe("[disconnect] bob left");
    expect(presenceLine(ev("shell_created", "alice", 2))).toBe("[session] alice created shell 2");
    expect(presenceLine(ev("shell_created", "", 1))).toBeNull();
  });

  it("strips escapes for the preview", () => {
    expect(plainText("\x1b[1;32mgreen\x1b[0m\r\nnext\x1b]0;title\x07")).toBe("green\nnext");
  });
});

describe("ChatLog", () => {
  it("keeps the last N and applies edits by id", () => {
    const log = new ChatLog(2);
    const m = (id: number, message: string) => ({ t: "chat" as const, id, userId: 1, name: "a", role: "writer" as const, message, ts: 0 });
    log.add(m(1, "one"));
    log.add(m(2, "two"));
    log.add(m(2, "two!"));
    log.add(m(3, "three"));
    expect(log.all().map((x) => x.message)).toEqual(["two!", "three"]);
  });
});
