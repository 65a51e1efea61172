/**
 * Bundles the e2e harness (`startServe`, `startShare`, `launchChromium` of e2e/harness/) for the
 * bridge benchmark into node_modules/.cache/taiku-bench-bridge/ (bench/lib/bundle.mjs). The harness
 * starts the *built* binary, packages/cli/dist/taiku.js (`npm run build` first), as the browser
 * tests do. `playwright-core` stays external.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, CACHE, NATIVE_EXTERNALS, REPO } from "../../lib/bundle.mjs";

export const OUT = join(CACHE, "taiku-bench-bridge");
const HARNESS = join(REPO, "e2e", "harness");

/** processes.ts finds the repository from `import.meta.dirname`, which would be the bundle's directory. */
const harnessDirname = {
  name: "harness-dirname",
  setup(b) {
    b.onLoad({ filter: /e2e[\\/]harness[\\/][^\\/]+\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, "utf8")).replaceAll("import.meta.dirname", JSON.stringify(HARNESS)),
      loader: "ts",
    }));
  },
};

export async function buildHarness({ quiet = false } = {}) {
  const out = await bundle({
    entryPoints: { session: join(HARNESS, "session.ts"), chromium: join(HARNESS, "chromium.ts") },
    outdir: OUT,
    external: [...NATIVE_EXTERNALS, "playwright-core"],
    plugins: [harnessDirname],
    quiet,
  });
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildHarness();
  console.log(`built ${Object.values(out).join(" and ")}`);
}
