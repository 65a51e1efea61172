import { describe, expect, it } from "vitest";
import type { ServerMsg } from "@taiku/protocol";
import { Emitter } from "./emitter.js";
import { LayoutControl } from "./layout-control.js";
import { reconcile, EMPTY_LAYOUT, type Layout } from "./layout.js";
import { answerRemoteCommands, runRemoteCommand, type RemoteCommandOptions } from "./remote-commands.js";
import type { SessionClient, SessionEvents } from "./session-client.js";
import { initialState, type SessionState } from "./session-state.js";

/** The subset of SessionClient remote commands use, recording what it was asked to do. */
function fakeClient(patch: Partial<SessionState> = {}) {
  const calls: unknown[][] = [];
  const events = new Emitter<SessionEvents>();
  let state: SessionState = {
    ...initialState("sess1"),
    status: "online", userId: 3, myUserIds: [3], role: "admin", canWrite: true,
    info: { name: "demo", readersEnabled: false, viewerAuth: false, ownerName: "alice", createdAt: 5, cwdLabel: "proj" },
    users: [
      { userId: 3, name: "alice", device: "Linux Web", role: "admin", canWrite: true, focus: 1, cursor: null },
      { userId: 4, name: "bob", device: "Mac Web", role: "writer", canWrite: true, focus: null, cursor: null },
    ],
    shells: [{ id: 1, rows: 24, cols: 80, name: null, creatorUserId: null }, { id: 2, rows: 30, cols: 100, name: "build", creatorUserId: 4 }],
    owners: [{ shellId: 1, userId: 3, name: "alice" }, { shellId: 2, userId: 4, name: "bob" }],
    chat: [{ id: 1, userId: 4, name: "bob", message: "hi", ts: 10 }, { id: 2, userId: 3, name: "alice", message: "yo", ts: 11 }],
    cli: { connected: true, expiresAt: null },
    ...patch,
  };
  const client = {
    events,
    get state() {
      return state;
    },
    send: (m: unknown) => calls.push(["send", m]),
    chat: (m: string) => calls.push(["chat", m]),
    sendInput: (id: number, d: string) => calls.push(["input", id, d]),
    closeShell: (id: number) => calls.push(["close", id]),
    setFocus: (id: number | null) => calls.push(["focus", id]),
    renameSession: (n: string) => calls.push(["rename", n]),
    createShell: (rows: number, cols: number) => {
      calls.push(["create", rows, cols]);
      setTimeout(() => {
        state = { ...state, shells: [...state.shells, { id: 7, rows, cols, name: null, creatorUserId: 3 }] };
      }, 5);
      return 1;
    },
    waitFor: async (pred: (s: SessionState) => boolean, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!pred(state)) {
        if (Date.now() > end) throw new Error("timeout");
        await new Promise((r) => setTimeout(r, 2));
      }
      return state;
    },
  };
  return { client: client as unknown as SessionClient, calls, events, setState: (p: Partial<SessionState>) => (state = { ...state, ...p }) };
}

const run = (c: SessionClient, method: string, params: Record<string, unknown> = {}, source: number | null = null, opts?: RemoteCommandOptions) =>
  runRemoteCommand(c, method, params, source, opts);

