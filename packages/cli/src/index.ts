/** @taiku/cli library API: run a share in-process (tests, benchmark, agents) and the CLI entry. */
export { startShare, type ShareHandle, type StartShareOptions } from "./share.js";
export { ShareSession, type ShareLinks, type EndResult, type SessionOptions } from "./session.js";
export type { ChatMessage } from "./chat.js";
export { runCli, processIo } from "./cli.js";
export type { CliIo } from "./io.js";
export { parseCommandLine, HELP, type ParsedArgs, type ShareArgs, type ServeArgs } from "./args.js";
export { EXIT, CliError } from "./exit-codes.js";
export { CLI_VERSION } from "./version.js";
export { findWebRoot } from "./webroot.js";
export type { SpawnPty, PtyLike } from "./shells.js";
