/**
 * The PTY host thread (pty-host.ts starts it; plain JavaScript so that it runs as is from the sources,
 * the bundle and the npm package alike). It owns the session's node-pty instances, reads their output
 * and writes their input, so that the thread reading a PTY is never the one that seals, encodes and
 * sends: the kernel hands a PTY reader at most 4 KiB per read, and while the reading thread is busy the
 * shell is blocked (docs/benchmarks.md, "Relayed throughput").
 *
 * Output is batched here (OutputBatcher) as the CLI batches frames, so the main thread gets one message
 * per frame rather than one per 4 KiB read; the PTY is paused while the main thread is behind.
 *
 * Messages in: spawn {id, file, args, opts}, write {id, data}, resize {id, cols, rows},
 *              pause {id}, resume {id}, kill {id, signal}, ack {id, buffer?}.
 * Messages out: spawned {id, pid}, data {id, chunk} (chunk's buffer transferred), exit {id, exitCode, error?}.
 *
 * A batch's buffer comes back with its `ack` (transferred again) and is reused for a later batch, so
 * output crosses the thread without a fresh buffer per batch: at tens of MB/s those buffers were
 * garbage that the main thread's collector paid for (docs/benchmarks.md, session 4).
 */
"use strict";
const { isMainThread, parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");

/**
 * Input to a non-blocking PTY master fd, written synchronously (node-pty's own `write` goes through the
 * libuv thread pool: a thread hop per keystroke). EAGAIN (the shell is not reading) keeps the rest
 * queued, in order, retried every `retryMs`; any other error (EIO: the shell is gone) drops the input.
 */
class PtyWriter {
  constructor(fd, opts = {}) {
    this.fd = fd;
    this.retryMs = opts.retryMs ?? 2;
    this.write = opts.writeSync ?? ((f, d) => fs.writeSync(f, d));
    this.onError = opts.onError ?? (() => {});
    this.queue = [];
    this.timer = null;
    this.closed = false;
  }

  get pendingBytes() {
    let n = 0;
    for (const b of this.queue) n += b.byteLength;
    return n;
  }

  push(data) {
    if (this.closed || data.byteLength === 0) return;
    // Keep a copy only if it has to wait: the caller may reuse its buffer.
    if (this.queue.length > 0) return void this.queue.push(Uint8Array.from(data));
    const written = this.tryWrite(data);
    if (written < data.byteLength) {
      this.queue.push(Uint8Array.from(data.subarray(written)));
      this.schedule();
    }
  }

  close() {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  drain() {
    this.timer = null;
    while (!this.closed && this.queue.length > 0) {
      const head = this.queue[0];
      const written = this.tryWrite(head);
      if (written === head.byteLength) {
        this.queue.shift();
        continue;
      }
      this.queue[0] = head.subarray(written);
      return this.schedule();
    }
  }

  tryWrite(data) {
    try {
      return this.write(this.fd, data);
    } catch (err) {
      if (err && err.code === "EAGAIN") return 0;
      this.close();
      this.onError(err);
      return data.byteLength;
    }
  }

  schedule() {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.drain(), this.retryMs);
  }
}

/**
 * Batch buffers of one size (`maxBatchBytes`) that travel to the main thread and come back with the
 * acknowledgement. At most `keep` wait here; a buffer of another size (or a detached one) is dropped.
 */
class BufferPool {
  constructor(size, keep = 8) {
    this.size = size;
    this.keep = keep;
    this.free = [];
  }

  take() {
    return this.free.pop() ?? new ArrayBuffer(this.size);
  }

  give(buffer) {
    if (buffer instanceof ArrayBuffer && buffer.byteLength === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}

/**
 * Output of one PTY on its way to the main thread, batched as the CLI batches frames (coalescer.ts,
 * spec §2.3): the first read after a quiet spell goes at once (keystroke echo), later reads leave once
 * `batchBytes` have gathered or `flushMs` after the previous batch. At most `maxInFlight` batches of at
 * most `maxBatchBytes` wait for the main thread's acknowledgement, and none leave while the main thread
 * holds the PTY paused (`hold`), so what reaches it after it pauses is bounded; above `pauseBytes`
 * waiting here, reading pauses too (bounded memory). After input (`expectEcho`) the next read leaves at
 * once inside a window too (the keystroke's echo; coalescer.ts), or with the next acknowledgement.
 */
class OutputBatcher {
  constructor({ flushMs, batchBytes, maxBatchBytes = Infinity, maxInFlight, pauseBytes, post, pause, pool = null, setTimer = setTimeout, clearTimer = clearTimeout }) {
    Object.assign(this, { flushMs, batchBytes, maxBatchBytes, maxInFlight, pauseBytes, post, pause, pool, setTimer, clearTimer });
    this.parts = [];
    this.pending = 0;
    this.inFlight = 0;
    this.paused = false;
    this.held = false;
    this.timer = null;
    /** Input was written: the next read goes at once. */
    this.echoNext = false;
    /** A read that should go at once waits for an acknowledgement: send it with the next one. */
    this.urgent = false;
  }

  /** May a batch leave now? */
  get open() {
    return !this.held && this.inFlight < this.maxInFlight;
  }

  /** The main thread paused (true) or resumed (false) this PTY. */
  hold(on) {
    this.held = on;
    if (!on && this.pending > 0 && this.open) this.send();
  }

  push(data) {
    if (data.byteLength === 0) return;
    const echo = this.echoNext;
    this.echoNext = false;
    this.parts.push(data);
    this.pending += data.byteLength;
    if (this.timer === null) {
      if (this.open) this.send(); // quiet until now: at once
      this.arm();
    } else if (echo) {
      if (this.open) this.send(); // the answer to input: at once
      else this.urgent = true;
    } else if (this.pending >= this.batchBytes && this.open) this.send();
    if (this.pending >= this.pauseBytes && !this.paused) {
      this.paused = true;
      this.pause(true);
    }
  }

  /** Input was just written to the shell. */
  expectEcho() {
    this.echoNext = true;
  }

  ack() {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if ((this.pending >= this.batchBytes || (this.urgent && this.pending > 0)) && this.open) this.send();
    if (this.paused && this.pending < this.pauseBytes) {
      this.paused = false;
      this.pause(false);
    }
  }

  /** Everything waiting, now, regardless of acknowledgements and holds (before an exit is reported). */
  flush() {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    while (this.pending > 0) this.send();
  }

  arm() {
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (this.pending === 0) return; // quiet: the next read goes at once
      if (this.open) this.send();
      this.arm();
    }, this.flushMs);
  }

  send() {
    // A buffer of its own (never Node's shared pool): its ArrayBuffer is transferred, then comes back with the ack.
    const size = Math.min(this.pending, this.maxBatchBytes);
    const chunk = this.pool && size <= this.pool.size ? new Uint8Array(this.pool.take(), 0, size) : new Uint8Array(size);
    for (let at = 0; at < size; ) {
      const p = this.parts[0];
      const take = Math.min(p.byteLength, size - at);
      chunk.set(take === p.byteLength ? p : p.subarray(0, take), at);
      at += take;
      if (take === p.byteLength) this.parts.shift();
      else this.parts[0] = p.subarray(take);
    }
    this.pending -= size;
    this.inFlight++;
    this.urgent = false;
    this.post(chunk);
  }
}

/**
 * Output left in the PTY when the stream reports its end. libuv sometimes reports end-of-file on a PTY
 * master while the shell's last output is still readable (seen on Linux 6.18: up to ~7 KB of a `cat`
 * that ends with the shell, more often when reading was paused near the end); node-pty then closes the
 * fd and those bytes are lost. Read synchronously until EIO (all read) — brief waits on EAGAIN are fine
 * on this thread — and hand over what was left.
 */
function drainAfterEnd(fd, deliver, maxBytes = 16 * 1024 * 1024) {
  const buf = Buffer.alloc(64 * 1024);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let total = 0;
  for (let waits = 0; total < maxBytes && waits < 20; ) {
    let n;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if (!err || err.code !== "EAGAIN") break; // EIO: the other side is closed and nothing is left
      waits++;
      Atomics.wait(nap, 0, 0, 1);
      continue;
    }
    if (n === 0) break;
    total += n;
    deliver(Uint8Array.prototype.slice.call(buf, 0, n));
  }
  return total;
}

