/**
 * `taiku integrations keygen`     writes a new vault key to $TAIKU_HOME/vault.key (0600); never overwrites.
 * `taiku integrations rotate-key` asks a running server (as its local owner) to re-encrypt every
 *                                 sealed token and secret under a new key.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CliError, EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";

export const INTEGRATIONS_HELP = `taiku integrations — OAuth integrations of a taiku server

Usage:
  taiku integrations keygen               write a new vault key to $TAIKU_HOME/vault.key (mode 0600)
  taiku integrations rotate-key [flags]   re-encrypt every stored token and secret under a new key

Flags for rotate-key:
  --server <url>   the running server (env TAIKU_SERVER; default http://127.0.0.1:<port of TAIKU_LISTEN, else 8080>)
  --token <key>    the server owner's API key (env TAIKU_TOKEN; default: $TAIKU_HOME/owner-token)
  --key <base64>   the new key (default: 32 random bytes)

Turn integrations on with TAIKU_INTEGRATIONS=on (or [integrations] enabled = true in
$TAIKU_HOME/taiku.toml). See docs/integrations.md.
`;

const usage = (message: string) => new CliError(`${message}\nRun 'taiku integrations --help' for usage.`, EXIT.usage);
const homeOf = (io: CliIo) => io.env.TAIKU_HOME || join(io.homedir, ".taiku");
export const newVaultKey = (): string => randomBytes(32).toString("base64");

export async function runIntegrationsCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help" || rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(INTEGRATIONS_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === "keygen") return keygen(rest, io);
  if (sub === "rotate-key") return rotateKey(rest, io);
  throw usage(`unknown integrations command '${sub}' (expected keygen or rotate-key)`);
}

async function keygen(argv: string[], io: CliIo): Promise<number> {
  if (argv.length) throw usage(`keygen takes no arguments, got '${argv.join(" ")}'`);
  const home = homeOf(io);
  const file = join(home, "vault.key");
  await mkdir(home, { recursive: true, mode: 0o700 });
  try {
    // "wx": fail when the file exists — a lost key makes every stored token unreadable.
    await writeFile(file, `${newVaultKey()}\n`, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new CliError(`${file} already exists; refusing to overwrite it (the tokens stored with it would become unreadable). Use 'taiku integrations rotate-key' to change the key.`);
    }
    throw err;
  }
  io.stdout.write(`wrote a new vault key to ${file} (mode 0600)\nstart the server with TAIKU_INTEGRATIONS=on to use it; keep a backup of this file\n`);
  return EXIT.ok;
}

async function rotateKey(argv: string[], io: CliIo): Promise<number> {
  let v: { server?: string | undefined; token?: string | undefined; key?: string | undefined };
  try {
    v = parseArgs({ args: argv, options: { server: { type: "string" }, token: { type: "string" }, key: { type: "string" } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usage((err as Error).message);
  }
  const home = homeOf(io);
  const port = /:(\d+)$/.exec(io.env.TAIKU_LISTEN ?? "")?.[1] ?? "8080";
  const server = (v.server ?? (io.env.TAIKU_SERVER || `http://127.0.0.1:${port}`)).replace(/\/+$/, "");
  let token = v.token ?? (io.env.TAIKU_TOKEN || undefined);
  if (!token) {
    token = (await readFile(join(home, "owner-token"), "utf8").catch(() => "")).trim();
    if (!token) throw new CliError(`no owner token: pass --token or run this on the server host (looked for ${join(home, "owner-token")})`, EXIT.auth);
  }
  const key = v.key ?? newVaultKey();
  let res: Response;
  try {
    res = await io.fetch(`${server}/api/v1/integrations/admin/rotate-key`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-taiku-token": token },
      body: JSON.stringify({ key }),
    });
  } catch (err) {
    throw new CliError(`cannot reach ${server}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(`rotate-key failed (${res.status}): ${text.trim() || res.statusText}`, res.status === 401 || res.status === 403 ? EXIT.auth : EXIT.error);
  const r = JSON.parse(text) as { keyId: string; records: number; keyFileUpdated: boolean };
  io.stdout.write(`re-encrypted ${r.records} record${r.records === 1 ? "" : "s"} under key ${r.keyId}\n`);
  if (r.keyFileUpdated) io.stdout.write(`the server updated its vault.key\n`);
  else io.stdout.write(`the server's keys come from TAIKU_VAULT_KEY or its config: set it to the new key before the next restart:\n${key}\n`);
  return EXIT.ok;
}
