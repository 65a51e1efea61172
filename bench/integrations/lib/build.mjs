/**
 * Bundles the integrations test scaffolding (packages/server/test/integrations: harness, stand-ins)
 * with the server it starts, from the workspace sources, into node_modules/.cache/taiku-bench-integrations/.
 * The harness registers vitest `afterEach` cleanups; `vitest` is shimmed with a no-op, and the bench
 * closes what it starts itself. oidc-provider stays external (loaded from the root node_modules).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, CACHE, NATIVE_EXTERNALS, REPO, shimModule } from "../../lib/bundle.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const CATALOGUES = join(REPO, "packages", "server", "scripts", "catalogues");

export async function buildIntegrations({ quiet = true } = {}) {
  const out = await bundle({
    entryPoints: { lib: join(here, "entry.mjs") },
    outdir: join(CACHE, "taiku-bench-integrations"),
    external: [...NATIVE_EXTERNALS, "oidc-provider"],
    plugins: [shimModule("vitest", "export const afterEach = () => {}; export const beforeEach = () => {};")],
    quiet,
  });
  return out.lib;
}
