#!/usr/bin/env node
/**
 * (2) Relayed throughput CLI → server → 1 and 10 headless decrypting viewers, (3) keystroke round
 * trip, and the RSS of CLI and server during the `cat`. Every party is its own process:
 *   - `taiku serve` (bundled from the current sources) on 127.0.0.1, fresh $TAIKU_HOME;
 *   - one share process: `startShare` from @taiku/cli (real node-pty shell, bash);
 *   - N viewer processes: SessionClient (packages/web/src/common) over `ws`, decrypting.
 *   node bench/relay/throughput.mjs [--mb 200] [--viewers 1,10] [--echo 500] [--gap 1,20] [--raw-runs 3]
 * Viewer 0 types `cat FILE; echo END-$((k+1))`; each viewer counts plaintext until it sees `END-k+1`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildTaiku } from "./lib/build.mjs";
import { child, ensureDataFile, fmt, latencySummary, machine, MB, mib, now, sampleRss, sleep, startTaikuServe, DATA_DIR } from "./lib/util.mjs";
import { rawPty } from "./raw-pty.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** `gaps`: keystroke echo is measured once per gap (ms between an echo and the next keystroke). */
/** `embedded`: no `taiku serve`; the share process runs the embedded server, as `taiku` does by default. */
export async function relayBench({ mb = 200, viewerCounts = [1, 10], echoN = 500, gaps = [1, 20], rawRuns = 3, shell = "/bin/bash", timeoutMs = 300_000, embedded = false } = {}) {
  const out = { raw: null, runs: [], echoes: [] };
  const { taikuBin, lib } = await buildTaiku({ quiet: true });
  const file = ensureDataFile(mb * MB);
  if (rawRuns > 0) {
    out.raw = await rawPty(file, rawRuns);
    for (const x of out.raw.all) console.log(`raw-pty run: ${fmt(x.bytes / MB)} MB in ${fmt(x.ms, 0)} ms = ${fmt(x.mbps)} MB/s`);
  }
  const home = mkdtempSync(join(tmpdir(), "taiku-bench-home-"));
  let server = embedded ? null : await startTaikuServe(taikuBin, home);
  // BENCH_PROF=<dir>: V8 CPU profiles of the share (CLI) and viewer processes, for diagnosis;
  // BENCH_NODE_ARGS="--trace-gc" (say): other node flags for those processes.
  const prof = process.env.BENCH_PROF ? { execArgv: ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] } : process.env.BENCH_NODE_ARGS ? { execArgv: process.env.BENCH_NODE_ARGS.split(" ") } : {};
  const share = child(join(here, "lib", "share-proc.mjs"), [], prof);
  const viewers = [];
  try {
    const started = await share.request({ t: "start", lib, server: server?.url, home, shell, dir: DATA_DIR }, 60_000);
    server ??= { url: started.server, pid: share.pid, stop: async () => {} }; // embedded: one process
    const fragment = started.links.write.split("#")[1];
    console.log(`server ${server.url} pid ${server.pid}; share pid ${share.pid}; session ${started.sessionId}`);
    let k = 0;
    for (const n of viewerCounts) {
      while (viewers.length < n) {
        const v = child(join(here, "lib", "viewer-proc.mjs"), [], prof);
        viewers.push(v);
        await v.request({ t: "connect", lib, baseUrl: server.url, sessionId: started.sessionId, fragment }, 60_000);
      }
      // Warm up (JIT, sockets) and make sure every viewer sees the same stream.
      k++;
      let wait = viewers.map((v) => v.request({ t: "expect", marker: `WARM-${k + 1}`, timeoutMs: 30_000 }, 40_000));
      await viewers[0].request({ t: "type", text: `echo WARM-$((${k}+1))\r` });
      await Promise.all(wait);
      await sleep(300);
      const before = { server: server.pid, share: share.pid };
      const sampler = sampleRss([server.pid, share.pid, ...viewers.map((v) => v.pid)], 50);
      k++;
      wait = viewers.map((v) => v.request({ t: "expect", marker: `END-${k + 1}`, timeoutMs }, timeoutMs + 10_000));
      await share.request({ t: "flowStats" });
      const t0 = now();
      await viewers[0].request({ t: "type", text: `cat '${file}'; echo END-$((${k}+1))\r` });
      const res = await Promise.all(wait);
      const mem = sampler.stop();
      const fs = await share.request({ t: "flowStats" });
      const pct = (x) => fmt((100 * (x ?? 0)) / Math.max(1, fs.n), 0);
      console.log(`relay ${n} viewer(s): CLI PTY paused ${pct(fs.paused)}% of the time (server flow ${pct(fs.server)}%, own socket high-water ${pct(fs.socket)}%, resend buffer ${pct(fs.buffer)}%); max link bufferedAmount ${mib(fs.maxBuffered)} MiB`);
      const per = res.map((r) => {
        const end = r.endAt ?? now();
        for (const g of r.gaps) console.log(`WARNING: viewer received seq ${g.next} after ${g.after} on shell ${g.shellId} (frames skipped by the relay) at ${g.at} bytes, ${fmt((g.when - t0) / 1000, 2)} s into the cat, ${g.idleMs} ms after the previous chunks message`);
        if (r.decryptFailures) console.log(`WARNING: ${r.decryptFailures} frames failed to decrypt`);
        return { frames: r.frames, messages: r.messages, bytes: r.bytes, ms: end - t0, mbps: r.bytes / MB / ((end - t0) / 1000), timedOut: r.timedOut, gaps: r.gaps.length };
      });
      if (per.some((p) => p.timedOut)) {
        await viewers[0].request({ t: "type", text: "\x03" });
        await sleep(2000);
      }
      if (process.env.BENCH_DEBUG) console.log(per);
      const sorted = [...per].sort((a, b) => a.mbps - b.mbps);
      const total = per.reduce((a, p) => a + p.bytes, 0);
      const wall = Math.max(...per.map((p) => p.ms));
      const run = {
        viewers: n,
        perViewer: { min: sorted[0].mbps, median: sorted[Math.floor(sorted.length / 2)].mbps, max: sorted.at(-1).mbps },
        aggregate: total / MB / (wall / 1000),
        bytesPerViewer: sorted[0].bytes,
        expectedBytes: Math.round(mb * MB * 1.01),
        framesPerViewer: per[0].frames,
        messagesPerViewer: per[0].messages,
        seqGaps: per.reduce((a, p) => a + p.gaps, 0),
        wallMs: wall,
        timedOut: per.some((p) => p.timedOut),
        cpu: { server: mem[before.server].cpu, share: mem[before.share].cpu, viewers: viewers.reduce((a, v) => a + mem[v.pid].cpu, 0) },
        rss: { serverMax: mem[before.server].max, serverLast: mem[before.server].last, shareMax: mem[before.share].max, shareLast: mem[before.share].last, viewerMax: Math.max(...viewers.map((v) => mem[v.pid].max)) },
      };
      out.runs.push(run);
      console.log(`relay ${n} viewer(s): per viewer ${fmt(run.perViewer.median)} MB/s (min ${fmt(run.perViewer.min)}, max ${fmt(run.perViewer.max)}), aggregate ${fmt(run.aggregate)} MB/s, ${fmt(run.bytesPerViewer / MB)} MB each in ${fmt(wall, 0)} ms${run.timedOut ? " (TIMED OUT)" : ""}`);
      console.log(`relay ${n} viewer(s): RSS peak server ${mib(run.rss.serverMax)} MiB, CLI ${mib(run.rss.shareMax)} MiB, viewer ${mib(run.rss.viewerMax)} MiB (after: server ${mib(run.rss.serverLast)}, CLI ${mib(run.rss.shareLast)})`);
      console.log(`relay ${n} viewer(s): viewer 0 got ${run.framesPerViewer} frames in ${run.messagesPerViewer} chunks messages: ${fmt(per[0].bytes / Math.max(1, run.framesPerViewer) / 1024, 1)} KiB plaintext per frame`);
      console.log(`relay ${n} viewer(s): CPU seconds during the cat: server ${fmt(run.cpu.server, 2)}, CLI ${fmt(run.cpu.share, 2)}, viewers ${fmt(run.cpu.viewers, 2)} (wall ${fmt(wall / 1000, 2)} s, 2 cores)`);
      if (n === viewerCounts[0] && echoN > 0) {
        for (const gapMs of gaps) out.echoes.push(await echoBench(share, viewers[0], echoN, gapMs));
      }
    }
  } finally {
    for (const v of viewers) v.kill();
    await share.request({ t: "stop" }, 10_000).catch(() => {});
    share.kill();
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
  return out;
}

