#!/usr/bin/env node
/**
 * JSONL translation throughput of the @taiku/agents engine translators, per engine, on large
 * synthetic streams built from the recorded fixtures (lib/streams.mjs).
 *   node bench/agents/translate.mjs [--mb 50] [--runs 3] [--engines codex,claude,opencode,pi] [--skip-runner]
 * Two figures per engine:
 *   in-process — the runner's own pipeline without a process: LineSplitter over 64 KiB chunks,
 *     trimAscii, runner.decodeLine (JSON.parse + the engine's zod schema), runner.translate;
 *     best and median of --runs, one fresh state per run;
 *   JSON.parse floor — the same LineSplitter + JSON.parse of every line and nothing else, same runs;
 *   runner — the whole JsonlSubprocessRunner.run(): the tests' fake engine replays the stream on a
 *     pipe, events are consumed from the async generator (spawn, pipe reads, line queue included).
 * MB = 10^6 bytes of JSONL. Prints plain lines; asserts nothing; each run is bounded (--timeout s).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildAgents } from "./lib/build.mjs";
import { buildStream, ENGINES, fakeCli, runnerFor } from "./lib/streams.mjs";

const MB = 1e6;
const fmt = (n, d = 1) => (n === null || n === undefined || Number.isNaN(n) ? "n/a" : n.toFixed(d));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

import { machineLine } from "../lib/run.mjs";

/** The runner's per-line pipeline, in process. Returns { ms, events, lines }. */
function translateOnce(lib, runner, buf, chunk = 65536) {
  const state = runner.newState("bench", null, { cwd: "/work" });
  const split = new lib.LineSplitter();
  let events = 0;
  let lines = 0;
  let found = null;
  const t0 = performance.now();
  const each = (items) => {
    for (const it of items) {
      if (it.kind !== "line") continue;
      const line = lib.trimAscii(it.text);
      if (!line) continue;
      lines++;
      let data;
      try {
        data = runner.decodeLine(line);
      } catch {
        continue;
      }
      if (data === null) continue;
      const evs = runner.translate(data, state, null, found);
      for (const e of evs) if (e.type === "started") found = e.resume;
      events += evs.length;
    }
  };
  for (let off = 0; off < buf.length; off += chunk) each(split.push(buf.subarray(off, off + chunk)));
  each(split.end());
  return { ms: performance.now() - t0, events, lines };
}

/** The floor of any translator: the same LineSplitter + JSON.parse of every line, nothing else. */
function parseOnly(lib, buf, chunk = 65536) {
  const split = new lib.LineSplitter();
  let n = 0;
  const t0 = performance.now();
  const each = (items) => {
    for (const it of items) if (it.kind === "line" && it.text) n += JSON.parse(it.text) ? 1 : 0;
  };
  for (let off = 0; off < buf.length; off += chunk) each(split.push(buf.subarray(off, off + chunk)));
  each(split.end());
  return { ms: performance.now() - t0, lines: n };
}

async function viaRunner(lib, engine, file, timeoutMs) {
  const cli = fakeCli(engine, file);
  const runner = runnerFor(lib, engine, cli.path);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let events = 0;
  let last = null;
  const t0 = performance.now();
  try {
    for await (const ev of runner.run("bench", null, { cwd: cli.dir, signal: ac.signal })) {
      events++;
      last = ev;
    }
  } finally {
    clearTimeout(timer);
    rmSync(cli.dir, { recursive: true, force: true });
  }
  return { ms: performance.now() - t0, events, completed: last?.type === "completed", ok: last?.ok ?? null, timedOut: ac.signal.aborted };
}

export async function translateBench({ mb = 50, runs = 3, engines = ENGINES, runner = true, timeoutS = 120 } = {}) {
  const lib = await import(pathToFileURL(await buildAgents()).href);
  const dir = mkdtempSync(join(tmpdir(), "taiku-bench-jsonl-"));
  process.env.PI_CODING_AGENT_DIR = join(dir, "pi-agent"); // the pi runner plans session files there
  const results = [];
  try {
    for (const engine of engines) {
      const s = buildStream(lib, engine, mb * MB);
      const r = runnerFor(lib, engine);
      translateOnce(lib, r, s.buf.subarray(0, Math.min(s.buf.length, 2 * MB))); // warm-up
      const all = [];
      const deadline = performance.now() + timeoutS * 1000;
      const parse = [];
      // Interleaved, so that both see the same machine load (a shared box).
      for (let i = 0; i < runs && performance.now() < deadline; i++) {
        all.push(translateOnce(lib, r, s.buf));
        parse.push(s.buf.length / MB / (parseOnly(lib, s.buf).ms / 1000));
      }
      const mbps = all.map((x) => s.buf.length / MB / (x.ms / 1000));
      const evps = all.map((x) => x.events / (x.ms / 1000));
      const res = { engine, bytes: s.buf.length, lines: s.lines, bodyLines: s.bodyLines, files: s.files.length, events: all[0].events, mbpsBest: Math.max(...mbps), mbpsMedian: median(mbps), evpsBest: Math.max(...evps), evpsMedian: median(evps), runs: all.length, parseBest: Math.max(...parse), parseMedian: median(parse) };
      console.log(`translate ${engine}: ${fmt(res.bytes / MB)} MB, ${res.lines} lines (${res.bodyLines}-line body from ${res.files} fixtures ×${s.reps}), ${res.events} events; in-process best ${fmt(res.mbpsBest)} MB/s, median ${fmt(res.mbpsMedian)} MB/s; ${fmt(res.evpsBest / 1000)} k events/s best, ${fmt(res.evpsMedian / 1000)} k median (${res.runs} runs); floor LineSplitter + JSON.parse only: best ${fmt(res.parseBest)} MB/s, median ${fmt(res.parseMedian)} MB/s → translator at ${fmt((100 * res.mbpsMedian) / res.parseMedian, 0)}% of it (medians)`);
      if (runner) {
        const file = join(dir, `${engine}.jsonl`);
        writeFileSync(file, s.buf);
        const x = await viaRunner(lib, engine, file, timeoutS * 1000);
        res.runner = { ...x, mbps: s.buf.length / MB / (x.ms / 1000), evps: x.events / (x.ms / 1000) };
        console.log(`translate ${engine} via runner (fake engine on a pipe): ${fmt(res.runner.mbps)} MB/s, ${fmt(res.runner.evps / 1000)} k events/s, ${x.events} events in ${fmt(x.ms, 0)} ms; ended ${x.completed ? `with completed ok=${x.ok}` : "WITHOUT completed"}${x.timedOut ? " (TIMED OUT)" : ""}`);
        rmSync(file, { force: true });
      }
      results.push(res);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { mb: { type: "string", default: "50" }, runs: { type: "string", default: "3" }, engines: { type: "string", default: ENGINES.join(",") }, "skip-runner": { type: "boolean", default: false }, timeout: { type: "string", default: "120" } } });
  console.log(`# bench/agents translate — ${new Date().toISOString()} — ${machineLine()}`);
  await translateBench({ mb: Number(values.mb), runs: Number(values.runs), engines: values.engines.split(","), runner: !values["skip-runner"], timeoutS: Number(values.timeout) });
  process.exit(0);
}
