/**
 * `taiku daemon`: keep this machine reachable for remote start from the dashboard (§3.14). Needs
 * `taiku login`; sends heartbeats with the sessions it started; Ctrl-C stops it and its sessions.
 */
import type { DaemonArgs } from "./args.js";
import { configDir, loadCredentials } from "./credentials.js";
import { CliError, EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import type { StartShareOptions } from "./share.js";
import { DeviceDaemon } from "./devices/daemon.js";
import { ensureDevice, heartbeatInterval, startDeviceReporter } from "./devices/device-api.js";

export const DAEMON_HELP = `taiku daemon — let the dashboard start sessions on this machine

Usage:
  taiku daemon [--shell <path>] [-v]

Keeps a connection to the server saved by 'taiku login' open (reconnecting with back-off) and
starts a session whenever you press "Start session" for this device on /dashboard. The session's
link secret is sealed to your browser (ECDH P-256 + AES-256-GCM): the server never sees it.
Remote sessions start in the requested directory (default: your home directory) and run until
they end; Ctrl-C stops the daemon and every session it started.

Flags:
  --shell <path>           shell program of remote sessions (default $SHELL, else /bin/sh)
  -v, --verbose            log link events of the sessions

Environment: TAIKU_CONFIG_DIR (credentials directory, default ~/.config/taiku),
  TAIKU_HEARTBEAT_MS (heartbeat interval, default 60000)
`;

export async function runDaemon(args: DaemonArgs, io: CliIo, share: Partial<StartShareOptions> = {}): Promise<number> {
  const ctx = { fetch: io.fetch, dir: configDir(io.env, io.homedir) };
  const saved = await loadCredentials(ctx.dir);
  if (!saved) throw new CliError("taiku daemon needs a signed-in account; run 'taiku login' first", EXIT.auth);
  const say = (line: string) => io.stdout.write(`${line}\n`);
  let creds;
  try {
    creds = await ensureDevice(ctx, saved);
  } catch (err) {
    throw new CliError(`could not register this device with ${saved.server}: ${(err as Error).message}`, EXIT.auth);
  }
  const daemon: DeviceDaemon = new DeviceDaemon({
    ctx,
    creds,
    home: io.homedir,
    share: {
      shell: args.shell,
      env: io.env,
      log: (m) => {
        if (args.verbose) io.stderr.write(`[taiku] ${m}\n`);
      },
      ...share,
    },
    log: (m) => say(`[daemon] ${m}`),
    onSessions: () => void reporter.beat(),
  });
  const reporter = startDeviceReporter(ctx, creds, {
    sessions: () => daemon.sessionUrls(),
    intervalMs: heartbeatInterval(io.env),
    warn: (m) => io.stderr.write(`warning: ${m}\n`),
  });
  const stop = () => void daemon.stop();
  io.signals.on("SIGINT", stop);
  io.signals.on("SIGTERM", stop);
  io.signals.on("SIGHUP", stop);
  say(`taiku daemon for ${creds.server} (device ${creds.deviceId}); Ctrl-C to stop`);
  daemon.start();
  const end = await daemon.done;
  reporter.stop();
  io.signals.off("SIGINT", stop);
  io.signals.off("SIGTERM", stop);
  io.signals.off("SIGHUP", stop);
  if (end.reason === "stopped") {
    say("daemon stopped");
    return EXIT.ok;
  }
  throw new CliError(end.message, end.reason === "replaced" ? EXIT.error : EXIT.auth);
}
