/**
 * Bundles taiku from the workspace *sources* (not a possibly stale tsc emit) for the benchmark:
 *   taiku.mjs — the `taiku` binary (packages/cli/src/taiku.ts), run as `node taiku.mjs serve`;
 *   lib.mjs   — startShare, the headless SessionClient of packages/web/src/common, crypto, protocol.
 * Output goes to node_modules/.cache/taiku-bench/ (ignored; external native modules resolve from
 * the root node_modules). Same esbuild settings as packages/cli/scripts/bundle.mjs.
 */
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "..", "..", "..");
export const OUT = join(REPO, "node_modules", ".cache", "taiku-bench");

/**
 * `BENCH_BUNDLE=<dir>`: use (and, when empty, fill) that directory instead, and never rebuild it once
 * it holds a bundle — so a snapshot of the sources before a change can be measured against the
 * current sources in the same run conditions (a directory inside the repository, so external modules resolve: `node_modules/.cache/taiku-before`).
 */
const PINNED = process.env.BENCH_BUNDLE ? resolve(process.env.BENCH_BUNDLE) : null;

const workspaceSources = {
  name: "taiku-workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^@taiku\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
      const [, name, sub] = /^@taiku\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(args.path);
      const file = join(REPO, "packages", name, "src", sub ? join(sub, "index.ts") : "index.ts");
      return existsSync(file) ? { path: file } : undefined;
    });
  },
};

export async function buildTaiku({ quiet = false } = {}) {
  if (PINNED && existsSync(join(PINNED, "lib.mjs"))) return { taikuBin: join(PINNED, "taiku.mjs"), lib: join(PINNED, "lib.mjs") };
  const out = PINNED ?? OUT;
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: { taiku: join(REPO, "packages", "cli", "src", "taiku.ts"), lib: join(here, "entry.mjs") },
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    external: ["node-pty", "better-sqlite3", "cbor-extract", "ws"],
    plugins: [workspaceSources],
    chunkNames: "chunk-[hash]",
    logLevel: quiet ? "error" : "warning",
  });
  return { taikuBin: join(out, "taiku.mjs"), lib: join(out, "lib.mjs") };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildTaiku();
  console.log(`built ${out.taikuBin} and ${out.lib}`);
}
