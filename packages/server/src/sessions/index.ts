/**
 * Session-scoped HTTP routes served from the relay's live state: the auth challenge (§2.6.3), session
 * KV and plugins (§11.3.2, §11.3.4), the CLI-backed filesystem with staged downloads (§11.3.5) and
 * remote commands (§13). Registered once by buildApp.
 */
import type { FastifyInstance } from "fastify";
import { ERRORS } from "@taiku/protocol";
import type { AuthConfig } from "../http/auth.js";
import { HttpError } from "../http/errors.js";
import type { Relay } from "../seams.js";
import { NonceStore } from "./auth.js";
import { DownloadStore } from "./downloads.js";
import { registerFsRoutes } from "./fs-routes.js";
import { registerLocalPluginRoutes } from "./local-plugin-routes.js";
import { registerRemoteRoutes } from "./remote-routes.js";
import { registerStateRoutes } from "./state-routes.js";

export interface SessionRoutesOptions {
  now?: () => number;
  /** Parent of the staging directory for downloads (default: the OS temp dir). */
  stagingRoot?: string;
}

/** Returns the nonce store, so other session-auth routes (plugin file reads) share the challenges. */
export function registerSessionScopedRoutes(app: FastifyInstance, auth: AuthConfig, relay: () => Relay, opts: SessionRoutesOptions = {}): NonceStore {
  const now = opts.now ?? Date.now;
  const nonces = new NonceStore(now);
  const downloads = new DownloadStore(now, opts.stagingRoot);
  let hooked = false;
  const live = (): Relay => {
    const r = relay();
    if (!hooked) {
      hooked = true;
      r.onSessionEnd?.((id) => downloads.dropSession(id));
    }
    return r;
  };
  app.addHook("onReady", async () => {
    try {
      live();
    } catch {
      hooked = false; // relay not created yet (it exists once listening); hooked on first request
    }
  });
  app.addHook("onClose", async () => downloads.close());

  app.get<{ Params: { id: string } }>("/api/s/:id/auth-challenge", async (req, reply) => {
    const access = live().session?.(req.params.id);
    if (!access) throw new HttpError(404, ERRORS.sessionNotFoundDot);
    const issued = nonces.issue(access.sessionId, access.settings.sessionNonceMs);
    if (!issued) throw new HttpError(429, ERRORS.rateLimited);
    reply.header("cache-control", "no-store");
    return issued;
  });

  registerStateRoutes(app, live, nonces);
  registerFsRoutes(app, { relay: live, nonces, downloads });
  registerRemoteRoutes(app, auth, live);
  registerLocalPluginRoutes(app, live);
  return nonces;
}