function runHost(data, port) {
  const pty = require(data.nodePtyPath);
  const shells = new Map();
  const pool = Number.isFinite(data.maxBatchBytes) ? new BufferPool(data.maxBatchBytes) : null;
  const exited = (id, exitCode, error) => {
    const s = shells.get(id);
    if (!s) return;
    shells.delete(id);
    s.writer?.close();
    s.batcher.flush();
    port.postMessage(error ? { t: "exit", id, exitCode, error } : { t: "exit", id, exitCode });
  };

  function spawn(m) {
    let term;
    try {
      term = pty.spawn(m.file, m.args, m.opts);
    } catch (err) {
      return port.postMessage({ t: "exit", id: m.id, exitCode: 127, error: String(err && err.message ? err.message : err) });
    }
    const s = { term, mainPaused: false, selfPaused: false, writer: null, batcher: null, applyPause };
    s.batcher = new OutputBatcher({
      flushMs: data.flushMs,
      batchBytes: data.batchBytes,
      maxBatchBytes: data.maxBatchBytes,
      maxInFlight: data.maxInFlight,
      pauseBytes: data.pauseBytes,
      pool,
      post: (chunk) => port.postMessage({ t: "data", id: m.id, chunk }, [chunk.buffer]),
      pause: (on) => {
        s.selfPaused = on;
        applyPause();
      },
    });
    // A paused PTY whose shell has exited would be closed by node-pty 200 ms later with its last output
    // unread: while paused, check that the shell is alive and, once it is gone, read regardless.
    let watch = null;
    function applyPause() {
      const paused = s.mainPaused || s.selfPaused;
      if (!paused) return void term.resume();
      term.pause();
      if (watch) return;
      watch = setInterval(() => {
        if (!(s.mainPaused || s.selfPaused) || !shells.has(m.id)) return void (clearInterval(watch), (watch = null));
        try {
          process.kill(term.pid, 0);
        } catch {
          clearInterval(watch);
          watch = null;
          term.resume(); // the shell is gone: what is left is bounded by the kernel's PTY buffers
        }
      }, data.exitCheckMs);
    };
    if (typeof term.fd === "number" && process.platform !== "win32") s.writer = new PtyWriter(term.fd);
    shells.set(m.id, s);
    port.postMessage({ t: "spawned", id: m.id, pid: term.pid });
    term.onData((d) => s.batcher.push(typeof d === "string" ? Buffer.from(d, "utf8") : d));
    const socket = term._socket; // node-pty's read stream (not public API: guarded)
    if (socket && typeof socket.once === "function" && typeof term.fd === "number") {
      socket.once("end", () => drainAfterEnd(term.fd, (chunk) => s.batcher.push(chunk)));
    }
    term.onExit((e) => exited(m.id, e.exitCode));
  }

  port.on("message", (m) => {
    if (m.t === "spawn") return spawn(m);
    if (m.t === "ack" && pool && m.buffer) pool.give(m.buffer); // also when its shell is gone
    const s = shells.get(m.id);
    if (!s) return;
    try {
      switch (m.t) {
        case "write":
          s.batcher.expectEcho();
          if (s.writer) s.writer.push(m.data);
          else s.term.write(Buffer.from(m.data));
          return;
        case "ack":
          return s.batcher.ack();
        case "resize":
          return s.term.resize(m.cols, m.rows);
        case "pause":
        case "resume":
          s.mainPaused = m.t === "pause";
          s.batcher.hold(s.mainPaused);
          return s.applyPause();
        case "kill":
          return s.term.kill(m.signal);
      }
    } catch {
      // The PTY may have just exited; its exit is reported by onExit.
    }
  });
}

if (!isMainThread && workerData && workerData.taikuPtyHost) runHost(workerData, parentPort);

module.exports = { PtyWriter, OutputBatcher, BufferPool, drainAfterEnd };
