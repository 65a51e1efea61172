/** Starts the built `taiku` binary as a user would: `taiku serve` and `taiku` sharing a shell. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const TAIKU_BIN = join(ROOT, "packages", "cli", "dist", "taiku.js");

export function tempHome(prefix = "taiku-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout/stderr line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  output(): string;
}

export function startProcess(args: string[], env: Record<string, string>, cwd = ROOT, nodeArgs: string[] = []): Proc {
  if (!existsSync(TAIKU_BIN)) throw new Error(`${TAIKU_BIN} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [...nodeArgs, TAIKU_BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const onText = (buf: Buffer) => {
    for (const line of buf.toString("utf8").split(/\r?\n/)) {
      if (!line) continue;
      lines.push(line);
      for (const w of [...waiters]) {
        const m = line.match(w.re);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  };
  child.stdout!.on("data", onText);
  child.stderr!.on("data", onText);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    lines,
    exited,
    output: () => lines.join("\n"),
    waitFor(re, timeoutMs = 30_000) {
      for (const line of lines) {
        const m = line.match(re);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output so far:\n${lines.join("\n")}`)), timeoutMs);
        waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
