import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PtyHost, ptyWorkerFile } from "../src/pty-host.js";
import type { PtyLike } from "../src/shells.js";

// The thread's script is plain JavaScript; its classes are exported for these tests.
const req = createRequire(import.meta.url);
interface Writer {
  push(d: Uint8Array): void;
  readonly pendingBytes: number;
}
interface Batcher {
  push(d: Uint8Array): void;
  ack(): void;
  flush(): void;
  hold(on: boolean): void;
  expectEcho(): void;
}
interface Pool {
  size: number;
  take(): ArrayBuffer;
  give(b: unknown): void;
}
const { PtyWriter, OutputBatcher, BufferPool } = req("../src/pty-worker.cjs") as {
  BufferPool: new (size: number, keep?: number) => Pool;
  PtyWriter: new (fd: number, opts?: { retryMs?: number; writeSync?: (fd: number, d: Uint8Array) => number; onError?: (e: unknown) => void }) => Writer;
  OutputBatcher: new (o: { flushMs: number; batchBytes: number; maxBatchBytes?: number; maxInFlight: number; pauseBytes: number; pool?: Pool; setTimer?: (fn: () => void, ms: number) => unknown; clearTimer?: (h: unknown) => void; post(c: Uint8Array): void; pause(on: boolean): void }) => Batcher;
};

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

});

describe("OutputBatcher", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fills batches into pooled buffers that come back with the acknowledgement", () => {
    const pool = new BufferPool(4, 2);
    const posted: Uint8Array[] = [];
    const seen: number[][] = [];
    const b = new OutputBatcher({ flushMs: 10, batchBytes: 1, maxBatchBytes: 4, maxInFlight: 1, pauseBytes: 100, pool, post: (c) => (posted.push(c), seen.push([...c])), pause: () => {} });
    b.push(Uint8Array.from([1, 2, 3]));
    b.push(Uint8Array.from([4, 5, 6, 7, 8]));
    expect(seen).toEqual([[1, 2, 3]]);
    const first = posted[0]!.buffer;
    expect(first.byteLength).toBe(4); // a pool buffer, the batch a view of its start
    pool.give(first); // as the main thread hands it back with its ack
    b.ack();
    expect(seen).toEqual([[1, 2, 3], [4, 5, 6, 7]]);
    expect(posted[1]!.buffer).toBe(first); // reused, not a fresh allocation
    // Buffers of another size, and more than `keep`, are not kept.
    pool.give(new ArrayBuffer(8));
    pool.give(new ArrayBuffer(4));
    pool.give(new ArrayBuffer(4));
    pool.give(new ArrayBuffer(4));
    const taken = [pool.take(), pool.take(), pool.take()];
    expect(taken.map((t) => t.byteLength)).toEqual([4, 4, 4]);
    expect(new Set(taken).size).toBe(3);
    b.flush();
  });

  it("sends the first read after quiet at once, then batches by size or timer, within maxInFlight; pauses above pauseBytes", () => {
    vi.useFakeTimers();
    const posted: number[][] = [];
    const pauses: boolean[] = [];
    const b = new OutputBatcher({ flushMs: 10, batchBytes: 4, maxInFlight: 2, pauseBytes: 8, post: (c) => posted.push([...c]), pause: (on) => pauses.push(on) });
    b.push(Uint8Array.from([1]));
    expect(posted).toEqual([[1]]); // quiet until now: at once (echo latency)
    b.push(Uint8Array.from([2]));
    expect(posted).toHaveLength(1); // within the batching window: waits
    b.push(Uint8Array.from([3, 4, 5]));
    expect(posted).toEqual([[1], [2, 3, 4, 5]]); // batchBytes gathered
    b.push(Uint8Array.from([6, 7, 8, 9]));
    expect(posted).toHaveLength(2); // two in flight: waits for an acknowledgement
    b.push(Uint8Array.from([10, 11, 12, 13]));
    expect(pauses).toEqual([true]); // 8 bytes waiting
    b.ack();
    expect(posted.at(-1)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(pauses).toEqual([true, false]);
    b.ack();
    b.push(Uint8Array.from([14]));
    vi.advanceTimersByTime(10); // the timer takes what is left
    expect(posted.at(-1)).toEqual([14]);
    b.ack();
    b.ack();
    vi.advanceTimersByTime(10); // nothing waiting: the window closes
    b.push(Uint8Array.from([15]));
    expect(posted.at(-1)).toEqual([15]); // quiet again: at once
    b.push(Uint8Array.from([16]));
    b.flush(); // before an exit: regardless of timer and acknowledgements
    expect(posted.at(-1)).toEqual([16]);
  });
});

