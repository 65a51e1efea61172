/**
 * `taiku func <subcommand>` (spec §13, §14): drive a live session from a script, an agent or a shell.
 * Every call authenticates as the session owner (API key: `--token`, `TAIKU_TOKEN`, or the key saved
 * by `taiku login` for that server) and goes to `POST /api/v1/sessions/{id}/remote/command` (chat:
 * `GET …/remote/chat`, answered by the server). The server forwards the command to a browser of the
 * session, which runs it against its own state.
 *
 * Targeting (§13.3): inside a taiku shell `TAIKU_SHELL_ID` is sent as `source_shell_id`, so the
 * command goes to the browser that owns (or focuses) that shell; `--client <id>` picks a browser.
 *
 * Output: the `result` as pretty JSON (compact with `--json`). Errors go to stderr; exit status 1,
 * or 2 usage error, 3 authentication failure, 4 session not found or closed (§14.6).
 */
import { parseArgs } from "node:util";
import { configDir, loadCredentials } from "./credentials.js";
import { CliError, EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";

export interface FuncRequest {
  /** Remote method (POST) — or null for the chat GET route. */
  method: string | null;
  params: Record<string, unknown>;
}

export interface FuncArgs {
  session: string;
  server?: string;
  token?: string;
  client?: number;
  sourceShellId?: number;
  json: boolean;
  request: FuncRequest;
}

export const FUNC_HELP = `taiku func — remote commands for a live session (runs in a browser of the session)

Usage: taiku func <subcommand> [args] [--session <id>] [--client <id>] [--token <key>] [--server <url>] [--json]

Read:
  list-shells | shells            shells [{id, rows, cols, …}]
  list-users | users              participants [{name, focus, canWrite, device, …}]
  list-agents | agents            agents running in shells
  list-workspaces | workspaces    {pages, activeIndex}
  get-layout                      tiles of the active workspace
  list-tiles                      tiles of all workspaces
  get-layout-tree [--index n]     the split tree
  chat                            last 100 messages [[userId, name, text], …]
  output <shellId> [--chunks n]   recent decrypted output chunks
  tunnels                         published ports
Act:
  run "<command>" [--shell id]    type command + newline (default shell: $TAIKU_SHELL_ID)
  write <shellId> "<data>"        type raw data
  say "<message>"                 send a chat message
  new-shell | split-h | split-v   open a shell
  close-shell <id> | focus <id>   close / focus a shell
  open <type> [--url u] [--port p] | close-tile <key>
  new-workspace [name] | switch-workspace <index>
  rename "<name>" | toast "<message>" [--kind k]
  call <method> ['<json params>']  any remote method

Defaults: --session $TAIKU_SESSION_ID, --server $TAIKU_SERVER (else the saved login),
--token $TAIKU_TOKEN (else the saved login). Inside a taiku shell $TAIKU_SHELL_ID routes the
command to the browser that owns that shell.
`;

const usage = (m: string) => new CliError(`${m}\nRun 'taiku func --help' for usage.`, EXIT.usage);

const options = {
  session: { type: "string" },
  client: { type: "string" },
  token: { type: "string" },
  server: { type: "string" },
  json: { type: "boolean" },
  chunks: { type: "string" },
  index: { type: "string" },
  url: { type: "string" },
  port: { type: "string" },
  kind: { type: "string" },
  shell: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function nat(v: string | undefined, what: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw usage(`${what} must be an integer${min ? ` ≥ ${min}` : " ≥ 0"}, got '${v}'`);
  return Number(v);
}

/** Pure: argv (after `func`) and env → what to call. Throws CliError(EXIT.usage) on bad input. */
export function parseFuncArgs(argv: string[], env: NodeJS.ProcessEnv): FuncArgs | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals.length === 0 || positionals[0] === "help") return "help";
  const [sub, ...rest] = positionals as [string, ...string[]];
  const session = v.session ?? (env.TAIKU_SESSION_ID || undefined);
  if (!session) throw usage("no session: pass --session <id> (inside a taiku shell TAIKU_SESSION_ID is set)");
  if (!/^[A-Za-z0-9_-]{4,64}$/.test(session)) throw usage(`--session must be a session id, got '${session}'`);
  const server = v.server ?? (env.TAIKU_SERVER || undefined);
  if (server !== undefined && !/^https?:\/\/[^\s/]+/.test(server)) throw usage(`--server must be an http(s) URL, got '${server}'`);
  const token = v.token ?? (env.TAIKU_TOKEN || undefined);
  const client = nat(v.client, "--client");
  // Auto-routing only makes sense for the session this shell belongs to.
  const inShell = env.TAIKU_SHELL_ID && (!v.session || v.session === env.TAIKU_SESSION_ID) ? nat(env.TAIKU_SHELL_ID, "TAIKU_SHELL_ID", 1) : undefined;

  const arg = (i: number, what: string): string => {
    const a = rest[i];
    if (a === undefined) throw usage(`${sub}: missing ${what}`);
    return a;
  };
  const shellArg = (i: number) => nat(arg(i, "<shellId>"), "shellId", 1)!;
  const call = (method: string, params: Record<string, unknown> = {}): FuncRequest => ({ method, params });
  const request = ((): FuncRequest => {
    switch (sub) {
      case "get-layout": return call("getLayout");
      case "list-tiles": return call("listTiles");
      case "get-layout-tree": {
        const index = nat(v.index, "--index");
        return call("getLayoutTree", index !== undefined ? { index } : {});
      }
      case "split-h": return call("splitShell", { direction: "horizontal" });
      case "split-v": return call("splitShell", { direction: "vertical" });
      case "run": {
        const shellId = nat(v.shell, "--shell", 1);
        return call("runCommand", { command: rest.length ? rest.join(" ") : arg(0, '"<command>"'), ...(shellId ? { shellId } : {}) });
      }
      case "write": return call("writeToShell", { shellId: shellArg(0), data: arg(1, '"<data>"') });
      case "output": {
        const chunks = nat(v.chunks, "--chunks", 1);
        return call("getShellOutput", { shellId: shellArg(0), ...(chunks ? { chunks } : {}) });
      }
      case "list-shells": case "shells": return call("getShells");
      case "list-users": case "users": return call("getUsers");
      case "list-agents": case "agents": return call("getAgents");
      case "list-workspaces": case "workspaces": return call("getWorkspaces");
      case "chat": return { method: null, params: {} };
      case "say": return call("sendChatMessage", { message: rest.length ? rest.join(" ") : arg(0, '"<message>"') });
      case "new-shell": return call("createShell");
      case "close-shell": return call("closeShell", { shellId: shellArg(0) });
      case "focus": return call("focusShell", { shellId: shellArg(0) });
      case "open": {
        const port = nat(v.port, "--port", 1);
        return call("openTile", { type: arg(0, "<type>"), ...(v.url ? { url: v.url } : {}), ...(port ? { port } : {}) });
      }
      case "close-tile": return call("closeTile", { key: nat(arg(0, "<key>"), "key")! });
      case "new-workspace": return call("createWorkspace", rest[0] ? { name: rest[0] } : {});
      case "switch-workspace": return call("switchWorkspace", { index: nat(arg(0, "<index>"), "index")! });
      case "rename": return call("renameSession", { name: arg(0, '"<name>"') });
      case "tunnels": return call("getTunnels");
      case "toast": return call("showToast", { message: arg(0, '"<message>"'), ...(v.kind ? { kind: v.kind } : {}) });
      case "call": {
        const method = arg(0, "<method>");
        let params: unknown = {};
        if (rest[1] !== undefined) {
          try {
            params = JSON.parse(rest[1]);
          } catch {
            throw usage("call: params must be a JSON object, e.g. '{\"shellId\": 1}'");
          }
        }
        if (typeof params !== "object" || params === null || Array.isArray(params)) throw usage("call: params must be a JSON object");
        return call(method, params as Record<string, unknown>);
      }
      default:
        throw usage(`unknown func subcommand '${sub}'`);
    }
  })();
  return {
    session, json: v.json ?? false, request,
    ...(server ? { server: server.replace(/\/+$/, "") } : {}),
    ...(token ? { token } : {}),
    ...(client !== undefined ? { client } : {}),
    ...(inShell !== undefined ? { sourceShellId: inShell } : {}),
  };
}

