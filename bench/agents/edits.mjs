#!/usr/bin/env node
/**
 * Edits sent per run against events received, under a flood of events.
 *   node bench/agents/edits.mjs [--actions 10000] [--flood-ms 3000] [--only telegram-private,telegram-group,session]
 * A fake `codex exec --json` (lib/flood-engine.mjs) prints --actions command actions (2 JSONL
 * events each) within --flood-ms; the real CodexRunner reads it, and the library's real
 * handleMessage renders progress through:
 *   telegram-private / telegram-group — TelegramPresenter + TelegramTransport + TelegramOutbox
 *     (default pacing 1 s / 3 s) + BotClient (grammY) against the Bot API stand-in of the
 *     packages/agents tests (test/helpers/bot-api.ts) on 127.0.0.1; chat id 1001 / -1001001;
 *     finalNotify on, as TelegramBot runs it;
 *   session — MarkdownPresenter (as createSessionChat builds it) + SessionChatTransport
 *     (edit_interval_ms 300, the spec's default) + MemoryChatPort, with each port call timestamped.
 * Times are epoch ms; Telegram writes are timed when the outbox starts them (BotClient.call) and when the
 * stand-in, in its own process (lib/bot-api-proc.mjs), has received them. Prints plain lines; asserts
 * nothing; each run is bounded (--timeout s).
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { child } from "../relay/lib/util.mjs";
import { buildAgents } from "./lib/build.mjs";
import { machineLine } from "../lib/run.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const nowMs = () => performance.timeOrigin + performance.now();
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? "n/a" : n.toFixed(d));

function gaps(times) {
  const g = [];
  for (let i = 1; i < times.length; i++) g.push(times[i] - times[i - 1]);
  const s = [...g].sort((a, b) => a - b);
  return { n: g.length, min: s[0] ?? null, median: s.length ? s[Math.floor(s.length / 2)] : null, max: s[s.length - 1] ?? null };
}

function floodCli(dir, actions, floodMs) {
  const path = join(dir, "codex");
  writeFileSync(path, `#!/bin/sh\nexport FLOOD_ACTIONS=${actions} FLOOD_MS=${floodMs}\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(here, "lib", "flood-engine.mjs"))} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The runner, counting the events handleMessage receives and when. */
function counting(runner) {
  const seen = { events: 0, actions: 0, first: null, last: null, completedAt: null };
  return {
    seen,
    runner: {
      engine: runner.engine,
      formatResume: (t) => runner.formatResume(t),
      extractResume: (t) => runner.extractResume(t),
      isResumeLine: (l) => runner.isResumeLine(l),
      async *run(prompt, resume, opts) {
        for await (const ev of runner.run(prompt, resume, opts)) {
          const t = nowMs();
          seen.events++;
          if (ev.type === "action") seen.actions++;
          seen.first ??= t;
          seen.last = t;
          if (ev.type === "completed") seen.completedAt = t;
          yield ev;
        }
      },
    },
  };
}

