/**
 * @taiku/server public API. CONTRACT (agreed between the server and the CLI, which embeds it):
 * the CLI calls `startServer` in-process when no `--server` is given, and `taiku serve` calls it too.
 */
import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Limits } from "@taiku/protocol";
import { AccountService } from "./accounts/accounts.js";
import { CliLoginService } from "./accounts/cli-login.js";
import { ensureLocalOwner } from "./accounts/owner.js";
import { createRateLimiter } from "./accounts/rate-limit.js";
import { buildApp } from "./app.js";
import { allowedOrigins, type AuthSettings, connectUrl, DEFAULT_BODY_LIMIT, DEFAULT_SNAPSHOT_INTERVAL_MS, derivePublicUrl, mergeAuth, mergeLimits } from "./config.js";
import { openDatabase } from "./db/database.js";
import { createSnapshotStore } from "./db/snapshots.js";
import type { Relay, RelayDeps } from "./seams.js";
import { HttpError } from "./http/errors.js";
import { type IntegrationsOptions, setupIntegrations } from "./integrations/index.js";
import { type ConnectorsOptions, setupConnectors } from "./connectors/index.js";
import { defaultPluginsDir } from "./plugins/registry.js";
import { DEFAULT_PLUGIN_INSTALL_TIMEOUT_MS, DEFAULT_PLUGIN_STORAGE_LIMITS, DEFAULT_USER_KV_LIMITS, type PluginStorageLimits, type UserKvLimits } from "./plugins/settings.js";
import { parseTunnelOrigin, tunnelUrlFor } from "./sessions/tunnel-routes.js";
import { loadTls, type TlsOption } from "./tls.js";
import { routeUpgrades } from "./upgrade.js";
import { type DeviceSettings, liveSessionUrlCheck, setupDevices } from "./devices/index.js";
import { SERVER_VERSION } from "./version.js";

export type { Account, AccountResolver, Relay, RelayDeps, SessionSnapshotStore } from "./seams.js";
export type { AuthSettings } from "./config.js";
export { SERVER_VERSION } from "./version.js";
export type { PluginStorageLimits, UserKvLimits } from "./plugins/settings.js";
export { parseByteSize } from "./plugins/settings.js";
export type { IntegrationsOptions, McpToolkitConfig, ToolkitAppConfig } from "./integrations/index.js";
export type { ConnectorsOptions } from "./connectors/index.js";
export type { DeviceSettings } from "./devices/index.js";
export { VaultKeyError, vaultKeyHelp } from "./integrations/index.js";

export interface ServerOptions {
  /** $TAIKU_HOME: SQLite database `taiku.db`, `owner-token`, `vault.key`, TLS material. Created if missing. */
  home: string;
  /** Listen address; defaults 0.0.0.0 and 8080 for `taiku serve`; the embedded server passes 127.0.0.1. 0 = any free port. */
  host?: string;
  port?: number;
  /** Origin printed in links (default: derived from the listen address, e.g. http://localhost:8080). */
  publicUrl?: string;
  /** Directory holding the built web app (index.html + assets). */
  webRoot?: string;
  /** TLS: PEM file paths, or a self-signed certificate generated into `home`. */
  tls?: TlsOption;
  /** Overrides of protocol timers and limits (tests shorten them). */
  limits?: Partial<Limits>;
  /** `TAIKU_VIEWER_AUTH`: require an account to join. Default false (ARCHITECTURE.md, "Decisions"). */
  viewerAuth?: boolean;
  /** Structured log level (pino levels); "silent" for the embedded server unless --verbose. */
  logLevel?: string;
  /** Log destination file (default stdout for `taiku serve`). */
  logFile?: string;
  /** Injectable clock for tests. */
  now?: () => number;
  // ---- additions (not in the original contract; all optional) ----
  /** Account timers, sign-in rate limit, Argon2id cost, sign-up switch. */
  auth?: Partial<AuthSettings>;
  /** Extra origins accepted on cookie-authenticated writes (besides publicUrl's origin). */
  allowedOrigins?: string[];
  /** Maximum JSON request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Trust X-Forwarded-* (behind a reverse proxy): client IPs for rate limits. Default false. */
  trustProxy?: boolean;
  /** How often the relay snapshots live sessions (default 30 s). */
  snapshotIntervalMs?: number;
  /** Relay factory; default is the real relay (`relay/index.ts`). Tests may pass a stand-in. */
  createRelay?: (deps: RelayDeps) => Relay;
  /** Built-in plugins (`<dir>/<id>/manifest.json` + assets). Default: `plugins/` next to the bundle, else the checkout's `plugins/`. */
  pluginsDir?: string;
  /** Largest plugin file in bytes (`TAIKU_PLUGIN_FILE_MAX`, default 25 MiB). */
  pluginFileMaxBytes?: number;
  /** Plugin file bytes per account across all plugins (`TAIKU_PLUGIN_QUOTA`, default 250 MiB). */
  pluginQuotaBytes?: number;
  /** Other plugin storage limits: files per plugin, read/write rate limits and their window. */
  pluginStorage?: Partial<Omit<PluginStorageLimits, "maxFileBytes" | "quotaBytes">>;
  /** User KV caps: key length, value size, keys and bytes per account per plugin. */
  userKv?: Partial<UserKvLimits>;
  /** How long installing a plugin waits for its manifest URL (default 10 s). */
  pluginInstallTimeoutMs?: number;
  /** Integrations (§12): off unless `integrations.enabled`; then a vault key is required. */
  integrations?: IntegrationsOptions;
  /** Outbound host map, e.g. `{ "api.github.com": "http://127.0.0.1:4100" }` (ARCHITECTURE.md "egress.hosts"). */
  egressHosts?: Record<string, string>;
  /** Connector runtime (spec/connectors.md): on with integrations unless `enabled: false`; timers are configurable. */
  connectors?: ConnectorsOptions;
  /**
   * `TAIKU_TUNNEL_ORIGIN`, e.g. `https://t.example.com`: tunnels are served from per-tunnel hosts
   * `{port}-{session_id}.t.example.com` (wildcard DNS and TLS needed); the `/t/…` form redirects there.
   */
  tunnelOrigin?: string;
  /** Device timers (§3.14): online window, pruning, remote-start timeout… (tests shorten them). */
  devices?: Partial<DeviceSettings>;
}

