/**
 * Remote commands in the browser (spec §13): the server forwards `remoteCommand {requestId, method,
 * params, sourceShellId}` to one client; this module runs the method against the client's own state
 * (session state, layout, focus) and answers `remoteResult {requestId, result | error}`.
 *
 * Safety (§13.2): a client honours remote commands only while "Allow remote control" is on — by
 * default on for admin clients (the owner's own browsers) and off for every other role. Commands act
 * with this client's own rights (a reader cannot type, only an owner or admin closes a shell).
 *
 * Works headless (Node, e2e) and in the page: the page passes a `RemoteHost` for what only the UI
 * knows (the tile layout, toasts, notifications, decrypted output).
 */
import type { ShellInfo } from "@taiku/protocol";
import { LayoutControl } from "./layout-control.js";
import { balanced, type Layout } from "./layout.js";
import type { SessionClient } from "./session-client.js";
import type { SessionState } from "./session-state.js";


/** What the page adds to the session client (all optional; headless clients have none of it). */
export interface RemoteHost {
  /**
   * The page's workspace service: pages, tiles, `splitShell`, `openTile`, `closeTile`,
   * `createWorkspace`, `switchWorkspace`. Without it (headless) the layout is one page with one tile
   * per shell and editing it answers "… is not supported by this client".
   */
  workspace?: LayoutControl;
  /** Focus (and reveal) a shell's tile. */
  focusShell?(shellId: number): void;
  toast?(message: string, kind: string): void;
  notify?(title: string, body: string, tag?: string): Promise<boolean> | boolean;
  /** Most recent `n` decrypted output chunks of a shell, oldest first. */
  output?(shellId: number, n: number): string[];
  /** Agents running in shells (`getAgents`). Default: none known. */
  agents?(): unknown[];
}

export interface RemoteCommandOptions {
  host?: RemoteHost;
  /** The "Allow remote control" switch. Default: on for admins only. */
  allow?: (state: SessionState) => boolean;
  /** Called when a command runs (the page shows an indicator). */
  onCommand?: (method: string, params: Record<string, unknown>) => void;
  /** How long `createShell` waits for the CLI (ms). Default 10 s. */
  createTimeoutMs?: number;
}

export const REMOTE_TEXT = {
  disabled: "Remote control is off in this browser",
  shellIdRequired: "shellId is required",
  writeAuth: "write auth required",
  adminAuth: "admin auth required",
  notOwner: "Not the shell owner",
  cliNoResponse: "CLI did not respond",
  cliNotConnected: "CLI not connected",
} as const;

const defaultAllow = (s: SessionState) => s.role === "admin";

class CommandError extends Error {}
const fail = (message: string): never => {
  throw new CommandError(message);
};

const int = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Start answering `remoteCommand` events of `client`; returns a function that stops. */
export function answerRemoteCommands(client: SessionClient, opts: RemoteCommandOptions = {}): () => void {
  return client.events.on("remoteCommand", (msg) => {
    void (async () => {
      let reply: { result?: unknown; error?: string };
      try {
        const params = (msg.params && typeof msg.params === "object" && !Array.isArray(msg.params) ? msg.params : {}) as Record<string, unknown>;
        reply = { result: (await runRemoteCommand(client, msg.method, params, msg.sourceShellId, opts)) ?? null };
      } catch (err) {
        reply = { error: err instanceof Error ? err.message : String(err) };
      }
      client.send({ t: "remoteResult", requestId: msg.requestId, ...reply } as never);
    })();
  });
}

