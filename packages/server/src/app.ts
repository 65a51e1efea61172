/**
 * Fastify wiring: logging, body limits, text/plain errors, security headers and the route modules.
 * No listening, no storage setup here (index.ts does that), so the wiring reads top to bottom.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import type { AccountService } from "./accounts/accounts.js";
import type { CliLoginService } from "./accounts/cli-login.js";
import type { RateLimiter } from "./accounts/rate-limit.js";
import type { Relay } from "./seams.js";
import { registerApiKeyRoutes } from "./http/api-key-routes.js";
import type { AuthConfig } from "./http/auth.js";
import { registerAuthRoutes } from "./http/auth-routes.js";
import { registerCliLoginRoutes } from "./http/cli-login-routes.js";
import { clientErrorText, HttpError, sendText, TEXT } from "./http/errors.js";
import { registerSessionRoutes } from "./http/session-routes.js";
import { registerSessionScopedRoutes } from "./sessions/index.js";
import { registerTunnelRoutes, tunnelHostRewriter } from "./sessions/tunnel-routes.js";
import { registerStatic } from "./http/static.js";
import { type PluginPlatformDeps, registerPluginPlatform } from "./plugins/index.js";
import { SERVER_VERSION } from "./version.js";

export interface AppDeps {
  logLevel: string;
  logFile?: string;
  bodyLimit: number;
  https?: { cert: string; key: string };
  trustProxy: boolean;
  webRoot?: string;
  auth: AuthConfig;
  accounts: AccountService;
  cliLogin: CliLoginService;
  signInLimiter: RateLimiter;
  allowSignup: boolean;
  /** The relay exists only once the listen address (and so the public URL) is known. */
  relay: () => Relay;
  /** User KV, plugin file storage, registry, per-user plugins (additive; absent = routes not served). */
  plugins?: PluginPlatformDeps;
  /** Integrations routes (§11.3.10; additive: absent = routes not served). */
  integrations?: (app: FastifyInstance, auth: AuthConfig) => void;
  /** Devices and remote start (§11.3.9; additive: absent = routes not served). */
  devices?: (app: FastifyInstance, auth: AuthConfig) => void;
  /** Connector runtime routes: connections, channels, inbox and `/hook/<token>` (additive: absent = not served). */
  connectors?: (app: FastifyInstance, auth: AuthConfig) => void;
  /** Isolated tunnel origin (`TAIKU_TUNNEL_ORIGIN`): requests for its per-tunnel hosts are proxied. */
  tunnelOrigin?: URL;
}

/** Request log lines carry method, path and peer only: query strings can hold codes, headers hold credentials. */
const logSerializers = {
  req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split("?")[0], remoteAddress: req.ip }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
};

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    logger: { level: deps.logLevel, serializers: logSerializers, ...(deps.logFile ? { file: deps.logFile } : {}) },
    bodyLimit: deps.bodyLimit,
    trustProxy: deps.trustProxy,
    // Path parameters carry User KV keys (256 characters, up to 12 bytes each when percent-encoded)
    // and 255-byte file names; the router's default of 100 would reject them before our checks.
    routerOptions: { maxParamLength: 4096 },
    // Closing (shutdown, restart, tests) ends every connection: a keep-alive connection whose response
    // had not quite finished when close began is not "idle" yet, and would hold close for the keep-alive
    // timeout. Browsers and the CLI reconnect; live sessions were snapshotted first.
    forceCloseConnections: true,
    ...(deps.https ? { https: deps.https } : {}),
    ...(deps.tunnelOrigin ? { rewriteUrl: tunnelHostRewriter(deps.tunnelOrigin) } : {}),
    // Malformed URLs get the same text/plain treatment as every other client error.
    frameworkErrors: (err, _req, reply) => {
      sendText(reply, 400, clientErrorText(err as FastifyError));
    },
  });

  app.addHook("onSend", async (_req, reply) => {
    reply.header("x-content-type-options", "nosniff");
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) return sendText(reply, err.status, err.message);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendText(reply, status, clientErrorText(err));
    req.log.error({ err: { message: err.message, code: err.code, stack: err.stack } }, "request failed");
    return sendText(reply, 500, TEXT.internal);
  });
  app.setNotFoundHandler((_req, reply) => sendText(reply, 404, TEXT.notFound));

  app.get("/healthz", async () => ({ ok: true, version: SERVER_VERSION, sessions: deps.relay().sessionCount?.() ?? 0 }));

  registerAuthRoutes(app, { auth: deps.auth, accounts: deps.accounts, signInLimiter: deps.signInLimiter, allowSignup: deps.allowSignup });
  registerApiKeyRoutes(app, deps.auth, deps.accounts);
  registerCliLoginRoutes(app, deps.auth, deps.cliLogin, deps.signInLimiter);
  registerSessionRoutes(app, deps.auth, deps.relay);
  const sessionNonces = registerSessionScopedRoutes(app, deps.auth, deps.relay);
  if (deps.plugins) registerPluginPlatform(app, deps.auth, deps.relay, deps.plugins, sessionNonces);
  deps.integrations?.(app, deps.auth);
  deps.connectors?.(app, deps.auth);
  deps.devices?.(app, deps.auth);
  registerTunnelRoutes(app, deps.relay, deps.tunnelOrigin);
  registerStatic(app, deps.webRoot, (id) => deps.relay().sessionOwner(id) !== undefined);
  return app;
}