describe("OutputBatcher after input", () => {
  it("sends the next read at once inside the window, or with the next acknowledgement when none may leave", () => {
    const posted: number[][] = [];
    const b = new OutputBatcher({ flushMs: 10, batchBytes: 100, maxInFlight: 1, pauseBytes: 1000, setTimer: () => 1, clearTimer: () => {}, post: (c) => posted.push([...c]), pause: () => {} });
    b.push(Uint8Array.from([1])); // idle: at once
    b.push(Uint8Array.from([2])); // within the window: waits
    b.ack();
    expect(posted).toEqual([[1]]); // under batchBytes: waits for the timer
    b.expectEcho();
    b.push(Uint8Array.from([3])); // the echo: at once, with what waited
    expect(posted).toEqual([[1], [2, 3]]);
    b.push(Uint8Array.from([4])); // plain output again: waits
    b.ack();
    expect(posted).toHaveLength(2);
    b.expectEcho();
    b.push(Uint8Array.from([5])); // an echo: at once, with 4
    expect(posted.at(-1)).toEqual([4, 5]);
    b.push(Uint8Array.from([6])); // plain output: waits
    b.expectEcho();
    b.push(Uint8Array.from([7])); // an echo, but the one batch allowed is in flight
    expect(posted).toHaveLength(3);
    b.ack(); // so it leaves with the acknowledgement, not the timer
    expect(posted.at(-1)).toEqual([6, 7]);
  });
});

describe("OutputBatcher bounds what reaches a paused main thread", () => {
  it("cuts batches at maxBatchBytes, in order, and sends nothing while held (except the flush before an exit)", () => {
    const posted: number[][] = [];
    const b = new OutputBatcher({ flushMs: 10, batchBytes: 2, maxBatchBytes: 3, maxInFlight: 1, pauseBytes: 100, post: (c) => posted.push([...c]), pause: () => {} });
    b.push(Uint8Array.from([1, 2, 3, 4, 5])); // quiet: at once, but at most 3 bytes
    expect(posted).toEqual([[1, 2, 3]]);
    b.hold(true);
    b.push(Uint8Array.from([6, 7]));
    b.ack();
    expect(posted).toHaveLength(1); // held: the rest waits here
    b.hold(false);
    expect(posted).toEqual([[1, 2, 3], [4, 5, 6]]);
    b.ack();
    expect(posted).toHaveLength(2); // [7] alone is under batchBytes: it waits for more or the timer
    b.hold(true);
    b.push(Uint8Array.from([8, 9, 10, 11]));
    expect(posted).toHaveLength(2);
    b.flush(); // before an exit: everything, still in pieces of at most 3
    expect(posted).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11]]);
  });
});

/** A shell in a PTY on the host thread, its output collected. */
function hosted(host: PtyHost, script: string, opts: { cols?: number } = {}) {
  const pty: PtyLike = host.spawn("/bin/sh", ["-c", script], { name: "xterm-256color", cols: opts.cols ?? 80, rows: 24, cwd: process.cwd(), env: { ...process.env } as Record<string, string>, encoding: null });
  const chunks: Uint8Array[] = [];
  let text = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  pty.onData((d) => {
    const u = typeof d === "string" ? Buffer.from(d) : Uint8Array.from(d); // valid only during the callback
    chunks.push(u);
    text = (text + Buffer.from(u).toString("latin1")).slice(-65_536); // a tail: output may be MBs
    for (const w of waiters.splice(0)) if (w.re.test(text)) w.resolve();
    else waiters.push(w);
  });
  const exit = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
  const seen = (re: RegExp) => (re.test(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve })));
  return { pty, chunks, exit, seen, bytes: () => chunks.reduce((a, c) => a + c.byteLength, 0) };
}

