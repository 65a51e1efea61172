/**
 * Agents started by hand in a shared shell (platform spec §3.13): every `intervalMs` the CLI
 * looks at each shell's process tree (Linux `/proc`), finds a known agent CLI among the shell's
 * descendants (`claude`, `codex`, `opencode`, `pi`, by process name or by the program name of its
 * command line), and tails that agent's session transcript with the same translators as
 * chat-started runs, emitting `agent_status` / `agent.*` events for that shell.
 *
 * The shells are the CLI's direct children whose environment carries this session's
 * `TAIKU_SESSION_ID` and a `TAIKU_SHELL_ID`. Where `/proc` does not exist, nothing is detected.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { AgentRunTelemetry, type AgentEventSink } from "./telemetry.js";
import { newestTranscript, transcriptCandidates, TranscriptTranslator, type TranscriptEngine } from "./transcripts.js";

export const DETECTED_AGENTS = ["claude", "codex", "opencode", "pi"] as const;
export type DetectedAgent = (typeof DETECTED_AGENTS)[number];

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
}

/** Every process: pid, parent pid, and `comm`. */
export function listProcesses(procRoot = "/proc"): ProcInfo[] {
  const out: ProcInfo[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`${procRoot}/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      out.push({ pid: Number(name), ppid, comm });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function readEnviron(pid: number, procRoot = "/proc"): Record<string, string> {
  try {
    const raw = readFileSync(`${procRoot}/${pid}/environ`, "utf8");
    const env: Record<string, string> = {};
    for (const kv of raw.split("\0")) {
      const i = kv.indexOf("=");
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
  } catch {
    return {};
  }
}

function cmdline(pid: number, procRoot: string): string[] {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Which agent a process is: its `comm`, else its program or (for `node <script>`) script name. */
export function agentOf(p: ProcInfo, procRoot = "/proc"): DetectedAgent | null {
  const known = DETECTED_AGENTS as readonly string[];
  if (known.includes(p.comm)) return p.comm as DetectedAgent;
  const argv = cmdline(p.pid, procRoot);
  const prog = argv[0] ? basename(argv[0]) : "";
  if (known.includes(prog)) return prog as DetectedAgent;
  if (/^(node|nodejs|bun|deno)$/.test(prog) && argv[1] && !argv[1].startsWith("-")) {
    const script = basename(argv[1]).replace(/\.(c|m)?js$/, "");
    if (known.includes(script)) return script as DetectedAgent;
  }
  return null;
}

/** The agent process in a shell's tree (breadth first: the outermost agent wins), or null. */
export function findAgent(shellPid: number, procs: ProcInfo[], procRoot = "/proc"): { pid: number; agent: DetectedAgent } | null {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const queue = [...(children.get(shellPid) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    const agent = agentOf(p, procRoot);
    if (agent) return { pid: p.pid, agent };
    queue.push(...(children.get(p.pid) ?? []));
  }
  return null;
}

/** Appends complete lines of a growing file. */
class FileTail {
  private offset = 0;
  private rest = "";
  constructor(readonly path: string) {}
  read(): string[] {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return [];
    }
    if (size < this.offset) this.offset = 0; // truncated: start over
    if (size === this.offset) return [];
    const fd = openSync(this.path, "r");
    try {
      const buf = Buffer.alloc(Math.min(size - this.offset, 8 * 1024 * 1024));
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.rest + buf.subarray(0, n).toString("utf8");
      const lines = text.split("\n");
      this.rest = lines.pop() ?? "";
      return lines.filter((l) => l.trim());
    } finally {
      closeSync(fd);
    }
  }
}

interface Tracked {
  pid: number;
  agent: DetectedAgent;
  telemetry: AgentRunTelemetry;
  since: number;
  cwd: string;
  env: Record<string, string>;
  tail: FileTail | null;
  translator: TranscriptTranslator | null;
  answered: boolean;
}

export interface AgentDetectorOptions {
  sessionId: () => string;
  shellIds: () => number[];
  sink: AgentEventSink;
  /** Poll interval (default 1000 ms). */
  intervalMs?: number;
  procRoot?: string;
  /** The process whose children are the shells (default: this one). */
  parentPid?: number;
  log?: (m: string) => void;
}

export class AgentDetector {
  private readonly tracked = new Map<number, Tracked>();
  private readonly shellPids = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly procRoot: string;

  constructor(private readonly opts: AgentDetectorOptions) {
    this.procRoot = opts.procRoot ?? "/proc";
  }

  static supported(procRoot = "/proc"): boolean {
    return existsSync(`${procRoot}/self/stat`);
  }

  start(): void {
    if (this.timer || !AgentDetector.supported(this.procRoot)) return;
    this.timer = setInterval(() => this.poll(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Agents currently tracked, per shell. */
  agents(): Array<{ shellId: number; agent: DetectedAgent; pid: number; instanceId: string; transcript: string | null }> {
    return [...this.tracked.entries()].map(([shellId, t]) => ({ shellId, agent: t.agent, pid: t.pid, instanceId: t.telemetry.instanceId, transcript: t.tail?.path ?? null }));
  }

  /** One detection pass (public for tests). */
  poll(): void {
    try {
      this.pollOnce();
    } catch (err) {
      this.opts.log?.(`agent detection: ${String(err)}`);
    }
  }

  private pollOnce(): void {
    const procs = listProcesses(this.procRoot);
    const shells = new Set(this.opts.shellIds());
    this.mapShells(procs, shells);
    for (const shellId of shells) {
      const shellPid = this.shellPids.get(shellId);
      const found = shellPid ? findAgent(shellPid, procs, this.procRoot) : null;
      const current = this.tracked.get(shellId);
      if (current && (!found || found.pid !== current.pid)) this.stop(shellId, current);
      if (found && (!current || found.pid !== current.pid)) this.begin(shellId, found.pid, found.agent);
      const t = this.tracked.get(shellId);
      if (t) this.pump(t);
    }
    for (const [shellId, t] of this.tracked) if (!shells.has(shellId)) this.stop(shellId, t);
  }

  private mapShells(procs: ProcInfo[], shells: Set<number>): void {
    for (const [id, pid] of this.shellPids) if (!shells.has(id) || !existsSync(`${this.procRoot}/${pid}`)) this.shellPids.delete(id);
    if ([...shells].every((id) => this.shellPids.has(id))) return;
    const parent = this.opts.parentPid ?? process.pid;
    const sid = this.opts.sessionId();
    for (const p of procs) {
      if (p.ppid !== parent) continue;
      const env = readEnviron(p.pid, this.procRoot);
      if (env["TAIKU_SESSION_ID"] !== sid || !env["TAIKU_SHELL_ID"]) continue;
      const id = Number(env["TAIKU_SHELL_ID"]);
      if (shells.has(id)) this.shellPids.set(id, p.pid);
    }
  }

  private begin(shellId: number, pid: number, agent: DetectedAgent): void {
    let cwd = "";
    try {
      cwd = readlinkSync(`${this.procRoot}/${pid}/cwd`);
    } catch {
      // not ours to read
    }
    const telemetry = new AgentRunTelemetry(this.opts.sink, shellId, agent);
    const t: Tracked = { pid, agent, telemetry, since: Date.now(), cwd, env: readEnviron(pid, this.procRoot), tail: null, translator: null, answered: false };
    this.tracked.set(shellId, t);
    telemetry.setStatus("running");
    this.opts.log?.(`detected ${agent} (pid ${pid}) in shell ${shellId}`);
  }

  private pump(t: Tracked): void {
    if (t.agent === "opencode" || !t.cwd) return;
    const engine = t.agent as TranscriptEngine;
    if (!t.tail) {
      // A transcript written since the agent started (2 s slack for coarse mtimes).
      const path = newestTranscript(transcriptCandidates(engine, t.cwd, t.env), t.since - 2000);
      if (!path) return;
      t.tail = new FileTail(path);
      t.translator = new TranscriptTranslator(engine, t.cwd, path);
    }
    for (const raw of t.tail.read()) {
      const r = t.translator!.line(raw);
      if (r.user) {
        t.telemetry.userMessage(r.user);
        t.telemetry.setStatus("thinking");
      }
      for (const ev of r.events) t.telemetry.event(ev);
      if (r.turnEnd) {
        t.answered = true;
        t.telemetry.turnEnded();
      }
    }
  }

  private stop(shellId: number, t: Tracked): void {
    this.pump(t); // last lines
    t.telemetry.finish(t.answered ? "done" : "stopped");
    this.tracked.delete(shellId);
    this.opts.log?.(`${t.agent} (pid ${t.pid}) left shell ${shellId}`);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const [shellId, t] of this.tracked) this.stop(shellId, t);
  }
}
