/** `runCli(argv)`: dispatch a command line; returns the exit status (spec §14.6) instead of exiting. */
import { homedir } from "node:os";
import { HELP, parseCommandLine } from "./args.js";
import { CliError, EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { runLogin, runLogout, runWhoami } from "./login.js";
import { runPluginCommand } from "./plugin-new.js";
import { runServe } from "./serve.js";
import { runFunc } from "./func.js";
import { runAliasCall } from "./alias-call.js";
import { runShare } from "./share-command.js";
import { DAEMON_HELP, runDaemon } from "./daemon-command.js";
import { runAgentsCommand } from "./agents/command.js";
import { runIntegrationsCommand } from "./integrations-command.js";
import { CLI_VERSION } from "./version.js";

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    homedir: homedir(),
    cwd: process.cwd(),
    signals: process,
    fetch: globalThis.fetch.bind(globalThis),
  };
}

export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    if (argv[0] === "plugin") return runPluginCommand(argv.slice(1), io);
    if (argv[0] === "alias-call") return await runAliasCall(argv.slice(1), io);
    if (argv[0] === "func") return await runFunc(argv.slice(1), io);
    if (argv[0] === "integrations") return await runIntegrationsCommand(argv.slice(1), io);
    const args = parseCommandLine(argv, { env: io.env, cwd: io.cwd, homedir: io.homedir });
    switch (args.command) {
      case "version":
        io.stdout.write(`taiku ${CLI_VERSION}\n`);
        return EXIT.ok;
      case "help":
        io.stdout.write(args.topic === "daemon" ? DAEMON_HELP : HELP);
        return EXIT.ok;
      case "serve":
        return await runServe(args, io);
      case "login":
        return await runLogin(args, io);
      case "logout":
        return await runLogout(args, io);
      case "whoami":
        return await runWhoami(args, io);
      case "share":
        return await runShare(args, io);
      case "agents":
        return await runAgentsCommand(args, io);
      case "daemon":
        return await runDaemon(args, io);
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`taiku: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`taiku: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.error;
  }
}
