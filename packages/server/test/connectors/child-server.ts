/**
 * Entry of a taiku server in its own process (the SIGKILL test and bench/connectors). Reads
 * `ServerOptions` as JSON from TAIKU_CHILD_OPTIONS, prints one line `READY <json>` when listening,
 * closes cleanly on SIGTERM. Bundled from source with esbuild by `bundleChildServer`.
 */
import { startServer, type ServerOptions } from "../../src/index.js";

const options = JSON.parse(process.env.TAIKU_CHILD_OPTIONS ?? "{}") as ServerOptions;
const server = await startServer({ host: "127.0.0.1", port: 0, logLevel: "silent", ...options });
process.stdout.write(`READY ${JSON.stringify({ port: server.port, publicUrl: server.publicUrl, ownerToken: server.ownerToken })}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
