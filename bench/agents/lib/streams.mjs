/**
 * Large synthetic JSONL streams per engine, built from the recorded fixtures in
 * packages/agents/test/fixtures/ (takopi/ and current/). One stream is one valid run:
 *   prefix — the lines of the engine's current fixture up to the one that yields `started`;
 *   body   — every fixture's lines that translate without `started` / `completed`, in file order
 *            (tool starts stay before their ends), repeated until the stream reaches the size asked;
 *   suffix — the current fixture's line that yields `completed`.
 * So the whole stream can also go through the real runner (nothing is dropped after `completed`).
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../../lib/bundle.mjs";

export const FIXTURES = join(REPO, "packages", "agents", "test", "fixtures");
export const FAKE_ENGINE = join(REPO, "packages", "agents", "test", "fakes", "fake-engine.mjs");
export const ENGINES = ["codex", "claude", "opencode", "pi"];
const MAIN = { codex: "current/codex-0.169.0.jsonl", claude: "current/claude-2.1.197.jsonl", opencode: "current/opencode-1.18.33.jsonl", pi: "current/pi-0.73.1.jsonl" };

export function runnerFor(lib, engine, executable = null) {
  const opts = executable ? { executable } : {};
  switch (engine) {
    case "codex": return new lib.CodexRunner(opts);
    case "claude": return new lib.ClaudeRunner(opts);
    case "opencode": return new lib.OpencodeRunner(opts);
    case "pi": return new lib.PiRunner(opts);
  }
  throw new Error(`unknown engine ${engine}`);
}

const lines = (file) => readFileSync(join(FIXTURES, file), "utf8").split("\n").filter((l) => l.trim());
const fixtureFiles = (engine) =>
  ["takopi", "current"]
    .flatMap((d) => readdirSync(join(FIXTURES, d)).filter((f) => f.startsWith(engine) && f.endsWith(".jsonl")).map((f) => `${d}/${f}`))
    .sort((a, b) => (a === MAIN[engine]) - (b === MAIN[engine]) || a.localeCompare(b)); // main fixture last: its state ends the run

/** Events of one line, as JsonlSubprocessRunner.lineEvents does (decode, then translate). */
function eventsOf(runner, state, line) {
  let data;
  try {
    data = runner.decodeLine(line);
  } catch {
    return null;
  }
  if (data === null) return null;
  try {
    return runner.translate(data, state, null, null);
  } catch {
    return null;
  }
}

export function buildStream(lib, engine, bytes) {
  const runner = runnerFor(lib, engine);
  const newState = () => runner.newState("bench", null, { cwd: "/work" });
  const main = lines(MAIN[engine]);
  const state = newState();
  const prefix = [];
  let startedAt = -1;
  let completedLine = null;
  for (let i = 0; i < main.length; i++) {
    const evs = eventsOf(runner, state, main[i]) ?? [];
    if (startedAt < 0) prefix.push(main[i]);
    if (evs.some((e) => e.type === "started")) startedAt = i;
    if (evs.some((e) => e.type === "completed")) completedLine = main[i];
  }
  if (startedAt < 0 || !completedLine) throw new Error(`${engine}: ${MAIN[engine]} has no started/completed line`);
  const body = [];
  const files = fixtureFiles(engine);
  for (const f of files) {
    const st = newState();
    for (const l of lines(f)) {
      const evs = eventsOf(runner, st, l);
      if (!evs || evs.some((e) => e.type === "started" || e.type === "completed")) continue;
      if (prefix.includes(l) && f === MAIN[engine]) continue;
      body.push(l);
    }
  }
  const block = body.join("\n") + "\n";
  const head = prefix.join("\n") + "\n";
  const tail = completedLine + "\n";
  const reps = Math.max(1, Math.ceil((bytes - head.length - tail.length) / Buffer.byteLength(block)));
  const buf = Buffer.from(head + block.repeat(reps) + tail, "utf8");
  return { buf, lines: prefix.length + reps * body.length + 1, bodyLines: body.length, files, reps };
}

/** An executable that prints `file` as the engine CLI would (the tests' fake engine in replay mode). */
export function fakeCli(engine, file) {
  const dir = mkdtempSync(join(tmpdir(), "taiku-bench-agents-"));
  const path = join(dir, engine);
  writeFileSync(path, `#!/bin/sh\nexport FAKE_REPLAY=${JSON.stringify(file)}\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_ENGINE)} ${engine} "$@"\n`);
  chmodSync(path, 0o755);
  return { path, dir };
}
