#!/usr/bin/env node
/**
 * Packaging (issue "taiku core", item 2): bundle the `taiku` binary with every @taiku/* workspace
 * package and the pure-JS dependencies into dist/, so the npm package has no workspace deps.
 * Native or runtime-resolved modules stay external and are real `dependencies` in package.json:
 *   node-pty, better-sqlite3  — native addons (node-gyp);
 *   cbor-extract              — cbor-x's optional native accelerator (cbor-x falls back to JS);
 *   bufferutil                — ws's optional native frame masking (prebuilt binaries in the npm
 *                               package; ws falls back to JS when it is missing);
 *   pino transports (thread-stream workers) are not used: the server logs synchronously.
 * Then copies the built web app (packages/web/dist) to ./web, where webroot.ts looks first, and the
 * integrations tool catalogues (packages/server/scripts/catalogues/*.json) to dist/catalogues, where
 * the bundled server's defaultCatalogueDir() looks first.
 *
 * Outputs: dist/taiku.js (bin, with shebang) and dist/lib.js (library API), sharing chunks, and
 * dist/pty-worker.cjs (the PTY thread's script, plain JavaScript, copied as is).
 */
import { build } from "esbuild";
import { chmod, cp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(pkgDir, "..", "..");
export const EXTERNAL = ["node-pty", "better-sqlite3", "cbor-extract", "bufferutil"];

// Resolve @taiku/* to TypeScript sources: the bundle never depends on a stale tsc emit.
const workspaceSources = {
  name: "taiku-workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^@taiku\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
      const [, name, sub] = /^@taiku\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(args.path);
      const file = join(repo, "packages", name, "src", sub ? join(sub, "index.ts") : "index.ts");
      return existsSync(file) ? { path: file } : undefined;
    });
  },
};

const banner = [
  "#!/usr/bin/env node",
  // Bundled CommonJS dependencies call require(); ESM has none, so provide one.
  'import { createRequire as __taikuCreateRequire } from "node:module";',
  "const require = __taikuCreateRequire(import.meta.url);",
].join("\n");

async function newestMtime(dir) {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!entry.isFile() || !/\.(ts|cjs)$/.test(entry.name)) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath ?? entry.path, entry.name))).mtimeMs);
  }
  return newest;
}

/** `--if-stale` (tests): skip when dist/taiku.js is newer than every source and web/ is current. */
async function upToDate(outdir) {
  const bin = await stat(join(outdir, "taiku.js")).catch(() => null);
  if (!bin) return false;
  if (!existsSync(join(outdir, "catalogues", "github.json")) || !existsSync(join(outdir, "externals.json"))) return false;
  for (const pkg of ["cli", "server", "protocol", "crypto", "agents", "connectors", "plugin-sdk"]) {
    if ((await newestMtime(join(repo, "packages", pkg, "src"))) > bin.mtimeMs) return false;
  }
  const webIndex = await stat(join(repo, "packages", "web", "dist", "index.html")).catch(() => null);
  const copied = await stat(join(pkgDir, "web", "index.html")).catch(() => null);
  return !webIndex || (copied !== null && copied.mtimeMs >= webIndex.mtimeMs);
}

async function main() {
  const outdir = join(pkgDir, "dist");
  await mkdir(outdir, { recursive: true });
  if (process.argv.includes("--if-stale") && (await upToDate(outdir))) return;
  const result = await build({
    entryPoints: { taiku: join(pkgDir, "src", "taiku.ts"), lib: join(pkgDir, "src", "index.ts") },
    outdir,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: banner },
    external: EXTERNAL,
    plugins: [workspaceSources],
    chunkNames: "chunk-[hash]",
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
  });
  await chmod(join(outdir, "taiku.js"), 0o755);
  // The PTY thread's script (pty-host.ts loads it from next to the bundle's chunks).
  await cp(join(pkgDir, "src", "pty-worker.cjs"), join(outdir, "pty-worker.cjs"));
  // The bare imports left in the output, from esbuild's own record (not a text scan, which would
  // also see import lines inside template strings such as `taiku plugin new`'s scaffold).
  const externals = new Set();
  for (const out of Object.values(result.metafile.outputs)) for (const i of out.imports) if (i.external) externals.add(i.path);
  await writeFile(join(outdir, "externals.json"), JSON.stringify([...externals].sort(), null, 2) + "\n");

  // Remove chunks of earlier builds (after writing: a running binary never misses its chunks).
  const outputs = new Set(Object.keys(result.metafile.outputs).map((o) => resolve(process.cwd(), o)));
  for (const f of await readdir(outdir)) {
    if (/^chunk-.*\.js$/.test(f) && !outputs.has(join(outdir, f))) await rm(join(outdir, f));
  }

  const webDist = join(repo, "packages", "web", "dist");
  const webOut = join(pkgDir, "web");
  await rm(webOut, { recursive: true, force: true });
  if (existsSync(join(webDist, "index.html"))) {
    await cp(webDist, webOut, { recursive: true });
    console.log(`bundle: copied ${webDist} -> ${webOut}`);
  } else {
    console.warn("bundle: packages/web/dist not built; the package will have no web app (run the web build first)");
  }
  // Built-in plugins (the server's pluginsDir) travel with the package, like the web app.
  const pluginsSrc = join(repo, "plugins");
  const pluginsOut = join(pkgDir, "plugins");
  await rm(pluginsOut, { recursive: true, force: true });
  if (existsSync(pluginsSrc)) {
    await cp(pluginsSrc, pluginsOut, { recursive: true });
    console.log(`bundle: copied ${pluginsSrc} -> ${pluginsOut}`);
  }
  // Integrations tool catalogues: the server looks for `catalogues/` next to its module (dist/ here).
  const cataloguesSrc = join(repo, "packages", "server", "scripts", "catalogues");
  const cataloguesOut = join(outdir, "catalogues");
  await rm(cataloguesOut, { recursive: true, force: true });
  await mkdir(cataloguesOut, { recursive: true });
  const catalogues = (await readdir(cataloguesSrc)).filter((f) => f.endsWith(".json"));
  if (catalogues.length === 0) throw new Error(`bundle: no catalogues in ${cataloguesSrc}`);
  for (const f of catalogues) await cp(join(cataloguesSrc, f), join(cataloguesOut, f));
  console.log(`bundle: copied ${catalogues.length} integration catalogues -> ${cataloguesOut}`);
  const size = (await stat(join(outdir, "taiku.js"))).size;
  const inputs = Object.keys(result.metafile.inputs).length;
  console.log(`bundle: dist/taiku.js ${(size / 1024).toFixed(0)} KiB (+ lib.js, ${inputs} inputs), external: ${EXTERNAL.join(", ")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
