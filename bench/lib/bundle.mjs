/**
 * Shared by every bench/ suite: bundles taiku code from the workspace *sources* (not a possibly
 * stale tsc emit) with esbuild into node_modules/.cache/<dir>/ (ignored; external modules resolve
 * from the root node_modules). Same esbuild settings as packages/cli/scripts/bundle.mjs.
 *
 * `@taiku/<pkg>` and `@taiku/<pkg>/<sub>` resolve to packages/<pkg>/src[/<sub>]/index.ts. Entry
 * points may also be TypeScript files of the packages' tests (stand-ins, helpers): esbuild strips
 * the types, and each bare import resolves from the importing file, as under vitest.
 */
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { cp, mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "..", "..");
export const CACHE = join(REPO, "node_modules", ".cache");

/** Native or otherwise unbundleable modules, loaded from the root node_modules at run time. */
export const NATIVE_EXTERNALS = ["node-pty", "better-sqlite3", "cbor-extract", "ws"];

export const workspaceSources = {
  name: "taiku-workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^@taiku\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
      const [, name, sub] = /^@taiku\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(args.path);
      const file = join(REPO, "packages", name, "src", sub ? join(sub, "index.ts") : "index.ts");
      return existsSync(file) ? { path: file } : undefined;
    });
  },
};

/**
 * Replaces a bare module with a small stand-in module, e.g. `vitest` in test helpers that register
 * `afterEach` cleanups (the benchmark cleans up itself).
 */
export function shimModule(name, contents) {
  const filter = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`);
  return {
    name: `shim-${name}`,
    setup(b) {
      b.onResolve({ filter }, () => ({ path: name, namespace: "bench-shim" }));
      b.onLoad({ filter: /.*/, namespace: "bench-shim" }, (args) => (args.path === name ? { contents, loader: "js" } : undefined));
    },
  };
}

/**
 * Bundles `entryPoints` ({ name: absolute path }) into `outdir` (wiped first), one `<name>.mjs` per
 * entry plus shared chunks. Returns { name: absolute path of the bundle }.
 */
export async function bundle({ entryPoints, outdir, external = NATIVE_EXTERNALS, plugins = [], quiet = false }) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints,
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    external,
    plugins: [workspaceSources, ...plugins],
    chunkNames: "chunk-[hash]",
    logLevel: quiet ? "error" : "warning",
  });
  // The CLI's PTY thread script is loaded from next to the code (packages/cli/src/pty-host.ts).
  await cp(join(REPO, "packages", "cli", "src", "pty-worker.cjs"), join(outdir, "pty-worker.cjs"));
  return Object.fromEntries(Object.keys(entryPoints).map((k) => [k, join(outdir, `${k}.mjs`)]));
}
