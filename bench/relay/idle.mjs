#!/usr/bin/env node
/**
 * (4) Server memory per idle session with one viewer, against a separately spawned `taiku serve`.
 *   node bench/relay/idle.mjs [--sessions 1000] [--workers 4] [--kdf-memory 256] [--settle 5000]
 * Sessions come from fake CLIs (link protocol only, no PTY) + one SessionClient viewer each, in
 * `--workers` processes. RSS of the server from /proc/<pid>/status before and after.
 * --kdf-memory lowers Argon2id memory (KiB) on both ends of the bench sessions only, so that 2,000
 * key derivations fit in the time budget; the server never runs the KDF, so its memory is unaffected.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildTaiku } from "./lib/build.mjs";
import { child, fmt, machine, mib, now, procMem, sleep, startTaikuServe } from "./lib/util.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export async function idleBench({ sessions = 1000, workers = 4, kdfMemory = 256, settleMs = 5000 } = {}) {
  const { taikuBin, lib } = await buildTaiku({ quiet: true });
  const home = mkdtempSync(join(tmpdir(), "taiku-bench-idle-"));
  const server = await startTaikuServe(taikuBin, home);
  const kids = [];
  try {
    await sleep(1000);
    const before = procMem(server.pid);
    const t0 = now();
    for (let w = 0; w < workers; w++) kids.push(child(join(here, "lib", "idle-worker.mjs")));
    const per = Math.ceil(sessions / workers);
    const res = await Promise.all(kids.map((k, i) => k.request({ t: "open", lib, baseUrl: server.url, count: Math.min(per, sessions - i * per), kdfMemory }, 900_000)));
    const opened = res.reduce((a, r) => a + r.opened, 0);
    const errors = res.flatMap((r) => r.errors);
    const setupMs = now() - t0;
    await sleep(settleMs);
    const after = procMem(server.pid);
    const checks = await Promise.all(kids.map((k) => k.request({ t: "check" })));
    const online = checks.reduce((a, c) => a + c.online, 0);
    const clisOpen = checks.reduce((a, c) => a + c.clisOpen, 0);
    const out = { sessions, opened, online, clisOpen, errors, errorCount: res.reduce((a, r) => a + r.errorCount, 0), setupMs, before, after, perSession: (after.rss - before.rss) / Math.max(1, opened) };
    return out;
  } finally {
    await Promise.all(kids.map((k) => k.request({ t: "close" }, 10_000).catch(() => {})));
    for (const k of kids) k.kill();
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

export function printIdle(r) {
  console.log(`idle: ${r.opened}/${r.sessions} sessions opened in ${fmt(r.setupMs / 1000)} s, ${r.online} viewers online, ${r.clisOpen} CLI links open after settling${r.errorCount ? `; ${r.errorCount} errors, e.g. ${r.errors[0]}` : ""}`);
  console.log(`idle: server RSS before ${mib(r.before.rss)} MiB, after ${mib(r.after.rss)} MiB (peak ${mib(r.after.hwm)} MiB) → ${fmt(r.perSession / 1024)} KiB per idle session with one viewer`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { sessions: { type: "string", default: "1000" }, workers: { type: "string", default: "4" }, "kdf-memory": { type: "string", default: "256" }, settle: { type: "string", default: "5000" } } });
  console.log(`# taiku idle sessions — ${machine()}`);
  printIdle(await idleBench({ sessions: Number(values.sessions), workers: Number(values.workers), kdfMemory: Number(values["kdf-memory"]), settleMs: Number(values.settle) }));
  process.exit(0);
}
