/**
 * Bundles @taiku/agents (packages/agents/src) and the Bot API stand-in of its tests
 * (packages/agents/test/helpers/bot-api.ts) into node_modules/.cache/taiku-bench-agents/lib.mjs.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, CACHE, NATIVE_EXTERNALS } from "../../lib/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export async function buildAgents({ quiet = true } = {}) {
  // grammY stays external: bundled, its node-fetch rejects Node's AbortSignal ("Expected signal to be
  // an instanceof AbortSignal") and every Bot API call fails.
  const out = await bundle({ entryPoints: { lib: join(here, "entry.mjs") }, outdir: join(CACHE, "taiku-bench-agents"), external: [...NATIVE_EXTERNALS, "grammy"], quiet });
  return out.lib;
}
