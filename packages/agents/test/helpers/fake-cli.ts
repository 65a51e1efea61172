/** Writes executable wrappers around test/fakes/fake-engine.mjs, one per engine. */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The pi runner invents session files under PI_CODING_AGENT_DIR (default ~/.pi/agent): keep test
// runs out of the real home directory.
process.env["PI_CODING_AGENT_DIR"] ??= join(tmpdir(), "taiku-agents-test-pi");

export const FAKE_ENGINE = fileURLToPath(new URL("../fakes/fake-engine.mjs", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function tempDir(prefix = "taiku-agents-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Creates `<dir>/<engine>` that runs the fake engine; returns its path. */
export function fakeCli(engine: string, dir: string = tempDir(), env: Record<string, string> = {}): string {
  const path = join(dir, engine);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}\n`).join("");
  writeFileSync(path, `#!/bin/sh\n${exports}exec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_ENGINE)} ${engine} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

export async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

/** Is a process with this pid still there? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Gone, or a zombie waiting to be reaped by init (it no longer runs). */
export function dead(pid: number): boolean {
  if (!alive(pid)) return true;
  try {
    return execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).trim().startsWith("Z");
  } catch {
    return true;
  }
}

export async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const FAKE_INTERACTIVE = fileURLToPath(new URL("../fakes/fake-interactive.mjs", import.meta.url));

/**
 * Creates `<dir>/<engine>` that behaves like the engine's interactive CLI started by hand: it
 * writes one turn to the engine's session transcript and waits for "q" (fakes/fake-interactive.mjs).
 */
export function fakeInteractiveCli(engine: string, dir: string = tempDir(), env: Record<string, string> = {}): string {
  const path = join(dir, engine);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}\n`).join("");
  writeFileSync(path, `#!/bin/sh\n${exports}exec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_INTERACTIVE)} ${engine} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}
