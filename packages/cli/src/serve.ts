/** `taiku serve`: run the server in the foreground; logs go to stdout; SIGINT/SIGTERM stop it cleanly. */
import type { ServeArgs } from "./args.js";
import type { StartServerFn } from "./embedded.js";
import { CliError } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { vaultKeyCliError } from "./integrations-config.js";
import { serverEnvOptions } from "./server-env.js";
import { findWebRoot } from "./webroot.js";

export async function runServe(args: ServeArgs, io: CliIo, startServer?: StartServerFn): Promise<number> {
  const start = startServer ?? (await import("@taiku/server")).startServer;
  if (typeof start !== "function") throw new CliError("this build has no server");
  const webRoot = findWebRoot(io.env);
  if (!webRoot) io.stderr.write("warning: no built web app found (packages/web/dist); only the API is served\n");
  let server;
  try {
    server = await start({
      ...serverEnvOptions(io.env, args.home),
      home: args.home,
      host: args.host,
      port: args.port,
      ...(args.publicUrl ? { publicUrl: args.publicUrl } : {}),
      ...(webRoot ? { webRoot } : {}),
      ...(args.tls ? { tls: args.tls } : {}),
      viewerAuth: args.viewerAuth,
      logLevel: args.verbose ? "debug" : "info",
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") throw new CliError(`${args.host}:${args.port} is already in use; pick another with --port or TAIKU_LISTEN`);
    throw vaultKeyCliError(err) ?? err;
  }
  io.stdout.write(`taiku server listening on ${server.url} (data in ${args.home})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      io.signals.off("SIGINT", stop);
      io.signals.off("SIGTERM", stop);
      resolve();
    };
    io.signals.on("SIGINT", stop);
    io.signals.on("SIGTERM", stop);
  });
  io.stdout.write("taiku server shutting down\n");
  await server.close();
  return 0;
}
