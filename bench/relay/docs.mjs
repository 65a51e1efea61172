#!/usr/bin/env node
/**
 * Collaborative documents (spec §3.11) through a real `taiku serve` on loopback: two headless
 * participants (SessionClient from packages/web/src/common, the page's own document code: Yjs updates
 * sealed per sender, relayed as ciphertext) in this process, plus the share that opens the session.
 *   1. propagation: one character typed by A until B's document has it, `--gap` ms apart;
 *   2. a burst: `--edits` one-character updates from A as fast as A makes them, until B has them all;
 *   3. a late joiner: a third participant opens the document (snapshot + later frames) until its text
 *      equals A's; and what the server buffers for the document, and its RSS.
 *   node bench/relay/docs.mjs [--samples 300] [--gap 20] [--edits 5000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { buildTaiku } from "./lib/build.mjs";
import { child, fmt, latencySummary, machine, mib, now, procMem, sleep, startTaikuServe } from "./lib/util.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { samples: { type: "string", default: "300" }, gap: { type: "string", default: "20" }, edits: { type: "string", default: "5000" } } });
const samples = Number(values.samples);
const gap = Number(values.gap);
const edits = Number(values.edits);

/** Resolves once `pred()` holds, checked on every change of `text` (no polling delay). */
function when(text, pred, timeoutMs = 60_000) {
  if (pred()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { text.unobserve(on); reject(new Error("timed out")); }, timeoutMs);
    const on = () => {
      if (!pred()) return;
      clearTimeout(timer);
      text.unobserve(on);
      resolve();
    };
    text.observe(on);
  });
}

console.log(`# taiku collaborative documents — ${machine()}`);
const { taikuBin, lib } = await buildTaiku({ quiet: true });
const home = mkdtempSync(join(tmpdir(), "taiku-bench-docs-"));
const server = await startTaikuServe(taikuBin, home);
const share = child(join(here, "lib", "share-proc.mjs"));
const clients = [];
try {
  const started = await share.request({ t: "start", lib, server: server.url, home, shell: "/bin/sh", dir: tmpdir() }, 60_000);
  const { SessionClient, importNodeAeadKey } = await import(pathToFileURL(lib).href);
  const fragment = started.links.write.split("#")[1];
  const join = async (name) => {
    const c = new SessionClient({ baseUrl: server.url, sessionId: started.sessionId, fragment, WebSocket, name, device: "bench", kdf: { importAeadKey: importNodeAeadKey } });
    clients.push(c);
    await c.start();
    await c.whenOnline(60_000);
    return c;
  };
  const A = await join("alice");
  const B = await join("bob");
  const rssBefore = procMem(server.pid).rss;
  const docId = A.createDocument("bench");
  const a = A.openDocument(docId); // createDocument keeps it open only until the relay has its first line
  const b = B.openDocument(docId);
  await when(b.text, () => b.text.length === a.text.length && b.text.length > 0);

  // 1. One character, A → server → B, after a pause.
  const lat = [];
  for (let i = 0; i < samples + 10; i++) {
    const target = a.text.length + 1;
    const t0 = now();
    a.text.insert(a.text.length, "x");
    await when(b.text, () => b.text.length >= target);
    if (i >= 10) lat.push(now() - t0);
    await sleep(gap);
  }
  const s = latencySummary(lat);
  console.log(`propagation A → B of one character (${s.n} samples, ${gap} ms apart): p50 ${fmt(s.p50, 3)} ms, p90 ${fmt(s.p90, 3)} ms, p99 ${fmt(s.p99, 3)} ms`);

  // 2. A burst of one-character updates (each its own sealed frame).
  const target = a.text.length + edits;
  const t0 = now();
  for (let i = 0; i < edits; i++) {
    a.text.insert(a.text.length, String(i % 10));
    if (i % 100 === 99) await sleep(0); // let the socket drain, as typing would
  }
  const sent = now();
  await when(b.text, () => b.text.length >= target, 300_000);
  const done = now();
  console.log(`burst: ${edits} updates made in ${fmt(sent - t0, 0)} ms; all at B after ${fmt(done - t0, 0)} ms = ${fmt(edits / ((done - t0) / 1000), 0)} updates/s`);
  if (b.text.toString() !== a.text.toString()) throw new Error("B diverged from A");

  // 3. A late joiner starts from what the server buffered (the latest snapshot plus later frames).
  await sleep(200);
  const C = await join("carol");
  const info = C.state.documents.find((d) => d.docId === docId);
  const tj = now();
  const c = C.openDocument(docId);
  await when(c.text, () => c.text.length === a.text.length, 60_000);
  console.log(`late joiner: ${a.text.length} characters in ${fmt(now() - tj, 1)} ms; server buffer for the document ${fmt((info?.bytes ?? 0) / 1024, 1)} KiB (${edits + samples + 10} updates made, snapshots compact them); last seq ${c.lastSeq}`);
  const rssAfter = procMem(server.pid).rss;
  console.log(`server RSS ${mib(rssBefore)} → ${mib(rssAfter)} MiB`);
  if (c.text.toString() !== a.text.toString()) throw new Error("the late joiner diverged");
} finally {
  for (const c of clients) c.close();
  share.kill();
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
process.exit(0); // as the other scripts: the clients' reconnect timers and the share must not keep it alive
