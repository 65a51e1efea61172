/** Summarise a .cpuprofile: self time per function (top N) — node bench/relay/lib/profile-top.mjs FILE [N] */
import { readFileSync } from "node:fs";
const [file, n = "25"] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, "utf8"));
const self = new Map();
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
let total = 0;
for (const [id, t] of dt) {
  const f = byId.get(id).callFrame;
  const key = `${f.functionName || "(anon)"} ${f.url.split("/").slice(-1)[0]}:${f.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + t);
  total += t;
}
const idle = [...self].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, t]) => a + t, 0);
console.log(`total ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${(t / 1e3).toFixed(0).padStart(7)} ms ${((100 * t) / (total - idle)).toFixed(1).padStart(5)}%  ${k}`);
