/**
 * Bundles taiku from the workspace *sources* (not a possibly stale tsc emit) for the benchmark:
 *   taiku.mjs — the `taiku` binary (packages/cli/src/taiku.ts), run as `node taiku.mjs serve`;
 *   lib.mjs   — startShare, the headless SessionClient of packages/web/src/common, crypto, protocol.
 * Output goes to node_modules/.cache/taiku-bench/ (ignored; external native modules resolve from
 * the root node_modules). Same esbuild settings as packages/cli/scripts/bundle.mjs (bench/lib/bundle.mjs).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, CACHE, REPO as ROOT } from "../../lib/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = ROOT;
export const OUT = join(CACHE, "taiku-bench");

/**
 * `BENCH_BUNDLE=<dir>`: use (and, when empty, fill) that directory instead, and never rebuild it once
 * it holds a bundle — so a snapshot of the sources before a change can be measured against the
 * current sources in the same run conditions (a directory inside the repository, so external modules resolve: `node_modules/.cache/taiku-before`).
 */
const PINNED = process.env.BENCH_BUNDLE ? resolve(process.env.BENCH_BUNDLE) : null;

export async function buildTaiku({ quiet = false } = {}) {
  if (PINNED && existsSync(join(PINNED, "lib.mjs"))) return { taikuBin: join(PINNED, "taiku.mjs"), lib: join(PINNED, "lib.mjs") };
  const out = await bundle({
    entryPoints: { taiku: join(REPO, "packages", "cli", "src", "taiku.ts"), lib: join(here, "entry.mjs") },
    outdir: PINNED ?? OUT,
    quiet,
  });
  return { taikuBin: out.taiku, lib: out.lib };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildTaiku();
  console.log(`built ${out.taikuBin} and ${out.lib}`);
}