describe("PtyHost (real PTYs on the host thread)", () => {
  const workerFile = ptyWorkerFile()!;
  const nodePty = req.resolve("node-pty");
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("runs a shell: output, input, resize and exit code cross the thread", async () => {
    const terminate = vi.spyOn(Worker.prototype, "terminate");
    const host = new PtyHost(workerFile, nodePty);
    const sh = hosted(host, "stty -echo; printf 'ready\\n'; read line; printf 'got:%s cols:%s\\n' \"$line\" \"$(stty size | cut -d' ' -f2)\"; exit 7");
    await sh.seen(/ready/);
    sh.pty.resize(100, 30);
    await new Promise((r) => setTimeout(r, 50));
    sh.pty.write("hello\r");
    await sh.seen(/got:hello cols:100/);
    expect(await sh.exit).toBe(7);
    expect(sh.pty.pid).toBeGreaterThan(0);
    expect(terminate).toHaveBeenCalledTimes(1); // its last PTY gone, the thread is let go
  }, 20_000);

  it("delivers a 300 kB paste to a shell whose PTY input queue fills up, byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "taiku-ptyhost-"));
    const out = join(dir, "out");
    const size = 300_000;
    try {
      const host = new PtyHost(workerFile, nodePty);
      const sh = hosted(host, `stty raw -echo; printf R; head -c ${size} > '${out}'`);
      await sh.seen(/R/);
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = 32 + (i % 90);
      for (let off = 0; off < size; off += 4096) sh.pty.write(Buffer.from(data.subarray(off, off + 4096)));
      expect(await sh.exit).toBe(0);
      expect(Buffer.compare(readFileSync(out), Buffer.from(data))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it("a paused PTY stops producing; output resumes complete and in order", async () => {
    const host = new PtyHost(workerFile, nodePty);
    const n = 20_000;
    const sh = hosted(host, `stty -echo; read go; seq 1 ${n}; printf END`);
    await new Promise((r) => setTimeout(r, 100));
    sh.pty.write("\r");
    await sh.seen(/\n1000\r?\n/);
    sh.pty.pause();
    await new Promise((r) => setTimeout(r, 100));
    const during = sh.bytes();
    await new Promise((r) => setTimeout(r, 300));
    expect(sh.bytes() - during).toBeLessThan(64 * 1024); // at most what was already read and batched
    sh.pty.resume();
    await sh.seen(/END/);
    const lines = Buffer.concat(sh.chunks).toString("latin1").split(/\r?\n/).filter((l) => /^\d+$/.test(l)).map(Number);
    expect(lines).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(await sh.exit).toBe(0);
  }, 20_000);

  it("a shell that ends right after fast output: every byte arrives, with the main thread slow to take them", async () => {
    // Paused and resumed for backpressure near the end, which is when libuv may report end-of-file
    // while output is still readable (pty-worker.cjs, drainAfterEnd): repeated, as it is a race.
    for (let run = 0; run < 4; run++) {
      const host = new PtyHost(workerFile, nodePty, { pauseBytes: 64 * 1024 });
      const sh = hosted(host, "head -c 3000000 /dev/zero | tr '\\0' 'a'; printf END");
      const until = Date.now() + 200; // the thread must hold about pauseBytes meanwhile
      while (Date.now() < until);
      expect(await sh.exit).toBe(0);
      expect(sh.bytes()).toBe(3_000_003);
      expect(Buffer.concat(sh.chunks).subarray(-4).toString()).toBe("aEND");
      expect(Math.max(...sh.chunks.map((c) => c.byteLength))).toBeLessThan(64 * 1024 + 8192);
    }
  }, 60_000);

  it("a shell that exits while the main thread keeps its PTY paused still delivers its last output", async () => {
    const host = new PtyHost(workerFile, nodePty, { exitCheckMs: 20 });
    const sh = hosted(host, "stty -echo; printf 'ready\\n'; read go; seq 1 2000; printf END");
    await sh.seen(/ready/);
    sh.pty.pause(); // flow control from the server, say, and it stays paused
    sh.pty.write("\r"); // the shell prints ~10 kB (within the kernel's PTY buffers) and exits
    expect(await sh.exit).toBe(0);
    const text = Buffer.concat(sh.chunks).toString("latin1");
    const lines = text.split(/\r?\n/).filter((l) => /^\d+$/.test(l)).map(Number);
    expect(lines).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(text.endsWith("END")).toBe(true);
  }, 30_000);

  it("kill ends the shell; a later spawn starts a new thread", async () => {
    const terminate = vi.spyOn(Worker.prototype, "terminate");
    const host = new PtyHost(workerFile, nodePty);
    const sh = hosted(host, "sleep 30");
    await new Promise((r) => setTimeout(r, 100));
    sh.pty.kill("SIGKILL");
    await sh.exit;
    expect(terminate).toHaveBeenCalledTimes(1);
    const again = hosted(host, "printf second");
    await again.seen(/second/);
    expect(await again.exit).toBe(0);
    expect(new Set(terminate.mock.contexts).size).toBe(2); // two threads, each let go with its last PTY
  }, 20_000);

  it("reports every live PTY as exited when the thread dies, and warns", async () => {
    const warnings: string[] = [];
    const host = new PtyHost(workerFile, "/nonexistent/node-pty.node", { onWarn: (w) => warnings.push(w) });
    const sh = hosted(host, "sleep 30");
    expect(await sh.exit).toBe(1);
    expect(warnings.join("\n")).toMatch(/PTY thread/);
  }, 20_000);
});
