#!/usr/bin/env node
/**
 * (1) Physical limit: raw node-pty read throughput of `cat <file>` in one process, no network.
 *   node bench/relay/raw-pty.mjs [--mb 200] [--runs 3] [--echo 500] [--work-us 0]
 * `--work-us N`: busy-wait N µs after each read, as a reader with work to do on its reading thread
 * would (the shell waits meanwhile); prints the number and mean size of the reads.
 * Spawns `/bin/sh -c "cat FILE"` in a PTY (80x24, encoding null, as the CLI does) and counts the
 * bytes read until exit. Output bytes exceed the file size: the tty turns "\n" into "\r\n".
 * Also the keystroke echo floor: one char written to a bash PTY until its echo is read.
 */
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { ensureDataFile, fmt, latencySummary, machine, MB, mib, now } from "./lib/util.mjs";

const require = createRequire(import.meta.url);
const pty = require("node-pty");

export async function rawPty(file, runs = 3, workUs = 0) {
  const results = [];
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    let bytes = 0;
    let reads = 0;
    const term = pty.spawn("/bin/sh", ["-c", `exec cat '${file}'`], { name: "xterm-256color", cols: 80, rows: 24, cwd: process.cwd(), env: process.env, encoding: null });
    term.onData((d) => {
      bytes += d.length;
      reads++;
      if (workUs > 0) for (const until = now() + workUs / 1000; now() < until; );
    });
    await new Promise((resolve) => term.onExit(resolve));
    const ms = now() - t0;
    results.push({ bytes, ms, mbps: bytes / MB / (ms / 1000), reads });
  }
  results.sort((a, b) => b.mbps - a.mbps);
  return { best: results[0], all: results };
}

/** Echo of one keystroke straight through node-pty + bash (no network, no crypto): the floor for (3). */
export async function rawEcho(n = 500, gapMs = 20) {
  const term = pty.spawn("/bin/bash", [], { name: "xterm-256color", cols: 80, rows: 24, cwd: process.cwd(), env: { ...process.env, PS1: "$ ", PROMPT_COMMAND: "", HISTFILE: "/dev/null" }, encoding: null });
  let onAny = null;
  term.onData((d) => onAny?.(d, now()));
  const rt = (text, match) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { onAny = null; reject(new Error("raw echo: nothing within 5 s")); }, 5000);
    const t0 = now();
    onAny = (d, t) => { if (!match(d)) return; clearTimeout(timer); onAny = null; resolve(t - t0); };
    term.write(text);
  });
  await new Promise((r) => setTimeout(r, 500));
  const samples = [];
  for (let i = 0; i < n; i++) {
    samples.push(await rt("x", (d) => d.includes(120)));
    await new Promise((r) => setTimeout(r, gapMs));
    await rt("\x7f", (d) => d.includes(8) || d.includes(0x1b));
    await new Promise((r) => setTimeout(r, gapMs));
  }
  term.kill();
  return samples;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { mb: { type: "string", default: "200" }, runs: { type: "string", default: "3" }, echo: { type: "string", default: "500" }, "work-us": { type: "string", default: "0" } } });
  const file = ensureDataFile(Number(values.mb) * MB);
  console.log(`# raw node-pty cat — ${machine()}`);
  const r = await rawPty(file, Number(values.runs), Number(values["work-us"]));
  for (const x of r.all) console.log(`raw-pty run: ${fmt(x.bytes / MB)} MB in ${fmt(x.ms, 0)} ms = ${fmt(x.mbps)} MB/s; ${x.reads} reads of ${fmt(x.bytes / x.reads / 1024, 1)} KiB on average${values["work-us"] !== "0" ? `, ${values["work-us"]} µs of work after each` : ""}`);
  console.log(`raw-pty best: ${fmt(r.best.mbps)} MB/s (${mib(r.best.bytes)} MiB of tty output)`);
  if (Number(values.echo) > 0) {
    const e = latencySummary(await rawEcho(Number(values.echo)));
    console.log(`raw-pty echo (bash, ${e.n} samples): p50 ${fmt(e.p50, 3)} ms, p99 ${fmt(e.p99, 3)} ms`);
  }
}
