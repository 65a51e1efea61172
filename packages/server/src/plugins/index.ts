/**
 * The plugin platform's server side: User KV, plugin file storage, the built-in plugin registry and
 * per-user enablement. buildApp registers this once; each area is its own module.
 */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Db } from "../db/database.js";
import type { AuthConfig } from "../http/auth.js";
import type { Relay } from "../seams.js";
import type { NonceStore } from "../sessions/auth.js";
import { registerEnablementRoutes } from "./enablement.js";
import { PluginFileStore } from "./file-store.js";
import { loadBuiltins, registerRegistryRoutes } from "./registry.js";
import type { PluginStorageLimits, UserKvLimits } from "./settings.js";
import { registerStorageRoutes } from "./storage.js";
import { registerUserKvRoutes, UserKvStore } from "./user-kv.js";

export interface PluginPlatformDeps {
  db: Db;
  /** `$TAIKU_HOME`; files go to `<home>/storage/<accountId>/<pluginId>/`. */
  home: string;
  pluginsDir: string;
  userKv: UserKvLimits;
  storage: PluginStorageLimits;
  installTimeoutMs: number;
  now: () => number;
  /** Known once listening (port 0); "" before. */
  publicUrl: () => string;
}

export function registerPluginPlatform(app: FastifyInstance, auth: AuthConfig, relay: () => Relay, deps: PluginPlatformDeps, nonces?: NonceStore): void {
  const owner = { auth, relay };
  registerUserKvRoutes(app, { ...owner, store: new UserKvStore(deps.db, deps.userKv, deps.now), limits: deps.userKv });

  const store = new PluginFileStore(deps.db, join(deps.home, "storage"), deps.storage, deps.now);
  // Own scope: storage routes take raw and multipart bodies, which no other route should accept.
  void app.register((scope) => registerStorageRoutes(scope, { ...owner, nonces, store, limits: deps.storage, now: deps.now }));

  void app.register(async (scope) => {
    const builtins = await loadBuiltins(deps.pluginsDir, scope.log);
    registerRegistryRoutes(scope, builtins);
    registerEnablementRoutes(scope, {
      db: deps.db,
      auth,
      builtins,
      now: deps.now,
      installTimeoutMs: deps.installTimeoutMs,
      appOrigin: () => (deps.publicUrl() ? new URL(deps.publicUrl()).origin : undefined),
    });
  });
}

export { parseByteSize } from "./settings.js";
