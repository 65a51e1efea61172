/**
 * `startShare`: run a share in-process (the CLI, tests and the benchmark all use it). With a
 * `server` it connects there; without one it starts the embedded server and uses its owner token.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { LIMITS, type Limits } from "@taiku/protocol";
import type { RunningServer } from "@taiku/server";
import { startEmbeddedServer, type StartServerFn } from "./embedded.js";
import { nodePtySpawn } from "./shells.js";
import { ShareSession, type EndResult, type SessionOptions, type ShareLinks } from "./session.js";
import { SessionPlugins } from "./local-plugins.js";
import { CLI_VERSION } from "./version.js";
import { findWebRoot } from "./webroot.js";
import { tunnelUrls } from "./tunnel-client.js";
import { defaultAliasCommand } from "./alias-relay.js";
import { startShareAgents, type ShareAgents, type ShareAgentsOptions } from "./agents/index.js";

/** Options handed to the session as they are (SessionOptions documents them); all optional here. */
type SessionPassThrough = Partial<Pick<SessionOptions,
  | "token" | "enableReaders" | "noViewerAuth" | "tunnelPorts" | "deviceId" | "shell" | "dir" | "kdf" | "resendBufferBytes"
  | "socketHighWater" | "socketLowWater" | "outputBacklogBytes" | "initialSize" | "spawn" | "fetch" | "log" | "noFs">>;

export interface StartShareOptions extends SessionPassThrough {
  /** Server origin; omit to start the embedded server. */
  server?: string;
  /** The shells' environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Overrides of protocol timers/limits (reconnect backoff, grace window, flush timing…). */
  limits?: Partial<Limits>;
  /** `taiku --plugin <id|manifest-url|./dir>` values (validated before the session opens). */
  plugins?: string[];
  /** Warnings about `--plugin` values (unknown permissions, a change that left an invalid manifest). */
  onPluginWarning?: (message: string) => void;
  /** Debounce of the `--plugin ./dir` watcher (ms; tests lower it). */
  pluginReloadMs?: number;
  /** Shell aliases (§4.8): on by default; `command` runs this CLI for the shims (default: node + dist/taiku.js). */
  aliases?: Partial<NonNullable<SessionOptions["aliases"]>> | false;
  /** `taiku --agents`: run coding agents from the session chat (off unless given). */
  agents?: ShareAgentsOptions | boolean;
  /** Embedded server settings (used only without `server`). */
  embedded?: {
    home?: string;
    port?: number;
    webRoot?: string;
    logLevel?: string;
    limits?: Partial<Limits>;
    startServer?: StartServerFn;
  };
}

export interface ShareHandle {
  sessionId: string;
  /** Base URL of the server the session lives on. */
  server: string;
  links: ShareLinks;
  /** `--tunnel` ports and their public URLs (the server redirects them to an isolated origin when it has one). */
  tunnels: Array<{ port: number; url: string }>;
  session: ShareSession;
  /** The in-process server, when one was started. */
  embedded?: RunningServer;
  done: Promise<EndResult>;
  /** The agents subsystem, with `agents`. */
  agents?: ShareAgents;
  close(reason?: string): Promise<EndResult>;
}

const cleanEnv = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));

