#!/usr/bin/env node
/**
 * All of bench/relay in one run, same data file, one after the other (never concurrently):
 *   1. raw node-pty `cat` (physical limit)        raw-pty.mjs
 *   2. relayed throughput, 1 then 10 viewers      throughput.mjs
 *   3. keystroke echo p50/p99 (1 viewer)          throughput.mjs
 *      and its floor: bare node↔node round trip   hop-floor.mjs
 *   4. idle sessions: server RSS per session      idle.mjs
 *   5. peer: wetty, same cat + echo               wetty.mjs
 *   6. `--pairs N` (default 5) alternated pairs of one raw `cat` and one relayed `cat` to 1 viewer:
 *      the median of the per-pair ratios is the throughput figure least moved by this shared VM's noise
 *      (single runs of the same code spread by ±10 %)
 *   node bench/relay/run.mjs [--mb 200] [--viewers 1,10] [--echo 500] [--gap 1,20] [--sessions 1000] [--pairs 5] [--skip-wetty]
 * Prints plain lines of figures; asserts nothing. Each part bounds its own time (5 min per cat).
 */
import { parseArgs } from "node:util";
import { fmt, load, machine, median, mib } from "./lib/util.mjs";
import { relayBench } from "./throughput.mjs";
import { rawEcho } from "./raw-pty.mjs";
import { latencySummary } from "./lib/util.mjs";
import { idleBench, printIdle } from "./idle.mjs";
import { hopFloor } from "./hop-floor.mjs";
import { printWetty, wettyBench } from "./wetty.mjs";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "200" },
    viewers: { type: "string", default: "1,10" },
    echo: { type: "string", default: "500" },
    // Keystroke echo once per gap: 1 ms (back-to-back; every process still awake) and 20 ms (after a
    // pause, as between a person's keystrokes: this VM's cores have gone idle — see hop-floor.mjs).
    gap: { type: "string", default: "1,20" },
    sessions: { type: "string", default: "1000" },
    "raw-runs": { type: "string", default: "3" },
    pairs: { type: "string", default: "5" },
    "skip-wetty": { type: "boolean", default: false },
    "skip-idle": { type: "boolean", default: false },
  },
});
const mb = Number(values.mb);
const gaps = values.gap.split(",").map(Number);
console.log(`# taiku bench/relay — ${new Date().toISOString()} — ${machine()}`);
console.log(`# ${load()}`);

const relay = await relayBench({ mb, viewerCounts: values.viewers.split(",").map(Number), echoN: Number(values.echo), gaps, rawRuns: Number(values["raw-runs"]) });
const rawMedian = median(relay.raw.all.map((x) => x.mbps));
console.log(`raw node-pty: best ${fmt(relay.raw.best.mbps)} MB/s, median ${fmt(rawMedian)} MB/s`);
const floors = [];
for (const gapMs of gaps) {
  const rawE = latencySummary(await rawEcho(Number(values.echo), gapMs));
  console.log(`raw node-pty echo (bash, no network), ${gapMs} ms apart: p50 ${fmt(rawE.p50, 3)} ms, p99 ${fmt(rawE.p99, 3)} ms`);
  const hop = latencySummary(await hopFloor(Number(values.echo), gapMs));
  console.log(`hop floor (bare node↔node loopback round trip), ${gapMs} ms apart: p50 ${fmt(hop.p50, 3)} ms, p99 ${fmt(hop.p99, 3)} ms`);
  floors.push({ gapMs, rawE, hop });
}
console.log(`# ${load()}`);

let wetty = null;
if (!values["skip-wetty"]) {
  try {
    wetty = await wettyBench({ mb, echoN: Number(values.echo), gaps });
    printWetty(wetty);
  } catch (err) {
    console.log(`wetty: could not run: ${err.message}`);
  }
  console.log(`# ${load()}`);
}

if (!values["skip-idle"]) {
  printIdle(await idleBench({ sessions: Number(values.sessions) }));
  console.log(`# ${load()}`);
}

const pairs = [];
for (let i = 0; i < Number(values.pairs); i++) {
  const r = await relayBench({ mb, viewerCounts: [1], echoN: 0, rawRuns: 1 });
  pairs.push({ raw: r.raw.all[0].mbps, relay: r.runs[0].perViewer.median });
  console.log(`pair ${i + 1}: raw ${fmt(pairs[i].raw)} MB/s, relayed to 1 viewer ${fmt(pairs[i].relay)} MB/s = ${fmt((100 * pairs[i].relay) / pairs[i].raw, 0)}%`);
}
if (pairs.length) console.log(`# ${load()}`);

console.log("## summary");
if (pairs.length) {
  const raw = median(pairs.map((p) => p.raw));
  const rel = median(pairs.map((p) => p.relay));
  const ratios = pairs.map((p) => (100 * p.relay) / p.raw);
  console.log(`relay 1 viewer, ${pairs.length} alternated pairs: median of the per-pair ratios ${fmt(median(ratios), 0)}%; median raw ${fmt(raw)} MB/s, median relayed ${fmt(rel)} MB/s = ${fmt((100 * rel) / raw, 0)}% (per pair: ${ratios.map((r) => fmt(r, 0) + "%").join(", ")})`);
}
for (const r of relay.runs) {
  console.log(`relay ${r.viewers} viewer(s): ${fmt(r.perViewer.median)} MB/s per viewer = ${fmt((100 * r.perViewer.median) / rawMedian, 0)}% of raw median (${fmt((100 * r.perViewer.median) / relay.raw.best.mbps, 0)}% of raw best); aggregate ${fmt(r.aggregate)} MB/s; seq gaps ${r.seqGaps}; RSS peak server ${mib(r.rss.serverMax)} MiB, CLI ${mib(r.rss.shareMax)} MiB`);
}
for (const { gapMs, rawE, hop } of floors) {
  const e = relay.echoes.find((x) => x.gapMs === gapMs);
  const w = wetty?.echoes?.find((x) => x.gapMs === gapMs);
  console.log(`echo ${gapMs} ms apart: taiku p50 ${fmt(e?.p50, 3)} ms, p99 ${fmt(e?.p99, 3)} ms` +
    (w ? `; wetty p50 ${fmt(w.p50, 3)} ms, p99 ${fmt(w.p99, 3)} ms` : "") +
    `; floor of a relay: 2 bare round trips (viewer↔server↔CLI) + bash echo = ${fmt(2 * hop.p50 + rawE.p50, 3)} ms (hop p50 ${fmt(hop.p50, 3)} ms, bash ${fmt(rawE.p50, 3)} ms)`);
}
if (wetty) console.log(`wetty: ${fmt(wetty.throughput.mbps)} MB/s`);
process.exit(0);
