/**
 * Command-line parsing for `taiku` (spec §14.1–14.3). Pure: argv and env in, a typed command out,
 * so every rule here is unit-testable without spawning anything.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, EXIT } from "./exit-codes.js";

export interface ShareArgs {
  command: "share";
  enableReaders: boolean;
  noViewerAuth: boolean;
  /** Explicit server origin (flag or TAIKU_SERVER); undefined → saved server or the embedded one. */
  server?: string;
  token?: string;
  shell: string;
  dir: string;
  /** Port for the embedded server; undefined → 8080, falling back to a free port. */
  port?: number;
  verbose: boolean;
  quiet: boolean;
  tunnelPorts: number[];
  plugins: string[];
  noFs: boolean;
  agents: boolean;
  /** `--agents-owner-only`: only the owner (admins) may start agent runs (implies --agents). */
  agentsOwnerOnly?: boolean;
  /** `--config`: taiku.toml for the agents (default $TAIKU_HOME/taiku.toml). */
  config?: string;
}

export interface AgentsArgs {
  command: "agents";
  /** `taiku agents [--transport …]` runs a transport; `taiku agents doctor` checks the setup. */
  action: "run" | "doctor";
  /** `--transport`; default: `[agents] transport` of the config. */
  transport?: string;
  config?: string;
  home: string;
}

export interface ServeArgs {
  command: "serve";
  home: string;
  host: string;
  port: number;
  publicUrl?: string;
  tls?: { cert: string; key: string } | { selfSigned: true };
  viewerAuth: boolean;
  verbose: boolean;
}

export interface AccountArgs {
  command: "login" | "logout" | "whoami";
  server?: string;
  token?: string;
}

/** `taiku daemon` (§3.14): remote start from the dashboard; uses the saved login. */
export interface DaemonArgs {
  command: "daemon";
  shell: string;
  verbose: boolean;
}

export type ParsedArgs =
  | ShareArgs
  | DaemonArgs
  | ServeArgs
  | AccountArgs
  | AgentsArgs
  | { command: "version" }
  | { command: "help"; topic?: string };

export interface ArgsEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
}

const usage = (message: string) => new CliError(`${message}\nRun 'taiku --help' for usage.`, EXIT.usage);

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true as const, allowPositionals: false as const });
  } catch (err) {
    throw usage((err as Error).message);
  }
}

export function parsePort(value: string, what = "--port"): number {
  if (!/^\d+$/.test(value)) throw usage(`${what} must be a port number, got '${value}'`);
  const n = Number(value);
  if (n < 0 || n > 65535) throw usage(`${what} must be between 0 and 65535, got '${value}'`);
  return n;
}

function parseTunnelPorts(values: string[]): number[] {
  const ports = values.flatMap((v) => v.split(",")).filter((s) => s.trim() !== "");
  return ports.map((p) => {
    const n = parsePort(p.trim(), "--tunnel");
    if (n === 0) throw usage("--tunnel ports must be between 1 and 65535");
    return n;
  });
}

function parseServerUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${what} must be a URL such as https://taiku.example.com, got '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw usage(`${what} must be an http(s) URL, got '${value}'`);
  return url.origin;
}