export async function startShare(options: StartShareOptions = {}): Promise<ShareHandle> {
  const env = options.env ?? process.env;
  const limits: Limits = { ...LIMITS, ...options.limits };
  // Bad --plugin values fail before anything starts, with a message naming the field.
  const plugins = options.plugins?.length
    ? await SessionPlugins.resolve(options.plugins, {
        cwd: process.cwd(),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.pluginReloadMs !== undefined ? { debounceMs: options.pluginReloadMs } : {}),
        warn: options.onPluginWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)),
      })
    : undefined;
  // The PTY thread's failures (a shell that cannot spawn, the thread dying) surface as session warnings
  // (called only once shells exist, so after `session` is set). Loaded before the embedded server
  // starts: a missing node-pty must not leave a server running.
  const ptyWarn = (m: string) => void session.emit("warn", m);
  const spawn = options.spawn ?? (await nodePtySpawn({ flushMs: limits.outputFlushMs, batchBytes: limits.outputFlushBytes, onWarn: ptyWarn }));
  let embedded: RunningServer | undefined;
  let server = options.server;
  let token = options.token;
  if (!server) {
    const e = options.embedded ?? {};
    const webRoot = e.webRoot ?? findWebRoot(env);
    embedded = await startEmbeddedServer({
      home: e.home ?? (env.TAIKU_HOME || join(homedir(), ".taiku")),
      ...(e.port !== undefined ? { port: e.port } : {}),
      ...(webRoot ? { webRoot } : {}),
      ...(e.logLevel ? { logLevel: e.logLevel } : {}),
      ...(e.limits ? { limits: e.limits } : {}),
      ...(e.startServer ? { startServer: e.startServer } : {}),
      env,
    });
    server = embedded.url;
    token ??= embedded.ownerToken;
  }
  const session = new ShareSession({
    server: server.replace(/\/+$/, ""),
    ...(token ? { token } : {}),
    enableReaders: options.enableReaders ?? false,
    noViewerAuth: options.noViewerAuth ?? false,
    tunnelPorts: options.tunnelPorts ?? [],
    deviceId: options.deviceId ?? "",
    shell: options.shell ?? (env.SHELL || "/bin/sh"),
    dir: options.dir ?? process.cwd(),
    env: cleanEnv(env),
    spawn,
    limits,
    cliVersion: CLI_VERSION,
    ownerSignIn: token !== undefined,
    ...(options.kdf ? { kdf: options.kdf } : {}),
    ...(options.resendBufferBytes ? { resendBufferBytes: options.resendBufferBytes } : {}),
    ...(options.socketHighWater ? { socketHighWater: options.socketHighWater } : {}),
    ...(options.outputBacklogBytes ? { outputBacklogBytes: options.outputBacklogBytes } : {}),
    ...(options.socketLowWater ? { socketLowWater: options.socketLowWater } : {}),
    ...(options.initialSize ? { initialSize: options.initialSize } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.noFs ? { noFs: true } : {}),
    ...(plugins ? { plugins } : {}),
    ...(options.aliases !== false ? { aliases: { ...options.aliases, command: options.aliases?.command ?? defaultAliasCommand() } } : {}),
    // Only the embedded server's local owner token goes into the shells (for `taiku func`): whoever
    // can type in these shells can already read it from $TAIKU_HOME/owner-token as this user.
    ...(embedded && token === embedded.ownerToken ? { shellToken: token } : {}),
  });
  const stopEmbedded = async () => {
    if (embedded) await embedded.close().catch(() => {});
  };
  try {
    await session.start();
  } catch (err) {
    plugins?.close();
    await session.close().catch(() => {});
    await stopEmbedded();
    throw err;
  }
  plugins?.watch(() => session.sendSessionPlugins());
  let agents: ShareAgents | undefined;
  if (options.agents) {
    const a = options.agents === true ? {} : options.agents;
    try {
      agents = await startShareAgents(session, {
        ...a,
        home: a.home ?? options.embedded?.home ?? (env.TAIKU_HOME || join(homedir(), ".taiku")),
        dir: options.dir ?? process.cwd(),
        ...(options.log ? { log: options.log } : {}),
      });
    } catch (err) {
      plugins?.close();
      await session.close().catch(() => {});
      await stopEmbedded();
      throw err;
    }
  }
  const done = session.done.then(async (r) => {
    plugins?.close();
    await agents?.close();
    await stopEmbedded();
    return r;
  });
  return {
    sessionId: session.sessionId,
    server: session.baseUrl,
    get links() {
      return session.links;
    },
    tunnels: tunnelUrls(session.baseUrl, session.sessionId, options.tunnelPorts ?? []),
    session,
    ...(embedded ? { embedded } : {}),
    ...(agents ? { agents } : {}),
    done,
    close: async (reason) => {
      await session.close(reason);
      return done;
    },
  };
}
