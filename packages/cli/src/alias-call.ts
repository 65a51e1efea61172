/**
 * `taiku alias-call <name> -- <args…>` (spec §4.8, internal): what an alias shim runs. It asks the
 * session's CLI over `TAIKU_CONTROL_SOCKET` (token from the 0600 file beside it), prints the plugin's
 * stdout/stderr and exits with its exit code; no answer in time → the spec's message and 124.
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { z } from "zod";
import { ALIAS_NAME_RE, ALIAS_NO_RESPONSE } from "@taiku/protocol";
import { aliasOutputSchema, CONTROL_MAX_BYTES, TOKEN_FILE, type ControlRequest } from "./alias-shims.js";
import { ALIAS_ANSWER_MS } from "./alias-relay.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";

/** The spec's text for an alias call nobody answered (the browser sends the same, with its reason, when it cannot deliver one). */
const NO_RESPONSE = ALIAS_NO_RESPONSE.message;

const answerSchema = z.union([aliasOutputSchema, z.object({ timeout: z.literal(true) }), z.object({ error: z.string() })]);

export async function runAliasCall(argv: string[], io: CliIo, waitMs = ALIAS_ANSWER_MS + 5_000): Promise<number> {
  const [name, sep, ...args] = argv;
  if (!name || !ALIAS_NAME_RE.test(name) || (sep !== undefined && sep !== "--")) {
    io.stderr.write("usage: taiku alias-call <name> -- <args…>\n");
    return EXIT.usage;
  }
  const socketPath = io.env.TAIKU_CONTROL_SOCKET;
  const shellId = Number(io.env.TAIKU_SHELL_ID);
  if (!socketPath || !Number.isInteger(shellId) || shellId < 1) {
    io.stderr.write("taiku: alias-call runs inside a taiku shell (TAIKU_CONTROL_SOCKET, TAIKU_SHELL_ID)\n");
    return EXIT.usage;
  }
  let token: string;
  try {
    token = readFileSync(join(dirname(socketPath), TOKEN_FILE), "utf8").trim();
  } catch (err) {
    io.stderr.write(`taiku: cannot read the control token: ${(err as Error).message}\n`);
    return EXIT.error;
  }
  const req: ControlRequest = { token, name, args, cwd: io.cwd, shellId };
  let line: string;
  try {
    line = await request(socketPath, req, waitMs);
  } catch (err) {
    if ((err as Error).message === "timeout") return noResponse(io);
    io.stderr.write(`taiku: cannot reach the taiku session: ${(err as Error).message}\n`);
    return EXIT.error;
  }
  let parsed: z.infer<typeof answerSchema>;
  try {
    parsed = answerSchema.parse(JSON.parse(line));
  } catch {
    io.stderr.write("taiku: malformed answer from the taiku session\n");
    return EXIT.error;
  }
  if ("timeout" in parsed) return noResponse(io);
  if ("error" in parsed) {
    io.stderr.write(`taiku: ${parsed.error}\n`);
    return EXIT.error;
  }
  if (parsed.stdout) io.stdout.write(parsed.stdout);
  if (parsed.stderr) io.stderr.write(parsed.stderr);
  return parsed.exitCode;
}

function noResponse(io: CliIo): number {
  io.stderr.write(`${NO_RESPONSE}\n`);
  return EXIT.aliasTimeout;
}

/** One JSON line to the socket, the first line back. */
function request(socketPath: string, req: ControlRequest, waitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = "";
    const timer = setTimeout(() => fail(new Error("timeout")), waitMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("error", fail);
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > CONTROL_MAX_BYTES) return fail(new Error("answer too large"));
    });
    sock.on("end", () => {
      clearTimeout(timer);
      const nl = buf.indexOf("\n");
      if (nl < 0) return reject(new Error("the session closed the connection"));
      resolve(buf.slice(0, nl));
    });
  });
}