function statusExit(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 410) return EXIT.sessionGone;
  return EXIT.error;
}

export async function runFunc(argv: string[], io: CliIo): Promise<number> {
  const a = parseFuncArgs(argv, io.env);
  if (a === "help") {
    io.stdout.write(FUNC_HELP);
    return EXIT.ok;
  }
  const creds = a.server && a.token ? null : await loadCredentials(configDir(io.env, io.homedir)).catch(() => null);
  const server = a.server ?? creds?.server;
  if (!server) throw new CliError("no server: pass --server <url> (or set TAIKU_SERVER, or run 'taiku login')", EXIT.usage);
  // A saved key belongs to its server; never send it elsewhere.
  const token = a.token ?? (creds && creds.server.replace(/\/+$/, "") === server.replace(/\/+$/, "") ? creds.apiKey : undefined);
  if (!token) throw new CliError("no API key: pass --token <api_key> (or set TAIKU_TOKEN, or run 'taiku login')", EXIT.auth);

  const base = `${server.replace(/\/+$/, "")}/api/v1/sessions/${encodeURIComponent(a.session)}/remote`;
  let res: Response;
  try {
    if (a.request.method === null) {
      res = await io.fetch(`${base}/chat${a.client !== undefined ? `?client=${a.client}` : ""}`, { headers: { "x-taiku-token": token } });
    } else {
      const body = {
        method: a.request.method, params: a.request.params,
        ...(a.client !== undefined ? { target_client_id: a.client } : {}),
        ...(a.sourceShellId !== undefined ? { source_shell_id: a.sourceShellId } : {}),
      };
      res = await io.fetch(`${base}/command`, {
        method: "POST", headers: { "x-taiku-token": token, "content-type": "application/json" }, body: JSON.stringify(body),
      });
    }
  } catch (err) {
    throw new CliError(`cannot reach ${server}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    const exit = res.status === 404 && /^Session not found/.test(text) ? EXIT.sessionGone : statusExit(res.status);
    throw new CliError(text.trim() || `HTTP ${res.status}`, exit);
  }
  let result: unknown;
  try {
    result = (JSON.parse(text) as { result?: unknown }).result ?? null;
  } catch {
    throw new CliError(`unexpected answer from the server: ${text.slice(0, 200)}`);
  }
  io.stdout.write(`${a.json ? JSON.stringify(result) : JSON.stringify(result, null, 2)}\n`);
  return EXIT.ok;
}
