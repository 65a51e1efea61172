/**
 * Child process: headless decrypting viewer(s) — SessionClient from packages/web/src/common with
 * `ws` injected — that count plaintext bytes, wait for markers and time keystroke echoes.
 */
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import { now, serve, sleep } from "./util.mjs";

let client;
const lastSeq = new Map();
let gaps = [];
let lastChunkAt = 0;
let frames = 0;
let messages = 0;
let bytes = 0;
let tail = "";
let firstAt = 0;
let waiter = null; // { marker, resolve }
let onAny = null;
const dec = new TextDecoder();

import { appendFileSync } from "node:fs";
const dump = process.env.BENCH_DUMP ? `${process.env.BENCH_DUMP}.${process.pid}` : null;
function onData(_shellId, data) {
  const t = now();
  if (dump) appendFileSync(dump, data);
  bytes += data.byteLength;
  if (!firstAt) firstAt = t;
  if (onAny) onAny(data, t);
  if (waiter) {
    // Only the last few hundred bytes matter for the marker; decode just those.
    tail = (tail + dec.decode(data.byteLength > 512 ? data.subarray(data.byteLength - 512) : data)).slice(-1024);
    if (tail.includes(waiter.marker)) {
      const w = waiter;
      waiter = null;
      w.resolve(t);
    }
  }
}

serve({
  async connect({ lib, baseUrl, sessionId, fragment }) {
    const { SessionClient, watchAllShells, importNodeAeadKey } = await import(pathToFileURL(lib).href);
    // BENCH_VIEWER_CRYPTO=webcrypto: decrypt as a browser does (WebCrypto, one async job per frame).
    const kdf = process.env.BENCH_VIEWER_CRYPTO === "webcrypto" ? undefined : { importAeadKey: importNodeAeadKey };
    client = new SessionClient({ baseUrl, sessionId, fragment, WebSocket, name: `bench-${process.pid}`, device: "bench", kdf });
    client.events.on("error", (e) => console.error(`[viewer ${process.pid}] ${e.code}: ${e.message}`));
    await client.start();
    await client.whenOnline(60_000);
    watchAllShells(client, onData);
    // Integrity check (no effect on the data path): the relay's `chunks` must carry consecutive seqs.
    client.conn.events.on("message", ({ value }) => {
      if (value?.t !== "chunks") return;
      const t = now();
      const idle = lastChunkAt ? t - lastChunkAt : 0;
      lastChunkAt = t;
      frames += value.frames.length;
      messages++;
      for (const f of value.frames) {
        const prev = lastSeq.get(value.shellId);
        if (prev !== undefined && f.seq > prev + 1) gaps.push({ shellId: value.shellId, after: prev, next: f.seq, at: bytes, idleMs: Math.round(idle), when: Math.round(t) });
        if (prev === undefined || f.seq > prev) lastSeq.set(value.shellId, f.seq);
      }
    });
    await client.waitFor((s) => s.shells.length > 0, 30_000);
    return { shells: client.state.shells.map((s) => s.id), role: client.state.role };
  },
  /** Count bytes from now until `marker` shows up in the output (or the timeout). */
  async expect({ marker, timeoutMs = 300_000 }) {
    gaps = [];
    frames = 0;
    messages = 0;
    bytes = 0;
    firstAt = 0;
    tail = "";
    const endAt = await new Promise((resolve) => {
      const timer = setTimeout(() => { waiter = null; resolve(null); }, timeoutMs);
      waiter = { marker, resolve: (t) => { clearTimeout(timer); resolve(t); } };
    });
    const g = gaps;
    gaps = [];
    return { bytes, firstAt, endAt, timedOut: endAt === null, frames, messages, gaps: g, decryptFailures: client.state.decryptFailures };
  },
  async type({ text, shellId }) {
    client.sendInput(shellId ?? client.state.shells[0].id, text);
    return { at: now() };
  },
  /** Keystroke round trip: type one char, wait for its echo; then erase it (unmeasured); pause `gapMs`. */
  async echo({ n = 500, gapMs = 20, char = "x" }) {
    const shellId = client.state.shells[0].id;
    const code = char.charCodeAt(0);
    const samples = [];
    const sent = [];
    const roundTrip = (text, match) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { onAny = null; reject(new Error(`no echo of ${JSON.stringify(text)} within 5 s`)); }, 5000);
      const t0 = now();
      if (text !== "\x7f") sent.push(t0);
      onAny = (data, t) => {
        if (!match(data)) return;
        clearTimeout(timer);
        onAny = null;
        resolve(t - t0);
      };
      client.sendInput(shellId, text);
    });
    await sleep(200);
    for (let i = 0; i < n; i++) {
      samples.push(await roundTrip(char, (d) => d.includes(code)));
      await sleep(gapMs);
      await roundTrip("\x7f", (d) => d.includes(8) || d.includes(0x1b));
      await sleep(gapMs);
    }
    return { samples, sent };
  },
  async close() {
    client?.close();
    await sleep(100);
    return {};
  },
});
