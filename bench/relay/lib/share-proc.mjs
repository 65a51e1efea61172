/** Child process: one `startShare` (the real CLI share: node-pty, coalescer, AES-GCM, link, flow control). */
import { pathToFileURL } from "node:url";
import { now, serve } from "./util.mjs";

let handle;
let xOutputs = [];
// Flow diagnostics: every 5 ms, why is the PTY paused? (reads ShareSession internals; bench only)
let samples = { n: 0, paused: 0, server: 0, socket: 0, buffer: 0, maxBuffered: 0 };
function sampleFlow() {
  const flow = handle?.session?.flow;
  if (!flow) return;
  const reasons = new Set(flow.global);
  for (const r of flow.perShell?.values() ?? []) for (const x of r) reasons.add(x);
  samples.n++;
  if (reasons.size) samples.paused++;
  for (const r of reasons) samples[r] = (samples[r] ?? 0) + 1;
  samples.maxBuffered = Math.max(samples.maxBuffered, handle.session.stats().bufferedAmount);
}
serve({
  async start({ lib, server, home, shell, dir }) {
    const { startShare } = await import(pathToFileURL(lib).href);
    handle = await startShare({
      // No server: the embedded one in this process (`taiku` as the README runs it), data in `home`.
      ...(server ? { server } : { embedded: { home, port: 0 } }),
      shell,
      dir,
      env: { ...process.env, PS1: "$ ", PROMPT_COMMAND: "", HISTFILE: "/dev/null" },
      initialSize: { rows: 24, cols: 80 },
      // BENCH_BACKLOG=65536: the CLI's optional larger output frames under backlog (coalescer.ts).
      ...(process.env.BENCH_BACKLOG ? { outputBacklogBytes: Number(process.env.BENCH_BACKLOG) } : {}),
      log: (m) => process.env.BENCH_DEBUG && console.error(`[share] ${m}`),
    });
    setInterval(sampleFlow, 5).unref();
    // Echo decomposition: when did the CLI read (and hand to sealing) output containing an "x"?
    handle.session.on("output", (_id, chunk) => { if (chunk.length < 64 && chunk.includes(120)) xOutputs.push(now()); });
    handle.session.on("warn", (m) => console.error(`[share warn] ${m}`));
    return { sessionId: handle.sessionId, links: handle.links, server: handle.server };
  },
  async echoMarks() {
    const r = xOutputs;
    xOutputs = [];
    return { marks: r };
  },
  async flowStats() {
    const r = samples;
    samples = { n: 0, paused: 0, server: 0, socket: 0, buffer: 0, maxBuffered: 0 };
    return r;
  },
  async stats() {
    return { ...handle.session.stats() };
  },
  async stop() {
    await handle?.close("bench done");
    return {};
  },
});
