#!/usr/bin/env node
/**
 * (5) Peer: the same `cat` through wetty (npm; Node + node-pty + socket.io, no relay hop, no E2E
 * encryption), driven by one socket.io-client viewer that speaks wetty's own client protocol:
 * output arrives as `data` events (strings, batched by wetty's `tinybuffer`: 2 ms or 512 KiB), input
 * goes out as `input`, and the viewer emits `commit` every 262,144 chars like wetty's browser client
 * (server-side flow control pauses the PTY above 2 MiB of uncommitted output).
 * wetty is installed on demand into bench/.peers (never a workspace dependency):
 *   npm install --prefix bench/.peers wetty@3.2.0 socket.io-client@4
 *   node bench/relay/wetty.mjs [--mb 200] [--echo 500] [--gap 1,20]
 * Running as root with the default ssh host `localhost`, wetty spawns `--command` locally through
 * `/usr/bin/env -S <command>` instead of ssh/login (server/command.js); as non-root it would ssh.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DATA_DIR, ensureDataFile, fmt, latencySummary, machine, MB, mib, now, sampleRss, sleep } from "./lib/util.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const PEERS = join(here, "..", ".peers");
const WETTY_MAIN = join(PEERS, "node_modules", "wetty", "build", "main.js");

const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); }); });

export async function wettyBench({ mb = 200, echoN = 500, gaps = [1, 20], timeoutMs = 300_000 } = {}) {
  if (!existsSync(WETTY_MAIN)) throw new Error(`wetty is not installed: run npm install --prefix bench/.peers wetty@3.2.0 socket.io-client@4`);
  const { io } = createRequire(join(PEERS, "package.json"))("socket.io-client");
  const file = ensureDataFile(mb * MB);
  const port = await freePort();
  const proc = spawn(process.execPath, [WETTY_MAIN, "--host", "127.0.0.1", "--port", String(port), "--command", "bash", "--log-level", "warn"], {
    cwd: DATA_DIR,
    env: { ...process.env, PS1: "$ ", PROMPT_COMMAND: "", HISTFILE: "/dev/null" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  proc.stdout.on("data", (d) => (log = (log + d).slice(-8192)));
  proc.stderr.on("data", (d) => (log = (log + d).slice(-8192)));
  const out = {};
  let sock;
  try {
    // Wait for the port.
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 150 || proc.exitCode !== null) throw new Error(`wetty did not start:\n${log}`);
      await sleep(100);
    }
    sock = io(`http://127.0.0.1:${port}`, { path: "/socket.io", transports: ["websocket"] });
    let chars = 0;
    let uncommitted = 0;
    let tail = "";
    let waiter = null;
    let onAny = null;
    sock.on("data", (s) => {
      const t = now();
      chars += s.length;
      uncommitted += s.length;
      while (uncommitted >= 262144) { uncommitted -= 262144; sock.emit("commit", 262144); }
      if (onAny) onAny(s, t);
      if (waiter) {
        tail = (tail + s.slice(-512)).slice(-1024);
        if (tail.includes(waiter.marker)) { const w = waiter; waiter = null; w.resolve(t); }
      }
    });
    await new Promise((resolve, reject) => { sock.once("login", resolve); sock.once("connect_error", reject); setTimeout(() => reject(new Error(`no login from wetty:\n${log}`)), 15_000); });
    sock.emit("resize", { cols: 80, rows: 24 });
    const expect = (marker, ms) => new Promise((resolve) => {
      chars = 0; tail = "";
      const timer = setTimeout(() => { waiter = null; resolve(null); }, ms);
      waiter = { marker, resolve: (t) => { clearTimeout(timer); resolve(t); } };
    });
    await sleep(500);
    let w = expect("WARM-2", 15_000);
    sock.emit("input", "echo WARM-$((1+1))\r");
    if (!(await w)) throw new Error(`wetty: no warm-up echo:\n${log}`);
    await sleep(300);
    const sampler = sampleRss([proc.pid], 50);
    w = expect("END-3", timeoutMs);
    const t0 = now();
    sock.emit("input", `cat '${file}'; echo END-$((2+1))\r`);
    const end = (await w) ?? now();
    const mem = sampler.stop();
    // chars = bytes: the file is printable ASCII.
    out.throughput = { bytes: chars, ms: end - t0, mbps: chars / MB / ((end - t0) / 1000), rssMax: mem[proc.pid].max, rssLast: mem[proc.pid].last, cpu: mem[proc.pid].cpu };
    if (echoN > 0) {
      const rt = (text, match) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => { onAny = null; reject(new Error("wetty: no echo within 5 s")); }, 5000);
        const t1 = now();
        onAny = (s, t) => { if (!match(s)) return; clearTimeout(timer); onAny = null; resolve(t - t1); };
        sock.emit("input", text);
      });
      await sleep(200);
      out.echoes = [];
      for (const gapMs of gaps) {
        const samples = [];
        for (let i = 0; i < echoN; i++) {
          samples.push(await rt("x", (s) => s.includes("x")));
          await sleep(gapMs);
          await rt("\x7f", (s) => s.includes("\b") || s.includes("\x1b"));
          await sleep(gapMs);
        }
        out.echoes.push({ gapMs, ...latencySummary(samples) });
      }
    }
    // One client's share of wetty's memory: RSS with the client minus RSS after it left.
    out.rssWithClient = mem[proc.pid].last;
    sock.close();
    await sleep(1500);
    out.rssAfterClose = sampleRss([proc.pid]).stop()[proc.pid].last;
  } finally {
    sock?.close();
    proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
  }
  return out;
}

export function printWetty(r) {
  const t = r.throughput;
  console.log(`wetty: ${fmt(t.mbps)} MB/s to 1 viewer (${fmt(t.bytes / MB)} MB in ${fmt(t.ms, 0)} ms); wetty CPU ${fmt(t.cpu, 2)} s; RSS peak ${mib(t.rssMax)} MiB during cat, ${mib(r.rssWithClient)} MiB with the client, ${mib(r.rssAfterClose)} MiB after it left`);
  for (const e of r.echoes ?? []) console.log(`wetty echo (${e.n} samples, ${e.gapMs} ms apart): p50 ${fmt(e.p50, 3)} ms, p90 ${fmt(e.p90, 3)} ms, p99 ${fmt(e.p99, 3)} ms, max ${fmt(e.max, 3)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { mb: { type: "string", default: "200" }, echo: { type: "string", default: "500" }, gap: { type: "string", default: "1,20" } } });
  console.log(`# wetty peer — ${machine()}`);
  printWetty(await wettyBench({ mb: Number(values.mb), echoN: Number(values.echo), gaps: values.gap.split(",").map(Number) }));
  process.exit(0);
}