describe("remote commands in the browser (§13.6)", () => {
  it("answers the read methods from session state", async () => {
    const { client } = fakeClient();
    expect(await run(client, "getShells")).toEqual([
      { id: 1, rows: 24, cols: 80, name: null, ownerName: "alice", owned: true },
      { id: 2, rows: 30, cols: 100, name: "build", ownerName: "bob", owned: false },
    ]);
    expect(await run(client, "getUsers")).toEqual([
      { userId: 3, name: "alice", focus: 1, canWrite: true, device: "Linux Web", role: "admin", isMe: true },
      { userId: 4, name: "bob", focus: null, canWrite: true, device: "Mac Web", role: "writer", isMe: false },
    ]);
    expect(await run(client, "getChat")).toEqual([[4, "bob", "hi"], [3, "alice", "yo"]]);
    expect(await run(client, "getWorkspaces")).toEqual({ pages: [{ index: 0 }], activeIndex: 0 });
    expect(await run(client, "getLayout")).toEqual([
      { key: 1, type: "shell", active: true, shellId: 1 },
      { key: 2, type: "shell", active: false, shellId: 2 },
    ]);
    expect(await run(client, "getLayoutTree")).toMatchObject({ kind: "split", first: { kind: "leaf", tiles: [1] }, second: { kind: "leaf", tiles: [2] } });
    expect(await run(client, "getAgents")).toEqual([]);
    expect(await run(client, "getSession")).toMatchObject({ id: "sess1", name: "demo", role: "admin", cliConnected: true });
  });

  it("uses the page's layout when given", async () => {
    const { client } = fakeClient();
    let layout: Layout = { pages: [{ root: { kind: "leaf", tiles: [9], active: 9 } }], activeIndex: 0, tiles: [{ key: 9, type: "shell", shellId: 2 }] };
    const host = { workspace: new LayoutControl({ get: () => layout, set: (l) => void (layout = l), state: () => client.state, createShell: () => {} }) };
    expect(await run(client, "getLayout", {}, null, { host })).toEqual([{ key: 9, type: "shell", active: true, shellId: 2 }]);
    expect(await run(client, "listTiles", {}, null, { host })).toEqual([{ workspace: 0, key: 9, type: "shell", active: true, shellId: 2 }]);
  });

  it("edits the page's workspaces through its workspace service; headless clients answer not supported", async () => {
    const { client } = fakeClient();
    await expect(run(client, "openTile", { type: "peek", shellId: 2 })).rejects.toThrow("openTile is not supported by this client");
    await expect(run(client, "createWorkspace")).rejects.toThrow("createWorkspace is not supported by this client");
    let layout: Layout = reconcile(EMPTY_LAYOUT, [1, 2]);
    const workspace = new LayoutControl({
      get: () => layout, set: (l) => void (layout = l), state: () => client.state,
      createShell: (rows, cols) => client.createShell(rows, cols),
    });
    const host = { host: { workspace } };
    // The page reconciles on every state change; the fake client changes state on a timer.
    const tick = setInterval(() => workspace.sync(client.state.shells, client.state.myUserIds), 2);
    try {
      expect(await run(client, "createWorkspace", { name: "build" }, null, host)).toEqual({ index: 1 });
      expect(await run(client, "switchWorkspace", { index: 1 }, null, host)).toEqual({ ok: true });
      expect(await run(client, "getWorkspaces", {}, null, host)).toEqual({ pages: [{ index: 0 }, { index: 1, name: "build" }], activeIndex: 1 });
      await expect(run(client, "switchWorkspace", { index: 5 }, null, host)).rejects.toThrow("Workspace not found: 5");
      const { key } = (await run(client, "openTile", { type: "peek", shellId: 2 }, null, host)) as { key: number };
      expect(await run(client, "getLayout", {}, null, host)).toEqual([{ key, type: "peek", active: true, shellId: 2 }]);
      const split = (await run(client, "splitShell", { direction: "vertical" }, null, host)) as { shellId: number; key: number };
      expect(split.shellId).toBe(7);
      expect((await run(client, "getLayoutTree", {}, null, host)) as unknown).toMatchObject({ kind: "split", direction: "vertical", first: { tiles: [key] }, second: { tiles: [split.key] } });
      expect(await run(client, "closeTile", { key }, null, host)).toEqual({ ok: true });
      await expect(run(client, "closeTile", { key }, null, host)).rejects.toThrow(`Tile not found: ${key}`);
      await expect(run(client, "openTile", { type: "document", docId: "x" }, null, host)).rejects.toThrow('openTile type "document" is not supported by this server');
      expect((await run(client, "listTiles", {}, null, host)) as unknown[]).toHaveLength(3);
    } finally {
      clearInterval(tick);
    }
  });

  it("runs the write actions as this client", async () => {
    const { client, calls } = fakeClient();
    expect(await run(client, "runCommand", { command: "ls -la" }, 2)).toEqual({ ok: true });
    expect(await run(client, "writeToShell", { shellId: 1, data: "x" })).toEqual({ ok: true });
    expect(await run(client, "sendChatMessage", { message: "hello" })).toEqual({ ok: true });
    expect(await run(client, "sendChatMessage", { text: "alt" })).toEqual({ ok: true });
    expect(await run(client, "closeShell", { shellId: 2 })).toEqual({ ok: true });
    expect(await run(client, "focusShell", { shellId: 2 })).toEqual({ ok: true });
    expect(await run(client, "renameSession", { name: "new" })).toEqual({ ok: true });
    expect(await run(client, "createShell", {})).toEqual({ shellId: 7 });
    const toasts: string[] = [];
    expect(await run(client, "showToast", { message: "done" }, null, { host: { toast: (m) => toasts.push(m) } })).toEqual({ ok: true });
    expect(await run(client, "sendNotification", { title: "t", body: "b" }, null, { host: { notify: () => true } })).toEqual({ shown: true });
    expect(toasts).toEqual(["done"]);
    expect(calls).toEqual([
      ["input", 2, "ls -la\n"], ["input", 1, "x"], ["chat", "hello"], ["chat", "alt"], ["close", 2], ["focus", 2], ["rename", "new"], ["create", 24, 80],
    ]);
  });

  it("refuses with the documented texts", async () => {
    const { client, setState } = fakeClient();
    await expect(run(client, "runCommand", { command: "ls" })).rejects.toThrow("shellId is required");
    await expect(run(client, "writeToShell", { shellId: 42, data: "x" })).rejects.toThrow("Shell not found: 42");
    await expect(run(client, "nope")).rejects.toThrow("Unknown method: nope");
    await expect(run(client, "getShellOutput", { shellId: 1 })).rejects.toThrow(/not available/);
    expect(await run(client, "getShellOutput", { shellId: 1, chunks: 2 }, null, { host: { output: (id, n) => [`${id}:${n}`] } })).toEqual({ chunks: ["1:2"] });
    setState({ cli: { connected: false, expiresAt: 1 } });
    await expect(run(client, "runCommand", { command: "ls", shellId: 1 })).rejects.toThrow("CLI not connected");
    setState({ cli: { connected: true, expiresAt: null }, role: "writer", canWrite: true });
    // Not an admin: remote control is off by default.
    await expect(run(client, "getShells")).rejects.toThrow("Remote control is off in this browser");
    // Switched on by the user: runs with a writer's rights.
    const allow = { allow: () => true };
    await expect(run(client, "closeShell", { shellId: 2 }, null, allow)).rejects.toThrow("Not the shell owner");
    await expect(run(client, "renameSession", { name: "x" }, null, allow)).rejects.toThrow("admin auth required");
    setState({ role: "reader", canWrite: false });
    await expect(run(client, "writeToShell", { shellId: 1, data: "x" }, null, allow)).rejects.toThrow("write auth required");
  });

  it("answers remoteCommand events with remoteResult (result or error)", async () => {
    const { client, calls, events } = fakeClient();
    const stop = answerRemoteCommands(client);
    const cmd = (requestId: number, method: string): ServerMsg<"remoteCommand"> => ({ t: "remoteCommand", requestId, method, params: {}, sourceShellId: null });
    events.emit("remoteCommand", cmd(5, "getChat"));
    events.emit("remoteCommand", cmd(6, "bogus"));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([
      ["send", { t: "remoteResult", requestId: 5, result: [[4, "bob", "hi"], [3, "alice", "yo"]] }],
      ["send", { t: "remoteResult", requestId: 6, error: "Unknown method: bogus" }],
    ]);
    stop();
    events.emit("remoteCommand", cmd(7, "getChat"));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.length).toBe(2);
  });
});
