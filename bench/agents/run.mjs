#!/usr/bin/env node
/**
 * All of bench/agents, one part after the other:
 *   1. JSONL translation throughput per engine, in process and through the runner   translate.mjs
 *   2. edits sent against events received under a flood (Telegram private, group; session chat)   edits.mjs
 *   node bench/agents/run.mjs [--mb 50] [--runs 3] [--actions 10000] [--flood-ms 3000]
 * Prints plain lines of figures; asserts nothing; each part bounds its own time.
 */
import { parseArgs } from "node:util";
import { editsBench } from "./edits.mjs";
import { machineLine } from "../lib/run.mjs";
import { translateBench } from "./translate.mjs";

const { values } = parseArgs({ options: { mb: { type: "string", default: "50" }, runs: { type: "string", default: "3" }, actions: { type: "string", default: "10000" }, "flood-ms": { type: "string", default: "3000" } } });
console.log(`# taiku bench/agents — ${new Date().toISOString()} — ${machineLine()}`);
const tr = await translateBench({ mb: Number(values.mb), runs: Number(values.runs) });
console.log(`# ${machineLine()}`);
const ed = await editsBench({ actions: Number(values.actions), floodMs: Number(values["flood-ms"]) });
console.log(`# ${machineLine()}`);
console.log("## summary");
for (const r of tr) console.log(`translate ${r.engine}: in-process median ${r.mbpsMedian.toFixed(1)} MB/s (best ${r.mbpsBest.toFixed(1)}), ${(r.evpsMedian / 1000).toFixed(1)} k events/s; JSON.parse floor ${r.parseMedian.toFixed(1)} MB/s${r.runner ? `; via runner ${r.runner.mbps.toFixed(1)} MB/s, ${(r.runner.evps / 1000).toFixed(1)} k events/s` : ""} (target ≥ 50 MB/s: ${r.mbpsMedian >= 50 ? "met" : "MISSED"})`);
for (const r of ed) console.log(`edits ${r.scenario}: ${r.edits} edits + ${r.sends} sends for ${r.events} events in ${(r.receiveMs / 1000).toFixed(1)} s; min / median gap between edits ${r.editGaps.min?.toFixed(0) ?? "n/a"} / ${r.editGaps.median?.toFixed(0) ?? "n/a"} ms; between any writes ${r.opGaps.min?.toFixed(0) ?? "n/a"} ms min (interval ${r.interval} ms)`);
process.exit(0);
