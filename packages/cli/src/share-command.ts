/** `taiku` (share): resolve the server, start the share, print links and presence, end on signals. */
import type { ShareArgs } from "./args.js";
import { configDir, loadCredentials } from "./credentials.js";
import { ControlView } from "./control-view.js";
import { bannerLines, linkLines, tunnelLines, windowCountLine } from "./printer.js";
import { startShare, type StartShareOptions } from "./share.js";
import type { CliIo } from "./io.js";
import { heartbeatInterval, sessionPageUrl, startDeviceReporter } from "./devices/device-api.js";

export async function runShare(args: ShareArgs, io: CliIo, extra: Partial<StartShareOptions> = {}): Promise<number> {
  // In raw mode (TTY control view) the terminal no longer turns \n into \r\n.
  let eol = "\n";
  const warn = (m: string) => io.stderr.write(`warning: ${m}${eol}`);
  const verbose = (m: string) => {
    if (args.verbose) io.stderr.write(`[taiku] ${m}${eol}`);
  };

  const creds = await loadCredentials(configDir(io.env, io.homedir)).catch((err: Error) => {
    warn(err.message);
    return null;
  });
  const server = args.server ?? creds?.server;
  // A saved API key belongs to the saved server; never send it elsewhere.
  const token = args.token ?? (creds && server === creds.server ? creds.apiKey : undefined);
  const rows = io.stdout.isTTY ? io.stdout.rows : undefined;
  const cols = io.stdout.isTTY ? io.stdout.columns : undefined;

  const handle = await startShare({
    ...(server ? { server } : {}),
    ...(token ? { token } : {}),
    enableReaders: args.enableReaders,
    noViewerAuth: args.noViewerAuth,
    tunnelPorts: args.tunnelPorts,
    deviceId: creds?.deviceId ?? "",
    shell: args.shell,
    dir: args.dir,
    env: io.env,
    ...(rows && cols ? { initialSize: { rows, cols } } : {}),
    embedded: { ...(args.port !== undefined ? { port: args.port } : {}), logLevel: args.verbose ? "info" : "silent" },
    log: verbose,
    ...(args.noFs ? { noFs: true } : {}),
    ...(args.plugins.length > 0 ? { plugins: args.plugins, onPluginWarning: warn } : {}),
    ...(args.agents ? { agents: { ownerOnly: args.agentsOwnerOnly ?? false, ...(args.config ? { configPath: args.config } : {}) } } : {}),
    ...extra,
  });
  const { session } = handle;
  const say = (line: string) => io.stdout.write(`${line}${eol}`);
  for (const line of [...bannerLines(handle.links, session.shellIds().length, args.quiet), ...tunnelLines(handle.tunnels)]) say(line);
  if (handle.agents) {
    if (!args.quiet) say(`agents: on — ${args.agentsOwnerOnly ? "the owner" : "the owner and writers"} may start runs from chat (they run on this machine in ${args.dir})`);
    for (const w of handle.agents.warnings) warn(`agents: ${w.trim()}`);
  }

  // Logged in to this very server: register this machine (once) and report the session (§3.14).
  const device = creds && server === creds.server && token === creds.apiKey
    ? startDeviceReporter({ fetch: io.fetch, dir: configDir(io.env, io.homedir) }, creds, {
        sessions: () => [sessionPageUrl(handle.server, handle.sessionId)],
        intervalMs: heartbeatInterval(io.env),
        warn,
      })
    : null;

  session.on("presence", (line: string) => {
    if (!args.quiet) say(line);
  });
  session.on("warn", (m: string) => warn(m));
  session.on("linkUp", () => verbose("link re-established"));
  session.on("links", (links) => {
    say("links rotated; the old links no longer work:");
    for (const line of linkLines(links)) say(line);
  });
  let lastCount = session.shellIds().length;
  session.on("shells", (ids: number[]) => {
    if (!args.quiet && ids.length !== lastCount && ids.length > 0) say(windowCountLine(ids.length));
    lastCount = ids.length;
  });

  const stop = (why: string) => void handle.close(why);
  const onSigint = () => stop("host pressed Ctrl-C");
  const onSigterm = () => stop("host terminated the CLI");
  io.signals.on("SIGINT", onSigint);
  io.signals.on("SIGTERM", onSigterm);
  io.signals.on("SIGHUP", onSigterm);

  let view: ControlView | null = null;
  if (io.stdin.isTTY) {
    view = new ControlView(session, { stdin: io.stdin, write: (t) => io.stdout.write(t), onInterrupt: onSigint });
    view.start();
    eol = "\r\n";
  }

  const result = await handle.done;
  device?.stop();
  view?.stop();
  eol = "\n";
  io.signals.off("SIGINT", onSigint);
  io.signals.off("SIGTERM", onSigterm);
  io.signals.off("SIGHUP", onSigterm);
  (result.exitCode === 0 ? io.stdout : io.stderr).write(`session ended: ${result.reason}\n`);
  return result.exitCode;
}
