/**
 * Where the built web app is, for the embedded server's `webRoot`:
 * 1. `<package>/web` next to `dist/` — the npm package (bundle.mjs copies packages/web/dist there);
 * 2. `packages/web/dist` — a source checkout (from packages/cli/dist or packages/cli/src).
 * `TAIKU_WEB_ROOT` overrides both.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function webRootCandidates(moduleDir: string): string[] {
  const pkgDir = resolve(moduleDir, "..");
  return [join(pkgDir, "web"), resolve(pkgDir, "..", "web", "dist")];
}

export function findWebRoot(env: NodeJS.ProcessEnv = process.env, moduleDir = dirname(fileURLToPath(import.meta.url))): string | undefined {
  if (env.TAIKU_WEB_ROOT) return env.TAIKU_WEB_ROOT;
  return webRootCandidates(moduleDir).find((dir) => existsSync(join(dir, "index.html")));
}
