/**
 * Where the assets the server serves are, for `webRoot` and `pluginsDir`:
 * 1. next to `dist/` — the npm package (bundle.mjs copies them there: `web/`, `plugins/`);
 * 2. in a source checkout — `packages/web/dist` and the top-level `plugins/`.
 * `TAIKU_WEB_ROOT` / `TAIKU_PLUGINS_DIR` override both.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = () => dirname(fileURLToPath(import.meta.url));

export function webRootCandidates(moduleDir: string): string[] {
  const pkgDir = resolve(moduleDir, "..");
  return [join(pkgDir, "web"), resolve(pkgDir, "..", "web", "dist")];
}

export function findWebRoot(env: NodeJS.ProcessEnv = process.env, moduleDir = here()): string | undefined {
  if (env.TAIKU_WEB_ROOT) return env.TAIKU_WEB_ROOT;
  return webRootCandidates(moduleDir).find((dir) => existsSync(join(dir, "index.html")));
}

export function pluginsDirCandidates(moduleDir: string): string[] {
  const pkgDir = resolve(moduleDir, "..");
  return [join(pkgDir, "plugins"), resolve(pkgDir, "..", "..", "plugins")];
}

export function findPluginsDir(env: NodeJS.ProcessEnv = process.env, moduleDir = here()): string | undefined {
  if (env.TAIKU_PLUGINS_DIR) return env.TAIKU_PLUGINS_DIR;
  return pluginsDirCandidates(moduleDir).find((dir) => existsSync(dir));
}
