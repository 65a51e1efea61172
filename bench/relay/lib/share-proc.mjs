/** Child process: one `startShare` (the real CLI share: node-pty, coalescer, AES-GCM, link, flow control). */
import { pathToFileURL } from "node:url";
import { serve } from "./util.mjs";

let handle;
serve({
  async start({ lib, server, shell, dir }) {
    const { startShare } = await import(pathToFileURL(lib).href);
    handle = await startShare({
      server,
      shell,
      dir,
      env: { ...process.env, PS1: "$ ", PROMPT_COMMAND: "", HISTFILE: "/dev/null" },
      initialSize: { rows: 24, cols: 80 },
      log: (m) => process.env.BENCH_DEBUG && console.error(`[share] ${m}`),
    });
    handle.session.on("warn", (m) => console.error(`[share warn] ${m}`));
    return { sessionId: handle.sessionId, links: handle.links, server: handle.server };
  },
  async stats() {
    return { ...handle.session.stats() };
  },
  async stop() {
    await handle?.close("bench done");
    return {};
  },
});
