/** Shared helpers for bench/relay: test data, /proc sampling, percentiles, formatting, child processes. */
import { fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, openSync, readFileSync, statSync, writeSync, closeSync, mkdirSync, renameSync } from "node:fs";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import { join } from "node:path";

export const MB = 1e6;
export const DATA_DIR = join(tmpdir(), "taiku-bench-data");

/**
 * A file of random printable ASCII in 100-byte lines (99 chars + "\n"), generated once and reused.
 * Printable only, so no escape sequence changes terminal state and byte counts match end to end.
 */
export function ensureDataFile(bytes = 200 * MB) {
  mkdirSync(DATA_DIR, { recursive: true });
  const file = join(DATA_DIR, `cat-${bytes}.txt`);
  if (existsSync(file) && statSync(file).size === bytes) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  const block = 1 << 20; // 1 MiB, a multiple of 100? no — lines are cut by position, not block
  let written = 0;
  while (written < bytes) {
    const n = Math.min(block, bytes - written);
    const buf = randomBytes(n);
    for (let i = 0; i < n; i++) buf[i] = (written + i) % 100 === 99 ? 10 : 33 + (buf[i] % 94);
    writeSync(fd, buf);
    written += n;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return file;
}

/** VmRSS and VmHWM (peak) of a process in bytes, from /proc/<pid>/status; null when gone. */
export function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null when gone. */
export function procCpu(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** Samples RSS of some pids every `ms`; `stop()` returns { pid: {max, last} }. */
export function sampleRss(pids, ms = 50) {
  const out = Object.fromEntries(pids.map((p) => [p, { max: 0, last: 0, cpu0: procCpu(p), cpu: 0 }]));
  const tick = () => {
    for (const p of pids) {
      const m = procMem(p);
      if (!m) continue;
      out[p].last = m.rss;
      out[p].max = Math.max(out[p].max, m.rss);
    }
  };
  tick();
  const t = setInterval(tick, ms);
  return { stop() { clearInterval(t); tick(); for (const p of pids) out[p].cpu = (procCpu(p) ?? NaN) - out[p].cpu0; return out; } };
}

/** The middle value (the upper one of an even count), as every "median" figure of bench/relay is taken. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function latencySummary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.at(-1), mean };
}

export const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
export const mib = (b) => fmt(b / 1048576, 1);
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const load = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`;

export function machine() {
  return `node ${process.version}, ${cpus().length} cpu (${cpus()[0]?.model ?? "?"}), ${mib(totalmem())} MiB RAM, ${process.platform}`;
}

/** Fork a bench child (ESM file) with IPC; `request(msg)` resolves with the next reply of type `${msg.t}:done`. */
export function child(file, args = [], opts = {}) {
  const cp = fork(file, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], ...opts });
  const waiters = [];
  const inbox = [];
  cp.on("message", (m) => {
    const i = waiters.findIndex((w) => w.type === m.t);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else inbox.push(m);
  });
  const next = (type, timeoutMs = 120_000) => {
    const j = inbox.findIndex((m) => m.t === type);
    if (j >= 0) return Promise.resolve(inbox.splice(j, 1)[0]);
    return new Promise((resolve, reject) => {
      // One exit listener per wait, removed when the answer comes (a long bench makes hundreds of requests).
      const onExit = (code) => reject(new Error(`${file} exited (${code}) while waiting for '${type}'`));
      const w = { type, resolve: (m) => { clearTimeout(timer); cp.off("exit", onExit); if (m.error) reject(new Error(`${file}: ${m.error}`)); else resolve(m); } };
      const timer = setTimeout(() => { cp.off("exit", onExit); waiters.splice(waiters.indexOf(w), 1); reject(new Error(`${file}: no '${type}' within ${timeoutMs} ms`)); }, timeoutMs);
      waiters.push(w);
      cp.once("exit", onExit);
    });
  };
  return {
    cp,
    pid: cp.pid,
    send: (m) => cp.send(m),
    next,
    request: (m, timeoutMs) => { cp.send(m); return next(`${m.t}:done`, timeoutMs); },
    // Disconnecting makes the child exit(0) (so --cpu-prof profiles get written); SIGTERM as a fallback.
    kill: () => {
      if (cp.exitCode !== null) return;
      if (cp.connected) cp.disconnect();
      setTimeout(() => { if (cp.exitCode === null) cp.kill("SIGTERM"); }, 3000).unref();
    },
  };
}

/** In a child: answer requests; handler errors are reported, not thrown. */
export function serve(handlers) {
  process.on("message", async (m) => {
    try {
      const r = await handlers[m.t](m);
      process.send({ t: `${m.t}:done`, ...r });
    } catch (err) {
      process.send({ t: `${m.t}:done`, error: err?.stack ?? String(err) });
    }
  });
  process.on("disconnect", () => process.exit(0));
}

/** Start `node taiku.mjs serve` on a free loopback port; resolves with { url, pid, proc, stop }. */
export async function startTaikuServe(taikuBin, home, env = {}) {
  // BENCH_PROF=<dir>: a V8 CPU profile of the server too (written when it exits on SIGTERM).
  const prof = process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  // BENCH_SERVER_NODE_ARGS="--trace-gc" (say): node flags for the server only; its output goes to BENCH_SERVER_LOG if set.
  if (process.env.BENCH_SERVER_NODE_ARGS) prof.push(...process.env.BENCH_SERVER_NODE_ARGS.split(" "));
  const proc = spawn(process.execPath, [...prof, taikuBin, "serve", "--host", "127.0.0.1", "--port", "0"], {
    env: { ...process.env, TAIKU_HOME: home, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`taiku serve did not start:\n${log}`)), 30_000);
    proc.stdout.on("data", (d) => {
      if (process.env.BENCH_SERVER_LOG) appendFileSync(process.env.BENCH_SERVER_LOG, d);
      log += d;
      if (log.length > 1 << 20) log = log.slice(-65536);
      const m = /listening on (\S+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.stderr.on("data", (d) => (log += d));
    proc.on("exit", (c) => reject(new Error(`taiku serve exited (${c}):\n${log}`)));
  });
  return {
    url,
    pid: proc.pid,
    proc,
    log: () => log,
    stop: () => new Promise((r) => { if (proc.exitCode !== null) return r(); proc.once("exit", r); proc.kill("SIGTERM"); setTimeout(() => proc.kill("SIGKILL"), 5000).unref(); }),
  };
}