/** `TAIKU_LISTEN` is `host:port` (spec §11.5); IPv6 hosts in brackets. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  if (!m) throw usage(`TAIKU_LISTEN must be host:port, got '${value}'`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port: parsePort(m[3]!, "TAIKU_LISTEN") };
}

function parseOnOff(value: string | undefined, what: string): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw usage(`${what} must be on or off, got '${value}'`);
}

const shareOptions: {
  [K in "enable-readers" | "no-viewer-auth" | "verbose" | "quiet" | "no-fs" | "agents" | "agents-owner-only"]: { type: "boolean"; short?: string };
} & { [K in "server" | "token" | "shell" | "dir" | "port" | "config"]: { type: "string" } } & {
  [K in "tunnel" | "plugin"]: { type: "string"; multiple: true };
} = {
  "enable-readers": { type: "boolean" },
  "no-viewer-auth": { type: "boolean" },
  server: { type: "string" },
  token: { type: "string" },
  shell: { type: "string" },
  dir: { type: "string" },
  port: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  tunnel: { type: "string", multiple: true },
  plugin: { type: "string", multiple: true },
  "no-fs": { type: "boolean" },
  agents: { type: "boolean" },
  "agents-owner-only": { type: "boolean" },
  config: { type: "string" },
} as const;

function parseShare(argv: string[], { env, cwd }: ArgsEnv): ShareArgs {
  const { values: v } = parse(argv, shareOptions);
  if (v.verbose && v.quiet) throw usage("--verbose and --quiet cannot be combined");
  const serverRaw = v.server ?? (env.TAIKU_SERVER || undefined);
  const token = v.token ?? (env.TAIKU_TOKEN || undefined);
  return {
    command: "share",
    enableReaders: v["enable-readers"] ?? false,
    noViewerAuth: v["no-viewer-auth"] ?? false,
    ...(serverRaw ? { server: parseServerUrl(serverRaw, v.server ? "--server" : "TAIKU_SERVER") } : {}),
    ...(token ? { token } : {}),
    shell: v.shell ?? (env.SHELL || "/bin/sh"),
    dir: v.dir ?? cwd,
    ...(v.port !== undefined ? { port: parsePort(v.port) } : {}),
    verbose: v.verbose ?? false,
    quiet: v.quiet ?? false,
    tunnelPorts: parseTunnelPorts(v.tunnel ?? []),
    plugins: [...(v.plugin ?? [])],
    noFs: v["no-fs"] ?? false,
    agents: (v.agents ?? false) || (v["agents-owner-only"] ?? false),
    ...(v["agents-owner-only"] ? { agentsOwnerOnly: true } : {}),
    ...(v.config ? { config: v.config } : {}),
  };
}

const agentsOptions = { transport: { type: "string" }, config: { type: "string" } } as const;

function parseAgents(argv: string[], { env, homedir }: ArgsEnv): AgentsArgs {
  const action = argv[0] === "doctor" ? "doctor" : "run";
  const rest = action === "doctor" ? argv.slice(1) : argv;
  if (rest[0] !== undefined && !rest[0].startsWith("-")) throw usage(`unknown agents command '${rest[0]}' (expected 'doctor' or flags)`);
  const { values: v } = parse(rest, agentsOptions);
  return {
    command: "agents",
    action,
    ...(v.transport ? { transport: v.transport } : {}),
    ...(v.config ? { config: v.config } : {}),
    home: env.TAIKU_HOME || `${homedir}/.taiku`,
  };
}

const serveOptions = {
  host: { type: "string" },
  port: { type: "string" },
  "public-url": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "self-signed": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
} as const;

function parseServe(argv: string[], { env, homedir }: ArgsEnv): ServeArgs {
  const { values: v } = parse(argv, serveOptions);
  const listen = env.TAIKU_LISTEN ? parseListen(env.TAIKU_LISTEN) : { host: "0.0.0.0", port: 8080 };
  const cert = v["tls-cert"];
  const key = v["tls-key"];
  if ((cert === undefined) !== (key === undefined)) throw usage("--tls-cert and --tls-key must be given together");
  if (cert && v["self-signed"]) throw usage("--self-signed cannot be combined with --tls-cert/--tls-key");
  const publicUrl = v["public-url"] ?? (env.TAIKU_PUBLIC_URL || undefined);
  return {
    command: "serve",
    home: env.TAIKU_HOME || `${homedir}/.taiku`,
    host: v.host ?? listen.host,
    port: v.port !== undefined ? parsePort(v.port) : listen.port,
    ...(publicUrl ? { publicUrl: parseServerUrl(publicUrl, v["public-url"] ? "--public-url" : "TAIKU_PUBLIC_URL") } : {}),
    ...(cert && key ? { tls: { cert, key } } : v["self-signed"] ? { tls: { selfSigned: true as const } } : {}),
    viewerAuth: parseOnOff(env.TAIKU_VIEWER_AUTH, "TAIKU_VIEWER_AUTH") ?? false,
    verbose: v.verbose ?? false,
  };
}

const accountOptions = { server: { type: "string" }, token: { type: "string" } } as const;

function parseAccount(command: AccountArgs["command"], argv: string[], { env }: ArgsEnv): AccountArgs {
  const { values: v } = parse(argv, accountOptions);
  const serverRaw = v.server ?? (env.TAIKU_SERVER || undefined);
  const token = v.token ?? (env.TAIKU_TOKEN || undefined);
  return {
    command,
    ...(serverRaw ? { server: parseServerUrl(serverRaw, v.server ? "--server" : "TAIKU_SERVER") } : {}),
    ...(token ? { token } : {}),
  };
}

const daemonOptions = { shell: { type: "string" }, verbose: { type: "boolean", short: "v" } } as const;

function parseDaemon(argv: string[], { env }: ArgsEnv): DaemonArgs {
  const { values: v } = parse(argv, daemonOptions);
  return { command: "daemon", shell: v.shell ?? (env.SHELL || "/bin/sh"), verbose: v.verbose ?? false };
}

export const COMMANDS = ["serve", "login", "logout", "whoami", "agents", "daemon"] as const;

export function parseCommandLine(argv: string[], ctx: ArgsEnv): ParsedArgs {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V" || first === "version") return { command: "version" };
  if (first === "--help" || first === "-h" || first === "help") return { command: "help", ...(rest[0] ? { topic: rest[0] } : {}) };
  if (argv.includes("--help") || argv.includes("-h")) return { command: "help", ...(first && !first.startsWith("-") ? { topic: first } : {}) };
  switch (first) {
    case "serve":
      return parseServe(rest, ctx);
    case "login":
    case "logout":
    case "whoami":
      return parseAccount(first, rest, ctx);
    case "agents":
      return parseAgents(rest, ctx);
    case "daemon":
      return parseDaemon(rest, ctx);
    default:
      if (first !== undefined && !first.startsWith("-")) throw usage(`unknown command '${first}'`);
      return parseShare(argv, ctx);
  }
}

export const HELP = `taiku — share terminals end-to-end encrypted

Usage:
  taiku [flags]            start a session in the current directory and print its links
  taiku serve [flags]      run a taiku server
  taiku login              sign in to a server (device code) and store an API key
  taiku logout             remove stored credentials and revoke the API key
  taiku whoami             print the signed-in account and server
  taiku daemon             let /dashboard start sessions on this machine (taiku daemon --help)
  taiku func <subcommand>  remote commands for a live session (taiku func --help)
  taiku agents --transport telegram   run the agents' Telegram bridge on its own
  taiku agents doctor      check taiku.toml and which agent CLIs are installed
  taiku plugin new <dir>   scaffold a plugin (manifest, panel, MockHost test)
  taiku integrations keygen|rotate-key   vault key of the OAuth integrations (taiku integrations --help)
  taiku --version          print the version

Flags for taiku:
  --enable-readers         write-protect the session; print read-only, write and admin links
  --no-viewer-auth         anyone with the link may join without signing in
  --server <url>           server origin (env TAIKU_SERVER; default: saved at login, else an embedded server)
  --token <api_key>        API key (env TAIKU_TOKEN; default: saved at login)
  --shell <path>           shell program (default $SHELL, else /bin/sh)
  --dir <path>             session working directory (default: current directory)
  --port <n>               port of the embedded server (default 8080, else a free port)
  --tunnel <port[,port]>   publish local HTTP ports
  --plugin <id|url|./dir>  add a session-managed plugin (repeatable); a directory is served
                           through this CLI and reloads on change
  --no-fs                  disable CLI-backed filesystem access
  --agents                 run coding agents from session chat (owner and writers may start runs)
  --agents-owner-only      like --agents, but only the owner may start runs
  --config <file>          agents config (default $TAIKU_HOME/taiku.toml)
  -v, --verbose            log link events
  -q, --quiet              print only the links

Flags for taiku serve:
  --host <addr>            listen address (env TAIKU_LISTEN=host:port; default 0.0.0.0)
  --port <n>               listen port (default 8080)
  --public-url <url>       origin printed in links (env TAIKU_PUBLIC_URL)
  --tls-cert <file>        TLS certificate (PEM), with --tls-key
  --tls-key <file>         TLS private key (PEM)
  --self-signed            serve https with a generated self-signed certificate
  Environment: TAIKU_HOME (data directory, default ~/.taiku), TAIKU_VIEWER_AUTH=on|off
  Integrations: TAIKU_INTEGRATIONS=on|off, TAIKU_VAULT_KEY, TAIKU_EGRESS_HOSTS=host=url,…;
    OAuth apps in [integrations.apps.<toolkit>] of $TAIKU_HOME/taiku.toml

Flags for taiku agents:
  --transport <id>         transport to run (telegram; default: [agents] transport of the config)
  --config <file>          config file (default $TAIKU_HOME/taiku.toml)

Exit status: 0 ok, 1 error, 2 usage error, 3 authentication failure, 4 session not found or closed.
`;
