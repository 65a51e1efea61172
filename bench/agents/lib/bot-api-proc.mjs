/**
 * The Bot API stand-in of the packages/agents tests (test/helpers/bot-api.ts, bundled into the
 * agents bench lib) in its own process, so that the bench process's event loop being busy cannot
 * delay when a call is seen to arrive. IPC protocol of bench/relay/lib/util.mjs `child`:
 *   {t:"start", lib} → {t:"start:done", url};  {t:"calls"} → {t:"calls:done", calls:[{method, at}]}
 * `at` is epoch milliseconds (performance.timeOrigin + the stand-in's performance.now()).
 */
import { pathToFileURL } from "node:url";

let api = null;
process.on("message", async (m) => {
  try {
    if (m.t === "start") {
      const lib = await import(pathToFileURL(m.lib).href);
      api = await new lib.BotApiStandIn().start();
      process.send({ t: "start:done", url: api.url });
    } else if (m.t === "calls") {
      process.send({ t: "calls:done", calls: api.calls.map((c) => ({ method: c.method, at: performance.timeOrigin + c.at })) });
    }
  } catch (err) {
    process.send({ t: `${m.t}:done`, error: String(err?.stack ?? err) });
  }
});
process.on("disconnect", () => void (api ? api.stop() : Promise.resolve()).finally(() => process.exit(0)));
