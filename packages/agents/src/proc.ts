/**
 * Process helpers: spawn an engine CLI as the leader of its own process group and tear the whole
 * group down (SIGTERM, then SIGKILL after a grace period) — spec §5.2 step 6.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { constants as osConstants } from "node:os";
import { getLogger } from "./logger.js";

export const DEFAULT_KILL_GRACE_MS = 2000;

export interface SpawnedProcess {
  child: ChildProcess;
  /** Resolves with the exit code (negative signal number when killed by a signal). */
  exited: Promise<number>;
  isRunning(): boolean;
}

export async function spawnGroup(argv: readonly string[], opts: { cwd?: string | null; env?: NodeJS.ProcessEnv | null }): Promise<SpawnedProcess> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("empty argv");
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? undefined,
    env: opts.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
    // POSIX: new process group, so cancel reaches grandchildren too. Windows has no groups.
    detached: process.platform !== "win32",
    windowsHide: true,
  });
  let running = true;
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolve(code ?? (signal ? -(osConstants.signals[signal] ?? 1) : -1));
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (err) => {
      running = false;
      reject(err);
    });
  });
  child.on("error", (err) => getLogger().debug("subprocess error", { error: String(err) }));
  return { child, exited, isRunning: () => running };
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    if (process.platform === "win32") child.kill(sig);
    else process.kill(-pid, sig);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return; // already gone — not an error
    try {
      child.kill(sig); // fall back to the child alone
    } catch {
      /* vanished */
    }
  }
}

function timeout(ms: number): { promise: Promise<"timeout">; cancel(): void } {
  let t: NodeJS.Timeout | undefined;
  const promise = new Promise<"timeout">((resolve) => (t = setTimeout(() => resolve("timeout"), ms)));
  return { promise, cancel: () => clearTimeout(t) };
}

/**
 * SIGTERM the process group, wait up to `graceMs`, then SIGKILL the group. Also signals the group
 * when the leader already exited, so orphaned grandchildren do not survive a cancel.
 */
export async function terminateGroup(proc: SpawnedProcess, graceMs = DEFAULT_KILL_GRACE_MS): Promise<number> {
  signalGroup(proc.child, "SIGTERM");
  if (proc.isRunning()) {
    const t = timeout(graceMs);
    const r = await Promise.race([proc.exited, t.promise]);
    t.cancel();
    if (r !== "timeout") {
      signalGroup(proc.child, "SIGKILL"); // leftovers that ignored SIGTERM
      return r;
    }
  }
  signalGroup(proc.child, "SIGKILL");
  return proc.exited;
}

/** PATH (+PATHEXT on Windows) lookup; returns the absolute path or null. */
export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const isFile = (p: string) => {
    try {
      if (!statSync(p).isFile()) return false;
      if (process.platform !== "win32") accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (isAbsolute(cmd) || cmd.includes("/")) return isFile(cmd) ? cmd : null;
  const exts = process.platform === "win32" ? ["", ...(env["PATHEXT"] ?? ".EXE;.CMD;.BAT").split(";")] : [""];
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = join(dir, cmd + ext);
      if (isFile(p)) return p;
    }
  }
  return null;
}
