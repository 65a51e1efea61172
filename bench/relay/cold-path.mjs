#!/usr/bin/env node
/**
 * Why echo after a pause costs more than back to back: the same small piece of the keystroke path
 * (CBOR decode + schema check of one `data` message, as server and CLI do per keystroke), timed in
 * one process right after different kinds of wait. No sockets, no other process, no crypto.
 * If it costs far more after 20 ms idle, or after 20 ms of busy-spinning, than right after other
 * work, then every step on the path pays that on the first keystroke after a pause, whatever the
 * code does (docs/benchmarks.md, "Keystroke echo").
 *   node bench/relay/cold-path.mjs [--n 300]
 */
import { pathToFileURL } from "node:url";
import { setImmediate } from "node:timers";
import { parseArgs } from "node:util";
import { buildTaiku } from "./lib/build.mjs";
import { fmt, latencySummary, machine, sleep } from "./lib/util.mjs";

const { values } = parseArgs({ options: { n: { type: "string", default: "300" } } });
const n = Number(values.n);

// Keeps the CPU busy without touching memory beyond a few words.
const spin = (ms) => {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
};

const waits = [
  ["right after other work (setImmediate)", () => new Promise((r) => setImmediate(r))],
  ["after 2 ms idle", () => sleep(2)],
  ["after 5 ms idle", () => sleep(5)],
  ["after 20 ms idle", () => sleep(20)],
  ["after 20 ms busy-spinning", async () => spin(20)],
];

const { lib } = await buildTaiku({ quiet: true });
const { encodeCbor, decodeCbor, parseClientMessage } = (await import(pathToFileURL(lib).href)).protocol;
const message = encodeCbor({ t: "data", shellId: 1, counter: 55, frame: { n: new Uint8Array(12), c: new Uint8Array(17) } });

console.log(`# cold path — ${machine()}: CBOR decode + schema check of one 'data' message, ${n} samples each`);
for (const [name, wait] of waits) {
  const samples = [];
  for (let i = 0; i < n + 20; i++) {
    await wait();
    const t0 = performance.now();
    const r = parseClientMessage(decodeCbor(message));
    const dt = performance.now() - t0;
    if (!r.ok) throw new Error("the message did not parse");
    if (i >= 20) samples.push(dt * 1000);
  }
  const s = latencySummary(samples);
  console.log(`${name}: p50 ${fmt(s.p50, 1)} µs, p90 ${fmt(s.p90, 1)} µs`);
}