/** Keystroke round trips `gapMs` apart, each split where the CLI read the echo from the PTY. */
async function echoBench(share, viewer, echoN, gapMs) {
  await share.request({ t: "echoMarks" });
  const e = await viewer.request({ t: "echo", n: echoN, gapMs }, echoN * (2 * gapMs + 50) + 60_000);
  const summary = latencySummary(e.samples);
  // Split each round trip at the moment the CLI read the echo from the PTY (same-host clocks).
  const { marks } = await share.request({ t: "echoMarks" });
  const up = [];
  const down = [];
  for (let i = 0; i < e.sent.length; i++) {
    const m = marks.find((x) => x >= e.sent[i] && x <= e.sent[i] + e.samples[i]);
    if (m === undefined) continue;
    up.push(m - e.sent[i]);
    down.push(e.sent[i] + e.samples[i] - m);
  }
  const split = up.length ? { up: latencySummary(up), down: latencySummary(down) } : null;
  if (split) console.log(`echo split, ${gapMs} ms apart (${up.length} samples): viewer → server → CLI → PTY → bash echo read by CLI p50 ${fmt(split.up.p50, 3)} ms; CLI seal → server → viewer decrypt p50 ${fmt(split.down.p50, 3)} ms`);
  console.log(`echo (1 viewer, ${summary.n} samples, ${gapMs} ms apart): p50 ${fmt(summary.p50, 3)} ms, p90 ${fmt(summary.p90, 3)} ms, p99 ${fmt(summary.p99, 3)} ms, max ${fmt(summary.max, 3)} ms`);
  return { gapMs, ...summary, split };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      mb: { type: "string", default: "200" },
      viewers: { type: "string", default: "1,10" },
      echo: { type: "string", default: "500" },
      gap: { type: "string", default: "1,20" },
      "raw-runs": { type: "string", default: "3" },
      embedded: { type: "boolean", default: false },
    },
  });
  console.log(`# taiku relay throughput — ${machine()}${values.embedded ? " — embedded server (one process)" : ""}`);
  const r = await relayBench({
    mb: Number(values.mb),
    viewerCounts: values.viewers.split(",").map(Number),
    echoN: Number(values.echo),
    gaps: values.gap.split(",").map(Number),
    rawRuns: Number(values["raw-runs"]),
    embedded: values.embedded,
  });
  if (r.raw) {
    const raw = r.raw.best.mbps;
    for (const run of r.runs) console.log(`relay ${run.viewers} viewer(s) vs raw node-pty (${fmt(raw)} MB/s best): ${fmt((100 * run.perViewer.median) / raw, 0)}% per viewer`);
  }
  process.exit(0);
}