export interface RunningServer {
  /** Base URL actually listening, e.g. http://127.0.0.1:41234 (publicUrl when set). */
  url: string;
  port: number;
  /**
   * API key of the local owner account, written to `$TAIKU_HOME/owner-token` on first start.
   * The embedded CLI sends it as X-Taiku-Token so its sessions are owned by the local owner.
   */
  ownerToken: string;
  /** Addition: the origin printed in links (ServerOptions.publicUrl or the derived default). */
  publicUrl: string;
  close(): Promise<void>;
}

async function defaultRelayFactory(): Promise<(deps: RelayDeps) => Relay> {
  return (await import("./relay/index.js")).createRelay;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const now = options.now ?? Date.now;
  const host = options.host ?? "0.0.0.0";
  const auth = mergeAuth(options.auth);
  const limits = mergeLimits(options.limits);
  const scheme = options.tls ? "https" : "http";
  const createRelay = options.createRelay ?? (await defaultRelayFactory());
  if (options.publicUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(options.publicUrl)) {
    throw new Error(`publicUrl must be an http(s) origin like https://taiku.example.com, got ${JSON.stringify(options.publicUrl)}`);
  }

  const tunnelOrigin = options.tunnelOrigin ? parseTunnelOrigin(options.tunnelOrigin) : undefined;

  await mkdir(options.home, { recursive: true, mode: 0o700 });
  const tls = options.tls ? await loadTls(options.tls, options.home, host === "0.0.0.0" || host === "::" ? [] : [host]) : undefined;
  const db = await openDatabase(join(options.home, "taiku.db"));
  // Whatever started before a failure is stopped again, newest first, so a failed start leaks nothing.
  const undo: Array<() => Promise<unknown>> = [() => db.destroy()];
  try {
    const accounts = new AccountService(db, now, auth.argon2, {
      webSessionTtlMs: auth.webSessionTtlMs,
      oneTimeCodeTtlMs: auth.oneTimeCodeTtlMs,
      apiKeyTouchMs: 60_000,
    });
    const owner = await ensureLocalOwner(db, accounts, options.home);

    // Filled in once listening: with port 0 the port (and so the public URL and origins) is unknown until then.
    const site = { publicUrl: options.publicUrl ?? "", origins: new Set<string>() };
    let relay: Relay | null = null;
    const cliLogin = new CliLoginService(db, accounts, now, { ttlMs: auth.cliLoginTtlMs, pollIntervalMs: auth.cliLoginPollIntervalMs }, () => site.publicUrl);
    const integrations = await setupIntegrations({
      options: options.integrations,
      egressHosts: options.egressHosts,
      db,
      home: options.home,
      now,
      publicUrl: () => site.publicUrl,
      pluginsDir: options.pluginsDir ?? defaultPluginsDir(),
    });
    const connectors = await setupConnectors({
      options: options.connectors,
      integrationsEnabled: options.integrations?.enabled === true,
      service: integrations.service,
      db,
      egressHosts: options.egressHosts,
      now,
    });
    const devices = setupDevices({
      db,
      now,
      ...(options.devices ? { settings: options.devices } : {}),
      isLiveSessionUrl: liveSessionUrlCheck(() => site.publicUrl, (id) => relay?.sessionOwner(id)),
    });
    undo.unshift(async () => devices.close());
    const authConfig = {
      resolver: accounts,
      allowedOrigins: site.origins,
      secureCookie: scheme === "https" || (options.publicUrl?.startsWith("https:") ?? false),
      webSessionTtlMs: auth.webSessionTtlMs,
    };
    const app = buildApp({
      logLevel: options.logLevel ?? "info",
      ...(options.logFile ? { logFile: options.logFile } : {}),
      bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
      ...(tls ? { https: tls } : {}),
      trustProxy: options.trustProxy ?? false,
      ...(options.webRoot ? { webRoot: options.webRoot } : {}),
      auth: authConfig,
      accounts,
      cliLogin,
      signInLimiter: createRateLimiter(auth.signInAttempts, auth.signInWindowMs, now),
      allowSignup: auth.allowSignup,
      relay: () => {
        if (!relay) throw new HttpError(503, "server is starting");
        return relay;
      },
      integrations: integrations.register,
      connectors: connectors.register,
      devices: devices.register,
      ...(tunnelOrigin ? { tunnelOrigin } : {}),
      plugins: {
        db,
        home: options.home,
        pluginsDir: options.pluginsDir ?? defaultPluginsDir(),
        userKv: { ...DEFAULT_USER_KV_LIMITS, ...options.userKv },
        storage: {
          ...DEFAULT_PLUGIN_STORAGE_LIMITS,
          ...options.pluginStorage,
          ...(options.pluginFileMaxBytes !== undefined ? { maxFileBytes: options.pluginFileMaxBytes } : {}),
          ...(options.pluginQuotaBytes !== undefined ? { quotaBytes: options.pluginQuotaBytes } : {}),
        },
        installTimeoutMs: options.pluginInstallTimeoutMs ?? DEFAULT_PLUGIN_INSTALL_TIMEOUT_MS,
        now,
        publicUrl: () => site.publicUrl,
      },
    });

    undo.unshift(() => app.close());
    await app.listen({ host, port: options.port ?? 8080 });
    const port = (app.server.address() as AddressInfo).port;
    site.publicUrl = (options.publicUrl ?? derivePublicUrl(scheme, host, port)).replace(/\/+$/, "");
    for (const o of allowedOrigins(site.publicUrl, scheme, host, port, options.allowedOrigins)) site.origins.add(o);

    const liveRelay = createRelay({
      accounts,
      snapshots: createSnapshotStore(db, now),
      logger: app.log,
      limits,
      publicUrl: site.publicUrl,
      serverVersion: SERVER_VERSION,
      viewerAuth: options.viewerAuth ?? false,
      now,
      snapshotIntervalMs: options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
      // §2.2.4 `hello.features`: what this server serves (user KV and plugin storage always, integrations when on).
      features: ["tunnels", "documents", "userKv", "storage", ...(options.integrations?.enabled === true ? ["integrations"] : [])],
      tunnelUrl: tunnelUrlFor(site.publicUrl, tunnelOrigin),
      allowedOrigins: site.origins,
    });
    relay = liveRelay;
    undo.unshift(() => liveRelay.close());
    // Daemon sockets first; everything else is the relay's (or answered 404).
    routeUpgrades(app.server, { handleUpgrade: (req, socket, head) => devices.handleUpgrade(req, socket, head) || liveRelay.handleUpgrade(req, socket, head) }, app.log);
    await liveRelay.restore();
    undo.unshift(() => connectors.close());
    await connectors.start(site.publicUrl);
    app.log.info({ url: site.publicUrl }, "taiku server listening");

    let closing: Promise<void> | null = null;
    return {
      url: options.publicUrl ? site.publicUrl : connectUrl(scheme, host, port),
      port,
      ownerToken: owner.token,
      publicUrl: site.publicUrl,
      close: () =>
        (closing ??= (async () => {
          // Relay first: it snapshots sessions into the database, which must still be open.
          await liveRelay.close();
          devices.close();
          await app.close();
          await connectors.close();
          await db.destroy();
        })()),
    };
  } catch (err) {
    for (const step of undo) await step().catch(() => undefined);
    throw err;
  }
}
