/**
 * The PTY pool: spawns the session's shells with node-pty (injected, so tests can fake it), assigns
 * shell ids (from 1, monotonic, never reused), coalesces output and reports exits.
 */
import { createRequire } from "node:module";
import { Coalescer } from "./coalescer.js";
import { PtyHost, ptyWorkerFile, type PtyHostOptions } from "./pty-host.js";

export interface PtyLike {
  readonly pid: number;
  /** Output already comes in batches (spec §2.3), e.g. from the PTY thread: no coalescing here. */
  readonly batched?: boolean;
  /** `data` is valid only during the callback (the PTY thread reuses its buffer): copy what is kept. */
  onData(cb: (data: string | Uint8Array) => void): { dispose(): void };
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
}

export interface SpawnOptions {
  name: string;
  cols: number;
  rows: number;
  cwd: string;
  env: Record<string, string>;
  encoding: null;
}

export type SpawnPty = (file: string, args: string[], opts: SpawnOptions) => PtyLike;

export interface NodePtySpawnOptions extends Pick<PtyHostOptions, "flushMs" | "batchBytes"> {
  /**
   * Run the PTYs on their own thread (pty-host.ts; default). `false`, or TAIKU_PTY_THREAD=0, keeps
   * them on the main thread, as before.
   */
  thread?: boolean;
  onWarn?: (message: string) => void;
}

/** node-pty, loaded lazily so that `taiku --help` and `taiku serve` never load the native addon. */
export async function nodePtySpawn(opts: NodePtySpawnOptions = {}): Promise<SpawnPty> {
  const threaded = opts.thread ?? process.env.TAIKU_PTY_THREAD !== "0";
  const workerFile = threaded && process.platform !== "win32" ? ptyWorkerFile() : null;
  if (workerFile) {
    // Resolved here, so a missing or broken node-pty fails now, as the import below would.
    const nodePtyPath = createRequire(import.meta.url).resolve("node-pty");
    await import("node-pty");
    const { thread: _thread, ...hostOptions } = opts;
    return new PtyHost(workerFile, nodePtyPath, hostOptions).spawn;
  }
  const pty = await import("node-pty");
  return (file, args, opts) => pty.spawn(file, args, opts as never) as unknown as PtyLike;
}

export interface ShellPoolOptions {
  spawn: SpawnPty;
  shell: string;
  cwd: string;
  /** Base environment; the pool adds TERM and TAIKU_SHELL_ID. */
  env: Record<string, string>;
  flushMs: number;
  flushBytes: number;
  maxChunk: number;
  /** Coalescer batch size under backlog (see coalescer.ts); default: no growth. */
  backlogBytes?: number;
  onOutput(shellId: number, chunk: Uint8Array): void;
  onExit(shellId: number, exitCode: number): void;
}

interface Shell {
  id: number;
  rows: number;
  cols: number;
  pty: PtyLike;
  /** Null when the PTY batches its output itself. */
  coalescer: Coalescer | null;
}

export class ShellPool {
  private readonly shells = new Map<number, Shell>();
  private lastId = 0;

  constructor(private readonly opts: ShellPoolOptions) {}

  create(rows: number, cols: number, extraEnv: Record<string, string> = {}): { id: number; rows: number; cols: number } {
    const id = ++this.lastId;
    const env: Record<string, string> = { ...this.opts.env, ...extraEnv, TERM: "xterm-256color", TAIKU_SHELL_ID: String(id) };
    const pty = this.opts.spawn(this.opts.shell, [], { name: "xterm-256color", cols, rows, cwd: this.opts.cwd, env, encoding: null });
    const emit = (chunk: Uint8Array) => this.opts.onOutput(id, chunk);
    const coalescer = pty.batched ? null : new Coalescer({
      flushMs: this.opts.flushMs,
      flushBytes: this.opts.flushBytes,
      maxChunk: this.opts.maxChunk,
      ...(this.opts.backlogBytes ? { backlogBytes: this.opts.backlogBytes } : {}),
      emit,
    });
    const shell: Shell = { id, rows, cols, pty, coalescer };
    this.shells.set(id, shell);
    const max = this.opts.maxChunk;
    pty.onData((d) => {
      const bytes = typeof d === "string" ? Buffer.from(d, "utf8") : d;
      if (coalescer) return coalescer.push(bytes);
      for (let off = 0; off < bytes.byteLength; off += max) emit(bytes.subarray(off, off + max)); // frames ≤ maxChunk
    });
    pty.onExit(({ exitCode }) => {
      if (!this.shells.has(id)) return;
      coalescer?.dispose(); // last output goes out before the exit is reported
      this.shells.delete(id);
      this.opts.onExit(id, exitCode);
    });
    return { id, rows, cols };
  }

  has(id: number): boolean {
    return this.shells.has(id);
  }

  ids(): number[] {
    return [...this.shells.keys()];
  }

  get size(): number {
    return this.shells.size;
  }

  dims(id: number): { rows: number; cols: number } | undefined {
    const s = this.shells.get(id);
    return s && { rows: s.rows, cols: s.cols };
  }

  write(id: number, data: Uint8Array): void {
    this.shells.get(id)?.coalescer?.expectEcho();
    this.shells.get(id)?.pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  resize(id: number, rows: number, cols: number): void {
    const s = this.shells.get(id);
    if (!s) return;
    s.rows = rows;
    s.cols = cols;
    try {
      s.pty.resize(cols, rows);
    } catch {
      // The PTY may have just exited; its exit is reported separately.
    }
  }

  /** Redraw nudge after a link rotation: full-screen programs repaint on SIGWINCH. */
  nudge(id: number): void {
    const s = this.shells.get(id);
    if (!s) return;
    try {
      s.pty.resize(s.cols + 1, s.rows);
      s.pty.resize(s.cols, s.rows);
    } catch {
      // exited meanwhile
    }
  }

  pause(id: number): void {
    this.shells.get(id)?.pty.pause();
  }

  resume(id: number): void {
    this.shells.get(id)?.pty.resume();
  }

  /** Close one shell; its onExit still fires (the PTY reports the kill). */
  kill(id: number, signal = "SIGHUP"): void {
    const s = this.shells.get(id);
    if (!s) return;
    try {
      s.pty.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Kill every shell without reporting exits (session teardown). */
  killAll(): void {
    for (const s of this.shells.values()) {
      s.coalescer?.dispose();
      try {
        s.pty.kill("SIGHUP");
      } catch {
        // already gone
      }
    }
    this.shells.clear();
  }
}
