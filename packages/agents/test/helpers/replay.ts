/** Replays a fixture through a real engine runner by way of the fake CLI. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentEvent, ResumeToken } from "../../src/index.js";
import { ClaudeRunner, CodexRunner, OpencodeRunner, PiRunner } from "../../src/index.js";
import { collect, fakeCli, FIXTURES, tempDir } from "./fake-cli.js";

export type EngineName = "codex" | "claude" | "opencode" | "pi";

export function runnerFor(engine: EngineName, executable: string, extra: Record<string, unknown> = {}) {
  switch (engine) {
    case "codex": return new CodexRunner({ executable, ...extra });
    case "claude": return new ClaudeRunner({ executable, ...extra });
    case "opencode": return new OpencodeRunner({ executable, ...extra });
    case "pi": return new PiRunner({ executable, ...extra });
  }
}

export function fixtureLines(file: string, from = 1, to?: number): string {
  const lines = readFileSync(join(FIXTURES, file), "utf8").split("\n").filter((l) => l.trim());
  return lines.slice(from - 1, to).join("\n") + "\n";
}

export async function replay(
  engine: EngineName,
  fileOrText: { file: string } | { text: string },
  opts: { resume?: ResumeToken | null; exit?: number; cwd?: string } = {},
): Promise<AgentEvent[]> {
  const dir = tempDir();
  let path: string;
  if ("file" in fileOrText) path = join(FIXTURES, fileOrText.file);
  else {
    path = join(dir, "replay.jsonl");
    writeFileSync(path, fileOrText.text);
  }
  const exe = fakeCli(engine, dir, { FAKE_REPLAY: path, FAKE_EXIT: String(opts.exit ?? 0) });
  return collect(runnerFor(engine, exe).run("hi", opts.resume ?? null, { cwd: opts.cwd ?? dir }));
}

/** Compact view of an event for readable assertions. */
export function brief(ev: AgentEvent): string {
  if (ev.type === "started") return `started ${ev.resume.engine}:${ev.resume.value} ${ev.title}`;
  if (ev.type === "completed") return `completed ok=${ev.ok} answer=${JSON.stringify(ev.answer)} error=${JSON.stringify(ev.error)}`;
  return `action ${ev.phase} ${ev.action.id} ${ev.action.kind} ${JSON.stringify(ev.action.title)} ok=${ev.ok}`;
}
