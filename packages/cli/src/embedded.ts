/**
 * The in-process server `taiku` starts when no server is configured: 127.0.0.1, port 8080, or a
 * free port when 8080 is taken (unless --port was explicit), authenticated with the owner token.
 */
import type { RunningServer, ServerOptions } from "@taiku/server";
import { CliError } from "./exit-codes.js";
import { vaultKeyCliError } from "./integrations-config.js";
import { serverEnvOptions } from "./server-env.js";

export type StartServerFn = (options: ServerOptions) => Promise<RunningServer>;

export interface EmbeddedOptions {
  home: string;
  /** Explicit port (no fallback); undefined → 8080 then any free port. */
  port?: number;
  webRoot?: string;
  logLevel?: string;
  limits?: ServerOptions["limits"];
  startServer?: StartServerFn;
  /** Settings from the environment (TAIKU_LIMITS, plugin directory and quotas). */
  env?: NodeJS.ProcessEnv;
}

const isAddrInUse = (err: unknown) =>
  (err as NodeJS.ErrnoException)?.code === "EADDRINUSE" || /EADDRINUSE|address already in use/i.test(String((err as Error)?.message));

export async function startEmbeddedServer(opts: EmbeddedOptions): Promise<RunningServer> {
  const start = opts.startServer ?? (await import("@taiku/server")).startServer;
  if (typeof start !== "function") throw new CliError("this build has no embedded server; pass --server <url>");
  const fromEnv = opts.env ? serverEnvOptions(opts.env, opts.home) : {};
  const base: ServerOptions = {
    ...fromEnv,
    home: opts.home,
    host: "127.0.0.1",
    logLevel: opts.logLevel ?? "silent",
    ...(opts.webRoot ? { webRoot: opts.webRoot } : {}),
    ...(opts.limits || fromEnv.limits ? { limits: { ...fromEnv.limits, ...opts.limits } } : {}),
  };
  if (opts.port !== undefined) {
    try {
      return await start({ ...base, port: opts.port });
    } catch (err) {
      if (isAddrInUse(err)) throw new CliError(`port ${opts.port} is already in use; pick another with --port`);
      throw vaultKeyCliError(err) ?? err;
    }
  }
  try {
    return await start({ ...base, port: 8080 });
  } catch (err) {
    if (!isAddrInUse(err)) throw vaultKeyCliError(err) ?? err;
    return start({ ...base, port: 0 }).catch((e: unknown) => {
      throw vaultKeyCliError(e) ?? e;
    });
  }
}