/** Runs one remote method (§13.6) as this client; throws with the message the server passes on. */
export async function runRemoteCommand(
  client: SessionClient,
  method: string,
  params: Record<string, unknown>,
  sourceShellId: number | null,
  opts: RemoteCommandOptions = {},
): Promise<unknown> {
  const st = client.state;
  if (!(opts.allow ?? defaultAllow)(st)) fail(REMOTE_TEXT.disabled);
  opts.onCommand?.(method, params);
  const host = opts.host ?? {};
  const ok = { ok: true } as const;
  const shellOf = (id: number | undefined): ShellInfo => {
    if (id === undefined) return fail(REMOTE_TEXT.shellIdRequired);
    return st.shells.find((s) => s.id === id) ?? fail(`Shell not found: ${id}`);
  };
  const targetShell = () => shellOf(int(params.shellId) ?? sourceShellId ?? undefined);
  const needWrite = () => st.canWrite || fail(REMOTE_TEXT.writeAuth);
  // Headless: a read-only view of the default layout (one page, one tile per shell).
  const view = host.workspace ?? new LayoutControl({ get: () => defaultLayout(st), set: () => {}, state: () => st, createShell: () => {} });
  const editor = (): LayoutControl => host.workspace ?? fail(`${method} is not supported by this client`);
  const key = (): number => int(params.key) ?? fail("Invalid params: key must be a tile key");

  switch (method) {
    case "getSession":
      return {
        id: st.sessionId, name: st.info?.name ?? null, role: st.role, userId: st.userId,
        readersEnabled: st.info?.readersEnabled ?? false, ownerName: st.info?.ownerName ?? null,
        cliConnected: st.cli.connected, createdAt: st.info?.createdAt ?? 0,
      };
    case "getShells":
      return st.shells.map((s) => {
        const owner = st.owners.find((o) => o.shellId === s.id);
        return {
          id: s.id, rows: s.rows, cols: s.cols, name: s.name ?? st.titles[s.id] ?? null,
          ownerName: owner?.name ?? null, owned: owner?.userId !== null && owner?.userId === st.userId,
        };
      });
    case "getUsers":
      return st.users.map((u) => ({
        userId: u.userId, name: u.name, focus: u.focus, canWrite: u.canWrite, device: u.device, role: u.role,
        isMe: st.myUserIds.includes(u.userId),
      }));
    case "getAgents":
      return host.agents?.() ?? [];
    case "getWorkspaces":
      return view.workspaces();
    case "getLayout":
      return view.tiles();
    case "listTiles":
      return view.allTiles();
    case "getLayoutTree":
      return view.tree(int(params.index));
    case "getChat":
      return st.chat.slice(-100).map((m) => [m.userId, m.name, m.message]);
    case "getChatHistory": {
      const limit = Math.min(100, Math.max(1, int(params.limit) ?? 100));
      return { messages: st.chat.slice(-limit).map((m) => ({ userId: m.userId, userName: m.name, message: m.message, timestamp: m.ts, mine: st.myUserIds.includes(m.userId) })) };
    }
    case "getTunnels":
      return st.tunnels;
    case "sendChatMessage": {
      const message = str(params.message) ?? str(params.text) ?? "";
      if (message.length < 1 || message.length > 2000) fail("Invalid params: message must be 1-2000 characters");
      client.chat(message);
      return ok;
    }
    case "runCommand": {
      const command = str(params.command) ?? fail("Invalid params: command must be a string");
      needWrite();
      const shell = targetShell();
      needCli(st);
      client.sendInput(shell.id, `${command}\n`);
      return ok;
    }
    case "writeToShell": {
      const data = str(params.data) ?? fail("Invalid params: data must be a string");
      if (data.length > 64 * 1024) fail("Invalid params: data is larger than 64 KiB");
      needWrite();
      const shell = shellOf(int(params.shellId) ?? sourceShellId ?? undefined);
      needCli(st);
      client.sendInput(shell.id, data);
      return ok;
    }
    case "getShellOutput": {
      const shell = targetShell();
      const n = Math.min(1000, Math.max(1, int(params.chunks) ?? 20));
      if (!host.output) fail("getShellOutput is not available in this client");
      return { chunks: host.output!(shell.id, n) };
    }
    case "createShell":
      needWrite();
      needCli(st);
      return { shellId: await createShell(client, int(params.rows) ?? 24, int(params.cols) ?? 80, opts.createTimeoutMs ?? 10_000) };
    case "splitShell": {
      needWrite();
      needCli(st);
      const direction = params.direction === "vertical" ? "vertical" : "horizontal";
      const near = int(params.shellId) ?? sourceShellId ?? undefined;
      if (host.workspace) return host.workspace.splitShell({ direction, ...(near !== undefined ? { shellId: near } : {}) });
      const shellId = await createShell(client, 24, 80, opts.createTimeoutMs ?? 10_000);
      return { shellId, key: shellId };
    }
    case "closeShell": {
      const shell = targetShell();
      const owner = st.owners.find((o) => o.shellId === shell.id);
      const mine = owner?.userId !== null && owner?.userId !== undefined && st.myUserIds.includes(owner.userId);
      if (!mine && st.role !== "admin") fail(REMOTE_TEXT.notOwner);
      needCli(st);
      client.closeShell(shell.id);
      return ok;
    }
    case "focusShell": {
      const shell = targetShell();
      client.setFocus(shell.id);
      host.focusShell?.(shell.id);
      return ok;
    }
    case "renameSession": {
      const name = str(params.name) ?? "";
      if (name.length < 1 || name.length > 80) fail("Invalid params: name must be 1-80 characters");
      if (st.role !== "admin") fail(REMOTE_TEXT.adminAuth);
      client.renameSession(name);
      return ok;
    }
    case "showToast": {
      const message = str(params.message) ?? fail("Invalid params: message must be a string");
      const kind = str(params.kind) ?? "info";
      if (host.toast) host.toast(message, kind);
      return ok;
    }
    case "sendNotification": {
      const title = str(params.title) ?? fail("Invalid params: title must be a string");
      const body = str(params.body) ?? "";
      const shown = host.notify ? await host.notify(title, body, str(params.tag)) : false;
      return { shown };
    }
    case "openTile": {
      const type = str(params.type) ?? fail("Invalid params: type is required");
      const direction = params.direction === "vertical" || params.direction === "horizontal" ? params.direction : undefined;
      return editor().openTile({
        type,
        ...(int(params.shellId) !== undefined ? { shellId: int(params.shellId)! } : {}),
        ...(str(params.url) !== undefined ? { url: str(params.url)! } : {}),
        ...(int(params.port) !== undefined ? { port: int(params.port)! } : {}),
        ...(direction ? { direction } : {}),
        ...(int(params.key) !== undefined ? { key: int(params.key)! } : {}),
      });
    }
    case "closeTile":
      editor().closeTile(key());
      return ok;
    case "focusTile":
      editor().focusTile(key());
      return ok;
    case "createWorkspace":
      return editor().createWorkspace(str(params.name)?.slice(0, 80));
    case "switchWorkspace":
      editor().switchWorkspace(int(params.index) ?? fail("Invalid params: index must be a workspace index"));
      return ok;
    default:
      return fail(`Unknown method: ${method}`);
  }
}

function needCli(st: SessionState): void {
  if (!st.cli.connected) fail(REMOTE_TEXT.cliNotConnected);
}

/** One tile per shell, balanced, when the client has no layout of its own (headless). */
export function defaultLayout(st: SessionState): Layout {
  const ids = st.shells.map((s) => s.id);
  return { pages: [{ root: balanced(ids) }], activeIndex: 0, tiles: ids.map((id) => ({ key: id, type: "shell" as const, shellId: id })) };
}

/** Ask the CLI for a shell and wait until one created by this client appears. */
async function createShell(client: SessionClient, rows: number, cols: number, timeoutMs: number): Promise<number> {
  const before = new Set(client.state.shells.map((s) => s.id));
  client.createShell(rows, cols);
  try {
    const st = await client.waitFor(
      (s) => s.shells.some((sh) => !before.has(sh.id) && sh.creatorUserId !== null && s.myUserIds.includes(sh.creatorUserId)),
      timeoutMs,
    );
    return st.shells.find((sh) => !before.has(sh.id) && sh.creatorUserId !== null && st.myUserIds.includes(sh.creatorUserId))!.id;
  } catch {
    return fail(REMOTE_TEXT.cliNoResponse);
  }
}
