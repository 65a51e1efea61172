/**
 * bench/bridge: the plugin host bridge in real Chromium (issue "Plugin platform", Must show).
 *
 *   node bench/bridge/run.mjs [--calls 5000] [--warmup 1000] [--seconds 3] [--window 32]
 *                             [--samples 400] [--gap 25] [--plugin-host localhost]
 *
 * Needs `npm run build` (the harness starts packages/cli/dist/taiku.js, as e2e/ does) and Chromium.
 * One `taiku serve` + one `taiku` share (e2e/harness, bundled by lib/build.mjs); two browser contexts of
 * one Chromium (launch args of e2e/harness/chromium.ts): A on the admin link, B on the session link,
 * each signed in to its own new account. Each installs the bench plugin (plugin/, served from a loopback HTTP server on
 * `--plugin-host`, as a third-party plugin is installed from its manifest URL) through the plugin manager.
 *
 * In A's plugin frame (plugin/panel.html: a raw window.postMessage client — spec §6.5, no SDK — and the
 * SDK's browser bundle, which uses the MessagePort the host transfers with taiku:init):
 *   - getSession, setPluginData, with each client: `--calls` sequential round trips after `--warmup`
 *     (p50/p90/p99/max, and calls/s one at a time), then `--seconds` with `--window` calls in flight (calls/s);
 *   - session KV propagation: `--samples` writes of key "prop" `--gap` ms apart; B's frame, subscribed
 *     to plugin_data_changed, takes (its timeOrigin+now at the event) − (A's timeOrigin+now at the
 *     write) — same machine, one clock — and echoes the seq in key "echo"; A times the echo's arrival
 *     (round trip through the server twice, a clock-free cross-check: one-way ≈ round trip / 2).
 * Prints plain lines; bounded by a global deadline (`--deadline` s, default 300). `BENCH_PROF=<dir>` writes
 * V8 CPU profiles of page A during each sequential run and each flood (summarise with `node bench/relay/lib/profile-top.mjs FILE`).
 */
import { createServer } from "node:http";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildHarness } from "./lib/build.mjs";

/** The launch args of e2e/harness/chromium.ts, for the one diagnostic variant that adds a flag. */
const E2E_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];
const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    calls: { type: "string", default: "5000" },
    warmup: { type: "string", default: "1000" },
    seconds: { type: "string", default: "3" },
    window: { type: "string", default: "32" },
    samples: { type: "string", default: "400" },
    gap: { type: "string", default: "25" },
    "plugin-host": { type: "string", default: "localhost" },
    deadline: { type: "string", default: "300" },
    "no-isolate-sandbox": { type: "boolean", default: false },
    "fill-keys": { type: "string", default: "600" },
  },
});
const N = Number(opt.calls), WARMUP = Number(opt.warmup), SECONDS = Number(opt.seconds), WINDOW = Number(opt.window);
const SAMPLES = Number(opt.samples), GAP = Number(opt.gap), FILL = Number(opt["fill-keys"]);

const cleanups = [];
const cleanup = async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => {});
};
const deadline = setTimeout(async () => {
  console.error(`deadline of ${opt.deadline} s reached: stopping`);
  await cleanup();
  process.exit(2);
}, Number(opt.deadline) * 1000);

const f2 = (x) => (x < 10 ? x.toFixed(3) : x.toFixed(1));
const pct = (s) => `p50 ${f2(s.p50)} ms  p90 ${f2(s.p90)} ms  p99 ${f2(s.p99)} ms  max ${f2(s.max)} ms  (n=${s.n})`;
function stats(samples) {
  const s = Float64Array.from(samples).sort();
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] };
}

const SDK_BUNDLE = join(here, "..", "..", "packages", "plugin-sdk", "dist", "taiku-plugin-sdk.js");
const TYPES = { json: "application/json", html: "text/html; charset=utf-8", js: "text/javascript" };

