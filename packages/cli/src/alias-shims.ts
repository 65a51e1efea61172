/**
 * Shell aliases on this machine (spec §4.8): a per-session directory (0700, under the OS temp dir,
 * removed at exit) that goes first on every shell's PATH, holding one shim per alias name and the
 * control socket the shims talk to. Only the session's user can enter the directory; the socket
 * also wants the random token of the 0600 `token` file beside it, so a process that merely finds
 * the socket path cannot call aliases.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { z } from "zod";
import { ALIAS_NAME_RE, aliasCallPlain, aliasResultPlain, type AliasResultPlain } from "@taiku/protocol";

export const CONTROL_SOCKET = "control.sock";
/** Has a dot, so no alias name (`^[a-z][a-z0-9_-]*$`) can overwrite it. */
export const TOKEN_FILE = "control.token";
/** Largest control request or answer line (the result's output is ≤ 1 MiB each, JSON-escaped). */
export const CONTROL_MAX_BYTES = 8 * 1024 * 1024;

export const controlRequestSchema = aliasCallPlain.extend({
  token: z.string().min(1).max(128),
  shellId: z.number().int().min(1).max(0xffffffff),
});
export type ControlRequest = z.infer<typeof controlRequestSchema>;
export const aliasOutputSchema = aliasResultPlain;
export type AliasOutput = AliasResultPlain;
/** The control socket's answer: the plugin's output, or `timeout` when no client answered in time. */
export type ControlAnswer = AliasOutput | { timeout: true };

export interface AliasShimsOptions {
  /** argv prefix that runs this CLI: `[process.execPath, <entry script>]`. */
  command: string[];
  /** PATH of the shells without the alias directory (names found there are not shadowed); "" = the system default. */
  basePath: string;
  call(req: Omit<ControlRequest, "token">): Promise<ControlAnswer>;
  warn(message: string): void;
}

export class AliasShims {
  readonly dir: string;
  readonly socketPath: string;
  private readonly token = randomBytes(32).toString("hex");
  private readonly names = new Set<string>();
  private readonly warned = new Set<string>();
  private server: Server | null = null;
  private closed = false;

  private readonly basePath: string;

  constructor(private readonly opts: AliasShimsOptions) {
    this.basePath = opts.basePath || "/usr/local/bin:/usr/bin:/bin";
    this.dir = mkdtempSync(join(tmpdir(), "taiku-alias-")); // mode 0700
    chmodSync(this.dir, 0o700);
    this.socketPath = join(this.dir, CONTROL_SOCKET);
    writeFileSync(join(this.dir, TOKEN_FILE), this.token, { mode: 0o600 });
  }

  /** Environment of a shell: the directory first on PATH. */
  env(): Record<string, string> {
    return { PATH: `${this.dir}${delimiter}${this.basePath}`, TAIKU_ALIAS_DIR: this.dir, TAIKU_CONTROL_SOCKET: this.socketPath };
  }

  listen(): Promise<void> {
    const server = createServer((sock) => this.serve(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socketPath, () => {
        chmodSync(this.socketPath, 0o600);
        resolve();
      });
    });
  }

  /** The server's current names: write missing shims, remove the others. Returns the names with a shim. */
  setNames(names: string[]): string[] {
    if (this.closed) return [];
    const wanted = new Set<string>();
    for (const name of names) {
      if (!ALIAS_NAME_RE.test(name)) this.warnOnce(name, `ignoring invalid alias name "${name.slice(0, 40)}"`);
      else if (onPath(name, this.basePath)) this.warnOnce(name, `alias "${name}" not installed: it would shadow a command on PATH`);
      else wanted.add(name);
    }
    for (const name of this.names) {
      if (wanted.has(name)) continue;
      rmSync(join(this.dir, name), { force: true });
      this.names.delete(name);
    }
    for (const name of wanted) {
      if (this.names.has(name)) continue;
      writeFileSync(join(this.dir, name), shimScript(this.opts.command, name), { mode: 0o700 });
      this.names.add(name);
    }
    return [...this.names].sort();
  }

  /** Stop the socket and remove the directory. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private warnOnce(name: string, message: string): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.opts.warn(message);
  }

  /** One JSON line in, one JSON line out. */
  private serve(sock: Socket): void {
    let buf = "";
    sock.setEncoding("utf8");
    const answer = (a: ControlAnswer | { error: string }) => sock.end(`${JSON.stringify(a)}\n`);
    sock.on("error", () => sock.destroy());
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > CONTROL_MAX_BYTES) return void sock.destroy();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      sock.removeAllListeners("data");
      let raw: unknown;
      try {
        raw = JSON.parse(buf.slice(0, nl));
      } catch {
        return answer({ error: "malformed request" });
      }
      const parsed = controlRequestSchema.safeParse(raw);
      if (!parsed.success) return answer({ error: "malformed request" });
      const { token, ...req } = parsed.data;
      if (!sameToken(token, this.token)) return answer({ error: "bad token" });
      this.opts.call(req).then(answer, (err: unknown) => answer({ error: String((err as Error)?.message ?? err) }));
    });
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether an executable of that name is on PATH (the alias would shadow it, §4.8). */
function onPath(name: string, path: string): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      if (existsSync(file) && (statSync(file).mode & 0o111) !== 0) return true;
    } catch {
      // unreadable directory entries do not count
    }
  }
  return false;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function shimScript(command: string[], name: string): string {
  return `#!/bin/sh\n# taiku alias shim (spec §4.8)\nexec ${command.map(sh).join(" ")} alias-call ${sh(name)} -- "$@"\n`;
}

