/**
 * Runner contract (spec §2) and BaseRunner with per-thread resume locking (spec §5.5).
 */
import { Mutex } from "./concurrency.js";
import type { AgentEvent, EngineId, ResumeToken } from "./model.js";
import { threadKey } from "./model.js";
import type { ResumeCodec } from "./resume.js";
import { defaultResumeCodec } from "./resume.js";

export interface RunOptions {
  /** Aborting kills the engine's process group and ends the iteration without further events. */
  signal?: AbortSignal | null;
  /** Run directory; null = the host process cwd. */
  cwd?: string | null;
  model?: string | null;
  reasoning?: string | null;
}

export interface Runner {
  readonly engine: EngineId;
  run(prompt: string, resume: ResumeToken | null, opts?: RunOptions): AsyncGenerator<AgentEvent, void>;
  formatResume(token: ResumeToken): string;
  extractResume(text: string | null | undefined): ResumeToken | null;
  isResumeLine(line: string): boolean;
}

interface LockEntry {
  mutex: Mutex;
  refs: number;
}

/**
 * Holds one lock per thread key while any run references it, so two runs of one engine-side
 * conversation never overlap; entries vanish when unused (takopi's weak-value semaphore map).
 */
export class ThreadLocks {
  private readonly entries = new Map<string, LockEntry>();

  /** The lock object for a token (same object while referenced). */
  lockFor(token: ResumeToken): Mutex {
    return this.entry(threadKey(token)).mutex;
  }

  private entry(key: string): LockEntry {
    let e = this.entries.get(key);
    if (!e) {
      e = { mutex: new Mutex(), refs: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  async acquire(token: ResumeToken, signal?: AbortSignal | null): Promise<() => void> {
    const key = threadKey(token);
    const e = this.entry(key);
    e.refs++;
    let release: () => void;
    try {
      release = await e.mutex.acquire(signal);
    } catch (err) {
      this.unref(key, e);
      throw err;
    }
    return () => {
      release();
      this.unref(key, e);
    };
  }

  private unref(key: string, e: LockEntry): void {
    e.refs--;
    if (e.refs <= 0 && this.entries.get(key) === e) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

export abstract class BaseRunner implements Runner {
  readonly engine: EngineId;
  protected readonly resumeCodec: ResumeCodec;
  readonly locks = new ThreadLocks();

  constructor(engine: EngineId, codec?: ResumeCodec) {
    this.engine = engine;
    this.resumeCodec = codec ?? defaultResumeCodec(engine);
  }

  formatResume(token: ResumeToken): string {
    if (token.engine !== this.engine) throw new Error(`resume token is for engine '${token.engine}', not '${this.engine}'`);
    return this.resumeCodec.formatResume(token);
  }

  extractResume(text: string | null | undefined): ResumeToken | null {
    return this.resumeCodec.extractResume(text);
  }

  isResumeLine(line: string): boolean {
    return this.resumeCodec.isResumeLine(line);
  }

  /** Engine-specific run; BaseRunner wraps it with locking. */
  protected abstract runImpl(prompt: string, resume: ResumeToken | null, opts: RunOptions): AsyncGenerator<AgentEvent, void>;

  async *run(prompt: string, resume: ResumeToken | null, opts: RunOptions = {}): AsyncGenerator<AgentEvent, void> {
    if (resume && resume.engine !== this.engine) {
      throw new Error(`resume token is for engine '${resume.engine}', not '${this.engine}'`);
    }
    let release: (() => void) | null = null;
    try {
      // A resumed thread is locked before anything is spawned (C1).
      if (resume) release = await this.locks.acquire(resume, opts.signal);
      for await (const ev of this.runImpl(prompt, resume, opts)) {
        // A new thread takes its lock before yielding `started` (C3, C4).
        if (ev.type === "started" && !release) release = await this.locks.acquire(ev.resume, opts.signal);
        yield ev;
      }
    } finally {
      release?.();
    }
  }
}