/** Serves plugin/ (manifest.json, panel.html) and sdk.js (the SDK bundle) on its own port, CORS open, as a plugin author's host would. */
async function servePlugin(host) {
  const server = createServer(async (req, res) => {
    const name = (req.url ?? "/").split("?")[0].replace(/^\/+/, "");
    if (!/^[a-z]+\.(json|html)$/.test(name) && name !== "sdk.js") return void res.writeHead(404).end();
    try {
      const body = await readFile(name === "sdk.js" ? SDK_BUNDLE : join(here, "plugin", name));
      res.writeHead(200, { "content-type": TYPES[name.split(".").pop()], "access-control-allow-origin": "*" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return `http://${host}:${server.address().port}`;
}

async function openSession(ctx, url) {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('[data-testid="terminal-1"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid="plugins-open"]');
  return page;
}

/** Install from the manifest URL through the plugin manager (permission dialog included); returns its frame. */
async function installBench(page, origin) {
  await page.click('[data-testid="plugins-open"]');
  await page.fill('[data-testid="plugin-install-url"]', `${origin}/manifest.json`);
  await page.click('[data-testid="plugin-install"]');
  await page.waitForSelector('[data-testid="plugin-permissions-dialog"]');
  await page.click('[data-testid="plugin-approve"]');
  await page.click('[data-testid="plugin-manager-close"]');
  await page.waitForSelector('iframe[data-plugin-id="bench.bridge"]', { state: "attached" });
  let frame;
  for (let i = 0; i < 200 && !(frame = page.frames().find((f) => f.url().startsWith(origin))); i++) await page.waitForTimeout(50);
  if (!frame) throw new Error("bench plugin frame did not load");
  await frame.waitForFunction(() => window.bench?.ready(), undefined, { timeout: 30_000 });
  return frame;
}

/** `BENCH_PROF=<dir>`: V8 CPU profile of page A's renderer (host page and in-process frames) during each sequential run and flood. */
const PROF = process.env.BENCH_PROF;
async function startProfile(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  return {
    async stop(name) {
      const { profile } = await cdp.send("Profiler.stop");
      await mkdir(PROF, { recursive: true });
      const file = join(PROF, `${name}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      await cdp.detach();
      return file;
    },
  };
}

async function main() {
  const t0 = Date.now();
  const { session, chromium } = await buildHarness({ quiet: true });
  const { startServe, startShare } = await import(session);
  const { launchChromium, chromiumPath } = await import(chromium);

  const server = await startServe();
  cleanups.push(() => server.stop());
  const share = await startShare(server, []);
  cleanups.push(() => share.stop());
  const origin = await servePlugin(opt["plugin-host"]);
  // `--no-isolate-sandbox` (diagnostic): Chromium puts sandboxed (opaque-origin) iframes in their own
  // renderer process (feature IsolateSandboxedIframes); turning it off shows what that hop costs.
  const browser = opt["no-isolate-sandbox"]
    ? await (await import("playwright-core")).chromium.launch({
      executablePath: chromiumPath(), headless: true,
      args: [...E2E_ARGS, "--disable-features=IsolateSandboxedIframes"],
    })
    : await launchChromium();
  cleanups.push(() => browser.close());
  console.log(`setup: ${chromiumPath()} ${browser.version()}, server ${server.url}, plugin ${origin}/manifest.json, ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const ctxA = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const ctxB = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // Signed in: the server fetches a third-party manifest for the install dialog (signed out, the page
  // would fetch it itself, which the app's CSP `connect-src 'self'` refuses for another origin).
  for (const [ctx, name] of [[ctxA, "Ada"], [ctxB, "Bob"]]) {
    const r = await ctx.request.post(`${server.url}/api/v1/auth/signup`, {
      data: { name, email: `${name.toLowerCase()}-${Date.now()}@example.test`, password: "correct horse battery staple" },
      headers: { origin: server.url },
    });
    if (r.status() !== 201) throw new Error(`signup: ${r.status()} ${await r.text()}`);
  }
  const a = await openSession(ctxA, share.links.admin);
  const b = await openSession(ctxB, share.links.session);
  const fa = await installBench(a, origin);
  const fb = await installBench(b, origin);

  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
  const { targetInfos } = await cdp.send("Target.getTargets");
  const oopif = targetInfos.filter((t) => t.type === "iframe" && t.url.startsWith(origin)).length;
  console.log(`chromium: ${processInfo.filter((p) => p.type === "renderer").length} renderer processes; bench plugin frames out of process: ${oopif} of 2`);
  await cdp.detach();

  console.log(`SDK client in A's bench frame: transport ${await fa.evaluate(() => window.bench.sdkTransport())}`);
  for (const method of ["getSession", "setPluginData"]) {
    for (const [client, label] of [["raw", "raw/window"], ["sdk", "SDK/port"]]) {
      const name = `${method} ${label}`.padEnd(24);
      const seqProf = PROF ? await startProfile(a) : null;
      const lat = await fa.evaluate(([m, n, w, c]) => window.bench.latency(m, n, w, c), [method, N, WARMUP, client]);
      if (seqProf) console.log(`  profile of page A during the sequential ${method} ${client} calls: ${await seqProf.stop(`a-${method}-${client}-seq`)}`);
      console.log(`bridge ${name} round trip (1 in flight): ${pct(lat)}  mean ${f2(lat.mean)} ms  ${Math.round(lat.perSecond)} calls/s`);
      const prof = PROF ? await startProfile(a) : null;
      const tp = await fa.evaluate(([m, ms, w, c]) => window.bench.throughput(m, ms, w, c), [method, SECONDS * 1000, WINDOW, client]);
      if (prof) console.log(`  profile of page A (host and plugin frame) during the ${method} ${client} flood: ${await prof.stop(`a-${method}-${client}`)}`);
      console.log(`bridge ${name} ${WINDOW} in flight for ${tp.seconds.toFixed(1)} s: ${Math.round(tp.perSecond)} calls/s (${tp.calls} calls, ${tp.errors} errors)`);
      // Let the session KV diffs of the flood drain from the server and both browsers before the next part.
      await a.waitForTimeout(1000);
    }
  }

  // The same calls with a nearly full session KV (--fill-keys entries of ~100 bytes): the host's KV
  // view does per-call work proportional to the plugin's entries.
  if (FILL > 0) {
    const keys = await fa.evaluate(([k, b]) => window.bench.fill(k, b), [FILL, 90]);
    await a.waitForTimeout(1000);
    for (const method of ["getPluginData", "setPluginData"]) {
      const prof = PROF ? await startProfile(a) : null;
      const lat = await fa.evaluate(([m, n, w]) => window.bench.latency(m, n, w), [method, Math.min(N, 2000), Math.min(WARMUP, 200)]);
      if (prof) console.log(`  profile of page A during ${method} with a full KV: ${await prof.stop(`a-${method}-full`)}`);
      console.log(`bridge ${method.padEnd(13)} with ${keys} keys in session KV, round trip (1 in flight): ${pct(lat)}  mean ${f2(lat.mean)} ms  ${Math.round(lat.perSecond)} calls/s`);
    }
    await fa.evaluate(() => window.bench.clear("fill"));
  }

  // The floor: a bare page with one iframe under the same sandbox attributes, echoing each request at
  // once — the cross-frame round trip with no taiku code on either side; by window.postMessage, and
  // over a MessagePort transferred to the frame once (floor.html?port).
  for (const [label, query] of [["postMessage echo", ""], ["MessagePort echo", "?port"]]) {
    const floorPage = await ctxA.newPage();
    await floorPage.goto(`${origin}/floor.html${query}`);
    await floorPage.waitForFunction(() => window.floor.ready(), undefined, { timeout: 30_000 });
    const fl = await floorPage.evaluate(([n, w]) => window.floor.latency(n, w), [N, WARMUP]);
    console.log(`floor  ${label.padEnd(20)} round trip (1 in flight): ${pct(fl)}  mean ${f2(fl.mean)} ms  ${Math.round(fl.perSecond)} calls/s`);
    const ft = await floorPage.evaluate(([ms, w]) => window.floor.throughput(ms, w), [SECONDS * 1000, WINDOW]);
    console.log(`floor  ${label.padEnd(20)} ${WINDOW} in flight for ${ft.seconds.toFixed(1)} s: ${Math.round(ft.perSecond)} calls/s (${ft.calls} calls)`);
    await floorPage.close();
  }

  await fb.evaluate(() => window.bench.receiver(true));
  const sent = await fa.evaluate(([n, gap]) => window.bench.sender(n, gap), [SAMPLES, GAP]);
  const oneWay = await fb.evaluate(() => window.bench.receiverSamples());
  const ow = stats(oneWay.map((s) => s.ms));
  console.log(`session KV propagation A→B one-way (setPluginData in A → plugin_data_changed in B, timeOrigin clocks): ${pct(ow)}  received ${oneWay.length}/${SAMPLES}, ${GAP} ms apart`);
  const rt = stats(sent.rtt);
  console.log(`session KV propagation A→B→A round trip (B echoes in its handler): ${pct(rt)}  unmatched ${sent.lost} (a later echo was already there when A read it)`);
  console.log(`  round trip / 2: p50 ${f2(rt.p50 / 2)} ms  p99 ${f2(rt.p99 / 2)} ms`);
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(deadline);
}
