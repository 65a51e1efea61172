/** The `taiku` binary (bundled to dist/taiku.js by scripts/bundle.mjs). */
import { runCli } from "./cli.js";

const code = await runCli(process.argv.slice(2));
// Flush stdout/stderr before leaving; pending handles (sockets, PTYs) are already closed.
process.exitCode = code;
setTimeout(() => process.exit(code), 50).unref();
