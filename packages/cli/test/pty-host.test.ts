import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PtyWriter } from "../src/pty-writer.js";

const eagain = (): never => {
  throw Object.assign(new Error("EAGAIN"), { code: "EAGAIN" });
};

describe("PtyWriter", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes at once when the PTY takes it; keeps order through EAGAIN and partial writes", () => {
    vi.useFakeTimers();
    const got: number[] = [];
    let room = 3;
    const writer = new PtyWriter(9, {
      writeSync: (_fd, d) => {
        if (room === 0) eagain();
        const n = Math.min(room, d.byteLength);
        got.push(...d.subarray(0, n));
        room -= n;
        return n;
      },
    });
    const buf = Uint8Array.from([1, 2, 3, 4, 5]);
    writer.push(buf);
    buf.fill(0); // the caller reuses its buffer: what waits was copied
    writer.push(Uint8Array.from([6, 7]));
    expect(got).toEqual([1, 2, 3]);
    expect(writer.pendingBytes).toBe(4);
    vi.advanceTimersByTime(5); // still full
    expect(got).toEqual([1, 2, 3]);
    room = 10;
    vi.advanceTimersByTime(5);
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(writer.pendingBytes).toBe(0);
  });

  it("drops input and reports once the PTY is gone (EIO), and ignores writes after close", () => {
    const errors: unknown[] = [];
    const writeSync = vi.fn(() => {
      throw Object.assign(new Error("EIO"), { code: "EIO" });
    });
    const writer = new PtyWriter(9, { writeSync, onError: (e) => errors.push(e) });
    writer.push(Uint8Array.from([1]));
    writer.push(Uint8Array.from([2]));
    expect(errors).toHaveLength(1);
    expect(writeSync).toHaveBeenCalledTimes(1);
    expect(writer.pendingBytes).toBe(0);
  });

  it("delivers a 300 kB paste to a real PTY whose input queue fills up, byte for byte", async () => {
    const pty = createRequire(import.meta.url)("node-pty") as typeof import("node-pty");
    const dir = mkdtempSync(join(tmpdir(), "taiku-ptywriter-"));
    const out = join(dir, "out");
    const size = 300_000;
    const term = pty.spawn("/bin/sh", ["-c", `stty raw -echo; printf R; head -c ${size} > '${out}'`], { cols: 80, rows: 24, encoding: null });
    try {
      await new Promise<void>((resolve) => term.onData((d) => String(d).includes("R") && resolve()));
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = 32 + (i % 90);
      const writer = new PtyWriter((term as unknown as { fd: number }).fd, { retryMs: 1 });
      for (let off = 0; off < size; off += 4096) writer.push(data.subarray(off, off + 4096));
      expect(writer.pendingBytes).toBeGreaterThan(0); // the queue really filled: the retry path ran
      await new Promise<void>((resolve) => term.onExit(() => resolve()));
      expect(Buffer.compare(readFileSync(out), Buffer.from(data))).toBe(0);
    } finally {
      term.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
