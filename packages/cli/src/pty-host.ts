/**
 * Runs the session's PTYs on a thread of their own (pty-worker.cjs) behind the `SpawnPty` interface
 * the shell pool already uses: each PTY is a proxy whose calls become messages to the thread and whose
 * output arrives in batches, acknowledged once the pool has taken them (that acknowledgement is the
 * thread's backpressure). Why: docs/decisions.md, "PTYs on their own thread".
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { PtyLike, SpawnOptions, SpawnPty } from "./shells.js";

export interface PtyHostOptions {
  /** Output batching (spec §2.3, as coalescer.ts): the first read after quiet at once, then batches of `batchBytes` or every `flushMs`. */
  flushMs?: number;
  batchBytes?: number;
  /**
   * Largest batch. With `maxInFlight`, it bounds what still reaches the main thread after it pauses a
   * PTY (its resend buffer's slack when offline: 64 KiB crossing + 2 × 64 KiB in flight = 192 KiB).
   */
  maxBatchBytes?: number;
  /** Output batches the thread may post before the main thread acknowledges (latency vs batching). */
  maxInFlight?: number;
  /** Output waiting in the thread at which the PTY is paused until the main thread catches up. */
  pauseBytes?: number;
  /** While a PTY is paused, how often to check that its shell is alive (its last output is read once it is not). */
  exitCheckMs?: number;
  onWarn?: (message: string) => void;
}

/** The worker script next to this module (sources, tsc output and bundles all carry it), or null. */
export function ptyWorkerFile(): string | null {
  const file = fileURLToPath(new URL("./pty-worker.cjs", import.meta.url));
  return existsSync(file) ? file : null;
}

type WorkerMessage =
  | { t: "spawned"; id: number; pid: number }
  | { t: "data"; id: number; chunk: Uint8Array }
  | { t: "exit"; id: number; exitCode: number; error?: string };

export class PtyHost {
  private worker: Worker | null = null;
  private readonly live = new Map<number, HostedPty>();
  private lastId = 0;

  constructor(
    private readonly workerFile: string,
    private readonly nodePtyPath: string,
    private readonly opts: PtyHostOptions = {},
  ) {}

  readonly spawn: SpawnPty = (file: string, args: string[], opts: SpawnOptions): PtyLike => {
    const id = ++this.lastId;
    const worker = this.ensureWorker();
    const pty = new HostedPty(id, (msg) => worker.postMessage(msg));
    this.live.set(id, pty);
    worker.postMessage({ t: "spawn", id, file, args, opts });
    return pty;
  };

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerFile, {
      workerData: {
        taikuPtyHost: true,
        nodePtyPath: this.nodePtyPath,
        flushMs: this.opts.flushMs ?? 10,
        batchBytes: this.opts.batchBytes ?? 16 * 1024,
        maxBatchBytes: this.opts.maxBatchBytes ?? 64 * 1024,
        maxInFlight: this.opts.maxInFlight ?? 2,
        pauseBytes: this.opts.pauseBytes ?? 1024 * 1024,
        exitCheckMs: this.opts.exitCheckMs ?? 50,
      },
    });
    worker.unref(); // the session, not this thread, decides when the process ends
    worker.on("message", (m: WorkerMessage) => this.onMessage(worker, m));
    worker.on("error", (err) => this.lost(worker, `PTY thread failed: ${err.message}`));
    worker.on("exit", (code) => this.lost(worker, `PTY thread exited (${code})`));
    this.worker = worker;
    return worker;
  }

  private onMessage(worker: Worker, m: WorkerMessage): void {
    const pty = this.live.get(m.id);
    if (!pty) return;
    if (m.t === "spawned") pty.pid = m.pid;
    else if (m.t === "data") {
      try {
        pty.deliver(m.chunk);
      } finally {
        // The chunk was consumed during delivery (PtyLike.onData): its buffer goes back for reuse.
        const buffer = m.chunk.buffer as ArrayBuffer;
        worker.postMessage({ t: "ack", id: m.id, buffer }, [buffer]);
      }
    } else {
      if (m.error) this.opts.onWarn?.(`shell ${m.id}: ${m.error}`);
      this.exited(m.id, m.exitCode);
    }
  }

  private exited(id: number, exitCode: number): void {
    const pty = this.live.get(id);
    if (!pty) return;
    this.live.delete(id);
    pty.exited(exitCode);
    // No PTYs left: let the thread go (a later spawn starts a new one).
    if (this.live.size === 0 && this.worker) {
      const w = this.worker;
      this.worker = null;
      void w.terminate();
    }
  }

  /** The thread died under live PTYs: report them as exited so the session does not wait forever. */
  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return; // a thread we terminated on purpose
    this.worker = null;
    if (this.live.size > 0) this.opts.onWarn?.(why);
    for (const id of [...this.live.keys()]) this.exited(id, 1);
  }
}

class HostedPty implements PtyLike {
  pid = 0;
  /** Output arrives already batched by the PTY thread (the pool skips its own coalescer). */
  readonly batched = true;
  private dataCb: ((data: Uint8Array) => void) | null = null;
  private exitCb: ((e: { exitCode: number }) => void) | null = null;

  constructor(
    private readonly id: number,
    private readonly post: (msg: object) => void,
  ) {}

  onData(cb: (data: Uint8Array) => void): { dispose(): void } {
    this.dataCb = cb;
    return { dispose: () => void (this.dataCb = null) };
  }

  onExit(cb: (e: { exitCode: number }) => void): { dispose(): void } {
    this.exitCb = cb;
    return { dispose: () => void (this.exitCb = null) };
  }

  write(data: string | Buffer): void {
    // An exact-size copy: cloning a view would copy its whole (possibly pooled) ArrayBuffer.
    this.post({ t: "write", id: this.id, data: typeof data === "string" ? Buffer.from(data, "utf8") : new Uint8Array(data) });
  }

  resize(cols: number, rows: number): void {
    this.post({ t: "resize", id: this.id, cols, rows });
  }

  pause(): void {
    this.post({ t: "pause", id: this.id });
  }

  resume(): void {
    this.post({ t: "resume", id: this.id });
  }

  kill(signal?: string): void {
    this.post({ t: "kill", id: this.id, signal });
  }

  deliver(chunk: Uint8Array): void {
    this.dataCb?.(chunk);
  }

  exited(exitCode: number): void {
    this.exitCb?.({ exitCode });
  }
}
