/** Spawn the built `taiku` binary (dist/taiku.js) as a user would, without a TTY. */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const bin = join(cliDir, "dist", "taiku.js");

/**
 * Build the bundle when it is missing or older than its sources. Test files run in parallel
 * workers, so builds are serialised with flock(1) and skipped when already current.
 */
export function ensureBundle(): void {
  execFileSync("flock", ["/tmp/taiku-cli-bundle.lock", process.execPath, join(cliDir, "scripts", "bundle.mjs"), "--if-stale"], { stdio: "pipe" });
}

export interface CliChild {
  proc: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runTaiku(args: string[], env: NodeJS.ProcessEnv = {}, binPath = bin): CliChild {
  const proc = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exit,
    async waitForLine(re, timeoutMs = 20_000) {
      const start = Date.now();
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (Date.now() - start > timeoutMs || proc.exitCode !== null) throw new Error(`no ${re} in stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

export function rssOf(pid: number): number {
  try {
    const status = execFileSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" });
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