async function runOnce(lib, libPath, scenario, { actions, floodMs, timeoutS }) {
  const dir = mkdtempSync(join(tmpdir(), "taiku-bench-edits-"));
  const { runner, seen } = counting(new lib.CodexRunner({ executable: floodCli(dir, actions, floodMs) }));
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutS * 1000);
  const ops = []; // { kind: send|edit|delete, at } — when the transport started the write (epoch ms)
  let arrivals = null; // Telegram: when the stand-in received each write
  let api = null;
  let cfg;
  let channelId;
  let interval;
  let transport;
  if (scenario.startsWith("telegram")) {
    api = child(join(here, "lib", "bot-api-proc.mjs"));
    const { url } = await api.request({ t: "start", lib: libPath });
    const client = new lib.BotClient({ token: "123456:BENCH", apiRoot: url });
    const kinds = { sendMessage: "send", editMessageText: "edit", deleteMessage: "delete" };
    const call = client.call.bind(client);
    client.call = (method, payload) => {
      if (kinds[method]) ops.push({ kind: kinds[method], at: nowMs() });
      return call(method, payload);
    };
    const outbox = new lib.TelegramOutbox();
    transport = new lib.TelegramTransport(client, outbox);
    channelId = scenario === "telegram-group" ? -1001001 : 1001;
    interval = outbox.interval(channelId);
    cfg = { transport, presenter: new lib.TelegramPresenter({ messageOverflow: "split" }), finalNotify: true };
  } else {
    const port = new lib.MemoryChatPort();
    for (const [m, kind] of [["post", "send"], ["edit", "edit"], ["remove", "delete"]]) {
      const orig = port[m].bind(port);
      port[m] = async (msg) => {
        ops.push({ kind, at: nowMs() });
        return orig(msg);
      };
    }
    interval = 300;
    transport = new lib.SessionChatTransport(port, { editIntervalMs: interval });
    channelId = "conv-1";
    cfg = { transport, presenter: new lib.MarkdownPresenter({ messageOverflow: "split", structured: true }), finalNotify: true };
  }
  // Count the progress renders handleMessage asks for (each one a full snapshot of the run).
  const presenter = cfg.presenter;
  let renders = 0;
  cfg = { ...cfg, presenter: { renderProgress: (st, o) => (renders++, presenter.renderProgress(st, o)), renderFinal: (st, o) => presenter.renderFinal(st, o) } };
  const t0 = nowMs();
  let outcome;
  try {
    outcome = await lib.handleMessage(cfg, { runner, incoming: { channelId, messageId: 1, text: "flood", threadId: null }, resumeToken: null, runOptions: { cwd: dir, signal: ac.signal } });
  } finally {
    clearTimeout(timer);
  }
  const doneAt = nowMs();
  if (api) {
    await transport.close();
    const { calls } = await api.request({ t: "calls" });
    arrivals = calls.filter((c) => ["sendMessage", "editMessageText", "deleteMessage"].includes(c.method));
    api.kill();
  } else {
    await transport.close();
  }
  rmSync(dir, { recursive: true, force: true });
  const edits = ops.filter((o) => o.kind === "edit");
  const sends = ops.filter((o) => o.kind === "send");
  // Progress edits are the ones before the run completed; what follows is the final render.
  const progressEdits = edits.filter((o) => seen.completedAt === null || o.at <= seen.completedAt + 1);
  return {
    scenario, interval, outcome: outcome.kind, renders, timedOut: ac.signal.aborted,
    events: seen.events, actions: seen.actions, receiveMs: seen.last - seen.first, totalMs: doneAt - t0,
    sends: sends.length, edits: edits.length, deletes: ops.filter((o) => o.kind === "delete").length,
    editGaps: gaps(edits.map((o) => o.at)), progressEditGaps: gaps(progressEdits.map((o) => o.at)), progressEdits: progressEdits.length,
    opGaps: gaps(ops.map((o) => o.at).sort((a, b) => a - b)),
    arrivalGaps: arrivals ? gaps(arrivals.map((c) => c.at)) : null,
    arrivalEditGaps: arrivals ? gaps(arrivals.filter((c) => c.method === "editMessageText").map((c) => c.at)) : null,
    finalAfterMs: seen.completedAt === null ? null : Math.max(...ops.map((o) => o.at)) - seen.completedAt,
  };
}

export function printEdits(r) {
  const within = (g) => (g.min === null ? "n/a (fewer than 2)" : g.min >= r.interval - 5 ? "yes" : "NO");
  console.log(
    `edits ${r.scenario}: ${r.events} events received (${r.actions} action events) over ${fmt(r.receiveMs)} ms, run ${fmt(r.totalMs)} ms, outcome ${r.outcome}${r.timedOut ? " (TIMED OUT)" : ""}; ` +
      `sent ${r.sends} messages, ${r.edits} edits (${r.progressEdits} while running), ${r.deletes} deletes = ${fmt((r.edits / Math.max(1, r.events)) * 1000, 2)} edits per 1,000 events; ${r.renders} progress renders`,
  );
  console.log(
    `edits ${r.scenario}: gap between edits min ${fmt(r.editGaps.min)} ms, median ${fmt(r.editGaps.median)} ms, max ${fmt(r.editGaps.max)} ms (n=${r.editGaps.n}); ` +
      `between any two writes min ${fmt(r.opGaps.min)} ms, median ${fmt(r.opGaps.median)} ms; interval ${r.interval} ms — progress edits within it: ${within(r.progressEditGaps)}` +
      `${r.scenario.startsWith("telegram") ? `, all writes within it: ${within(r.opGaps)}` : ""}; last write ${fmt(r.finalAfterMs)} ms after completed`,
  );
  if (r.arrivalGaps) {
    console.log(`edits ${r.scenario}: as received by the Bot API stand-in (own process): gap between edits min ${fmt(r.arrivalEditGaps.min)} ms, median ${fmt(r.arrivalEditGaps.median)} ms; between any two writes min ${fmt(r.arrivalGaps.min)} ms, median ${fmt(r.arrivalGaps.median)} ms`);
  }
}

export async function editsBench({ actions = 10000, floodMs = 3000, scenarios = ["telegram-private", "telegram-group", "session"], timeoutS = 120 } = {}) {
  const libPath = await buildAgents();
  const lib = await import(pathToFileURL(libPath).href);
  lib.setLogger?.(new lib.MemoryLogger());
  const out = [];
  for (const s of scenarios) {
    const r = await runOnce(lib, libPath, s, { actions, floodMs, timeoutS });
    printEdits(r);
    out.push(r);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { actions: { type: "string", default: "10000" }, "flood-ms": { type: "string", default: "3000" }, only: { type: "string", default: "telegram-private,telegram-group,session" }, timeout: { type: "string", default: "120" } } });
  console.log(`# bench/agents edits — ${new Date().toISOString()} — ${machineLine()}`);
  await editsBench({ actions: Number(values.actions), floodMs: Number(values["flood-ms"]), scenarios: values.only.split(","), timeoutS: Number(values.timeout) });
  process.exit(0);
}
