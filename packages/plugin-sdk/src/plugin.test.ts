import { BRIDGE_METHODS, type BridgeMethod } from "@taiku/protocol";
import { MockHost, createTestWindow, type TestWindow } from "@taiku/plugin-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { TaikuBridgeError, TaikuPlugin } from "./index.js";

const PLUGIN = "my-org.my-plugin";
let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup) f();
  cleanup = [];
});

function setup(opts: Partial<ConstructorParameters<typeof MockHost>[0]> = {}, timeout?: number) {
  const win = createTestWindow();
  const mock = new MockHost({ pluginId: PLUGIN, sessionId: "test-session-abc", panelId: "main", window: win, ...opts });
  const taiku = new TaikuPlugin({ window: win, timeout });
  cleanup.push(() => { taiku.destroy(); mock.dispose(); });
  return { win, mock, taiku };
}

const bin = new Uint8Array([1, 2, 3]).buffer;

function seedInbox(mock: MockHost) {
  mock.state.inbox.set("t1", {
    thread: { id: "t1", title: "Crash on start", archived: false, createdAt: 1, updatedAt: 2 },
    links: [{ id: "l1", source: "github:issue:octo/hello/1", type: "issue", status: "open", title: "Crash on start", sourceUrl: "https://github.com/octo/hello/issues/1", channelId: "octo/hello", connection: "c1", connector: "github", meta: null }],
    notes: [{ id: "n1", key: "description", content: "It crashes", contentType: "text", createdAt: 1, author: { contactId: null, userId: null, name: "octocat", email: null }, linkId: "l1", reNoteId: null, fromConnector: true, deliveryError: null }],
  });
}

/** One SDK call per bridge method, with the raw params it must produce. Complete by type. */
const CALLS: { [M in BridgeMethod]: [(t: TaikuPlugin) => Promise<unknown>, Record<string, unknown>?] } = {
  getSession: [(t) => t.getSession()],
  getShells: [(t) => t.getShells()],
  getTerminalNames: [(t) => t.getTerminalNames()],
  getUsers: [(t) => t.getUsers()],
  getUserRole: [(t) => t.getUserRole()],
  renameSession: [(t) => t.renameSession("demo"), { name: "demo" }],
  setTerminalName: [(t) => t.setTerminalName(2, null), { shellId: 2, name: null }],
  getPluginInfo: [(t) => t.getPluginInfo()],
  getShellOutput: [(t) => t.getShellOutput(1, 5), { shellId: 1, chunks: 5 }],
  writeToShell: [(t) => t.writeToShell(1, "ls\n"), { shellId: 1, data: "ls\n" }],
  createShell: [(t) => t.createShell({ rows: 30, timeout: 2000 }), { rows: 30 }],
  closeShell: [(t) => t.closeShell(3), { shellId: 3 }],
  getShellOwnership: [(t) => t.getShellOwnership()],
  adoptShell: [(t) => t.adoptShell(2), { shellId: 2 }],
  getChatHistory: [(t) => t.getChatHistory(20), { limit: 20 }],
  sendChatMessage: [(t) => t.sendChatMessage("hi"), { message: "hi" }],
  subscribeEvents: [(t) => t.subscribeEvents(["chat"]), { types: ["chat"] }],
  unsubscribeEvents: [(t) => t.unsubscribeEvents()],
  broadcastEvent: [(t) => t.broadcastEvent("build.done", { ok: 1 }), { name: "build.done", data: { ok: 1 } }],
  showToast: [(t) => t.showToast("saved", "success"), { message: "saved", kind: "success" }],
  sendNotification: [(t) => t.sendNotification("T", "B", "tag"), { title: "T", body: "B", tag: "tag" }],
  playSound: [(t) => t.playSound("chime"), { sound: "chime" }],
  setBadge: [(t) => t.setBadge("open-agents", 3), { actionId: "open-agents", count: 3 }],
  setTooltip: [(t) => t.setTooltip("open-agents", "3 running"), { actionId: "open-agents", text: "3 running" }],
  resizePanel: [(t) => t.resizePanel("main", "fit"), { panelId: "main", height: "fit" }],
  openPanel: [(t) => t.openPanel("main"), { panelId: "main" }],
  closePanel: [(t) => t.closePanel("main"), { panelId: "main" }],
  openFile: [(t) => t.openFile("README.md"), { path: "README.md" }],
  openAgentOverlay: [(t) => t.openAgentOverlay(1, "i1"), { shellId: 1, instanceId: "i1" }],
  getWorkspaces: [(t) => t.getWorkspaces()],
  getLayout: [(t) => t.getLayout()],
  getLayoutTree: [(t) => t.getLayoutTree(0), { index: 0 }],
  splitShell: [(t) => t.splitShell({ direction: "vertical" }), { direction: "vertical" }],
  createWorkspace: [(t) => t.createWorkspace("w2"), { name: "w2" }],
  switchWorkspace: [(t) => t.switchWorkspace(1), { index: 1 }],
  openTile: [(t) => t.openTile({ type: "browser", url: "https://example.com/" }), { type: "browser", url: "https://example.com/" }],
  focusTile: [(t) => t.focusTile(2), { key: 2 }],
  closeTile: [(t) => t.closeTile(2), { key: 2 }],
  getTunnels: [(t) => t.getTunnels()],
  listDir: [(t) => t.listDir("."), { path: "." }],
  readFile: [(t) => t.readFile("a.txt", { encoding: "base64" }), { path: "a.txt", encoding: "base64" }],
  getFileUrl: [(t) => t.getFileUrl("a.pdf"), { path: "a.pdf" }],
  writeFile: [(t) => t.writeFile("a.txt", "x", { createDirs: true }), { path: "a.txt", content: "x", createDirs: true }],
  getAgents: [(t) => t.getAgents()],
  setPluginData: [(t) => t.setPluginData("k", { a: 1 }), { key: "k", value: { a: 1 } }],
  getPluginData: [(t) => t.getPluginData("k"), { key: "k" }],
  getAllPluginData: [(t) => t.getAllPluginData()],
  deletePluginData: [(t) => t.deletePluginData("k"), { key: "k" }],
  getOtherPluginData: [(t) => t.getOtherPluginData("taiku.music-player", "now_playing"), { pluginId: "taiku.music-player", key: "now_playing" }],
  getAllOtherPluginData: [(t) => t.getAllOtherPluginData("p"), { pluginId: "p" }],
  setOtherPluginData: [(t) => t.setOtherPluginData("p", "k", 1), { pluginId: "p", key: "k", value: 1 }],
  deleteOtherPluginData: [(t) => t.deleteOtherPluginData("p", "k"), { pluginId: "p", key: "k" }],
  getUserData: [(t) => t.getUserData("k"), { key: "k" }],
  setUserData: [(t) => t.setUserData("k", [1, 3, 7]), { key: "k", value: [1, 3, 7] }],
  listUserData: [(t) => t.listUserData()],
  deleteUserData: [(t) => t.deleteUserData("k"), { key: "k" }],
  writePluginFile: [(t) => t.writePluginFile("a.bin", bin), { name: "a.bin", data: bin }],
  readPluginFile: [(t) => t.readPluginFile("a.bin", { from: "sessionOwner" }), { name: "a.bin", from: "sessionOwner" }],
  listPluginFiles: [(t) => t.listPluginFiles()],
  deletePluginFile: [(t) => t.deletePluginFile("a.bin"), { name: "a.bin" }],
  getStorageUsage: [(t) => t.getStorageUsage()],
  getSecret: [(t) => t.getSecret("api_key"), { key: "api_key" }],
  getSetting: [(t) => t.getSetting("theme"), { key: "theme" }],
  getSettings: [(t) => t.getSettings()],
  setSetting: [(t) => t.setSetting("last_used_shell", 3), { key: "last_used_shell", value: 3 }],
  "integrations.list": [(t) => t.integrations.list()],
  "integrations.connect": [(t) => t.integrations.connect("github"), { toolkit: "github" }],
  "integrations.tools": [(t) => t.integrations.tools("github", { search: "issue", limit: 25 }), { toolkit: "github", search: "issue", limit: 25 }],
  "integrations.execute": [(t) => t.integrations.execute("github", "GITHUB_CREATE_AN_ISSUE", { title: "x" }), { toolkit: "github", action: "GITHUB_CREATE_AN_ISSUE", arguments: { title: "x" } }],
  respondAlias: [(t) => t.respondAlias(7, { stdout: "ok\n" }), { invocationId: 7, stdout: "ok\n" }],
  "inbox.list": [(t) => t.inbox.list({ limit: 10, channel: "octo/hello" }), { limit: 10, channel: "octo/hello" }],
  "inbox.get": [(t) => t.inbox.get("t1"), { threadId: "t1" }],
  "inbox.reply": [(t) => t.inbox.reply("t1", "Thanks!"), { threadId: "t1", content: "Thanks!" }],
  "inbox.setStatus": [(t) => t.inbox.setStatus("l1", "closed"), { linkId: "l1", status: "closed" }],
  "inbox.setState": [(t) => t.inbox.setState("t1", { unread: false }), { threadId: "t1", unread: false }],
  "inbox.react": [(t) => t.inbox.react("n1", "👍", true), { noteId: "n1", emoji: "👍", on: true }],
  "inbox.connections": [(t) => t.inbox.connections()],
};

describe("TaikuPlugin against MockHost: every bridge method", () => {
  it.each(BRIDGE_METHODS)("%s sends the raw call of §16.3 and resolves", async (method) => {
    const { mock, taiku } = setup({ role: "admin" }); // renameSession needs an admin, as on the host
    await taiku.setPluginData("k", 1); // so reads of stateful fixtures find something
    await taiku.writePluginFile("a.bin", bin);
    seedInbox(mock);
    mock.handle("integrations.connect", () => ({ connectionId: "c1", redirectUrl: "https://auth.example/x", status: "INITIATED", opened: false }));
    mock.handle("integrations.execute", () => ({ successful: true, data: { number: 1 } }));
    mock.requests.length = 0;
    const [call, params] = CALLS[method];
    await expect(call(taiku)).resolves.not.toBeInstanceOf(Error);
    expect(mock.requests.map((r) => r.method)).toContain(method);
    const sent = mock.callsOf(method)[0]!.params as Record<string, unknown> | undefined;
    const defined = sent && Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined));
    expect(defined && Object.keys(defined).length ? defined : undefined).toEqual(params);
  });

  it("unwraps getShellOutput's chunks and returns stored values back", async () => {
    const { mock, taiku } = setup();
    mock.handle("getShellOutput", ({ shellId }) => ({ chunks: [`hello from ${shellId}\r\n`] }));
    await expect(taiku.getShellOutput(4, 10)).resolves.toEqual(["hello from 4\r\n"]);
    await taiku.setUserData("preferred_layout", "vertical-split");
    await expect(taiku.getUserData("preferred_layout")).resolves.toBe("vertical-split");
    await expect(taiku.listUserData()).resolves.toEqual({ preferred_layout: "vertical-split" });
    const audio = new Uint8Array([9, 8, 7, 6]).buffer;
    await taiku.writePluginFile("notification.wav", audio);
    const back = await taiku.readPluginFile("notification.wav");
    expect(back).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(back)]).toEqual([9, 8, 7, 6]);
    await expect(taiku.getStorageUsage()).resolves.toMatchObject({ totalBytes: 4, fileCount: 1 });
  });

  it("captures the init context and default fixtures of §16.4", async () => {
    const { taiku } = setup({ role: "reader" });
    await taiku.ready();
    expect([taiku.pluginId, taiku.sessionId, taiku.panelId, taiku.role]).toEqual([PLUGIN, "test-session-abc", "main", "reader"]);
    expect(taiku.authToken).toMatch(/^mock-/);
    await expect(taiku.getSession()).resolves.toMatchObject({ id: "test-session-abc", name: "Test Session" });
    await expect(taiku.getShells()).resolves.toEqual([{ id: 1, rows: 24, cols: 80 }, { id: 2, rows: 24, cols: 80 }]);
    await expect(taiku.getUserRole()).resolves.toEqual({ role: "reader", userId: 1 });
    await expect(taiku.integrations.list()).resolves.toEqual({ connections: [] });
  });

  it("MockHost's inbox: list, read, reply and close a seeded thread; inbox.write is its own permission", async () => {
    const { mock, taiku } = setup();
    await expect(taiku.inbox.list()).resolves.toEqual({ threads: [], next: null });
    await expect(taiku.inbox.get("nope")).rejects.toThrow("Thread not found");
    seedInbox(mock);
    const list = await taiku.inbox.list();
    expect(list.threads).toEqual([expect.objectContaining({ id: "t1", title: "Crash on start", link: expect.objectContaining({ id: "l1", status: "open" }) })]);
    await expect(taiku.inbox.reply("t1", "  ")).rejects.toThrow("Invalid params: content is required");
    await expect(taiku.inbox.reply("t1", "On it")).resolves.toMatchObject({ note: { content: "On it" }, writeBack: false });
    await taiku.inbox.setStatus("l1", "closed");
    const t = await taiku.inbox.get("t1");
    expect(t.notes.map((n) => n.content)).toEqual(["It crashes", "On it"]);
    expect(t.links[0]!.status).toBe("closed");
    const noteId = t.notes[0]!.id;
    await expect(taiku.inbox.react(noteId, "👍", true)).resolves.toEqual({ reactions: { "👍": ["1"] }, writeBack: false });
    await expect(taiku.inbox.react(noteId, "👍", false)).resolves.toEqual({ reactions: {}, writeBack: false });
    await expect(taiku.inbox.react("nope", "👍", true)).rejects.toThrow("Note not found");
    const ro = setup({ permissions: ["inbox.read"] });
    seedInbox(ro.mock);
    await expect(ro.taiku.inbox.get("t1")).resolves.toMatchObject({ thread: { id: "t1" } });
    await expect(ro.taiku.inbox.reply("t1", "x")).rejects.toThrow("Permission denied: inbox.write is required for inbox.reply");
    const none = setup({ permissions: [] });
    await expect(none.taiku.inbox.list()).rejects.toThrow("Permission denied: inbox.read is required for inbox.list");
  });

  it("passes settings and secrets configured on the mock", async () => {
    const { taiku } = setup({ secrets: { api_key: "sk-1" }, settings: { theme: "dark" } });
    await expect(taiku.getSecret("api_key")).resolves.toBe("sk-1");
    await expect(taiku.getSecret("missing")).resolves.toBeNull();
    await expect(taiku.getSettings()).resolves.toEqual({ theme: "dark" });
  });
});

describe("errors", () => {
  it("rejects with the host's text as TaikuBridgeError", async () => {
    const { mock, taiku } = setup();
    mock.reject("writeToShell", "Permission denied: terminal.write is required for writeToShell");
    const err = await taiku.writeToShell(1, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaikuBridgeError);
    expect(err).toMatchObject({ message: "Permission denied: terminal.write is required for writeToShell", method: "writeToShell", permissionDenied: true });
    mock.reset("writeToShell");
    await expect(taiku.writeToShell(1, "x")).resolves.toEqual({ ok: true });
  });

  it("enforces configured permissions and toolkit declarations with the host's texts", async () => {
    const { taiku } = setup({ permissions: ["integrations.read"], integrations: ["github"] });
    await expect(taiku.getSession()).rejects.toThrow("Permission denied: session.read is required for getSession");
    await expect(taiku.integrations.tools("slack")).rejects.toThrow('Toolkit "slack" is not declared in manifest.integrations');
    await expect(taiku.integrations.tools("GitHub")).resolves.toEqual({ tools: [] });
    await expect(taiku.integrations.execute("github", "X")).rejects.toThrow("Permission denied: integrations.execute is required for integrations.execute");
    await expect(taiku.request("teleport")).rejects.toThrow("Unknown method: teleport");
  });

  it("surfaces the not-enabled integrations text and not-supported methods", async () => {
    const { mock, taiku } = setup();
    await expect(taiku.integrations.execute("github", "X")).rejects.toThrow("Integrations are not enabled on this server");
    mock.reject("getTunnels", "getTunnels is not supported by this server");
    const err = (await taiku.getTunnels().catch((e: unknown) => e)) as TaikuBridgeError;
    expect(err.notSupported).toBe(true);
  });

  it("a handler that throws becomes the error text; invalid params are rejected before the handler", async () => {
    const { mock, taiku } = setup();
    mock.handle("getShells", () => { throw new Error("CLI not connected"); });
    await expect(taiku.getShells()).rejects.toThrow("CLI not connected");
    await expect(taiku.sendChatMessage("")).rejects.toThrow(/^Invalid params: message: /);
    expect(mock.callsOf("sendChatMessage")).toHaveLength(1);
  });
});

describe("transport", () => {
  it("queues calls made before taiku:init", async () => {
    const { mock, taiku } = setup({ autoInit: false });
    let settled = false;
    const p = taiku.getSession().finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(mock.requests).toHaveLength(0);
    mock.init();
    await expect(p).resolves.toMatchObject({ id: "test-session-abc" });
  });

  it("answers taiku:ready with a fresh init", async () => {
    const win = createTestWindow();
    const mock = new MockHost({ pluginId: PLUGIN, sessionId: "s1", window: win });
    await new Promise((r) => setTimeout(r, 10)); // the first init is gone before the plugin listens
    const taiku = new TaikuPlugin({ window: win }); // posts taiku:ready on construction
    cleanup.push(() => { taiku.destroy(); mock.dispose(); });
    await taiku.ready();
    expect(taiku.sessionId).toBe("s1");
  });

  it("ignores messages that do not come from the host window", async () => {
    const { win, taiku } = setup({}, 100);
    await taiku.ready();
    const other = createTestWindow();
    const listeners: Array<(e: MessageEvent) => void> = [];
    const spoof: TestWindow = { ...win, addEventListener: (_t, l) => listeners.push(l), removeEventListener: () => {} } as TestWindow;
    const victim = new TaikuPlugin({ window: spoof, target: win, timeout: 100 });
    cleanup.push(() => victim.destroy());
    const deliver = (data: unknown, source: unknown) => listeners.forEach((l) => l({ data, source } as MessageEvent));
    deliver({ type: "taiku:init", pluginId: "evil", sessionId: "x", panelId: "", authToken: "t" }, other);
    let readied = false;
    void victim.ready().then(() => (readied = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(readied).toBe(false);
    deliver({ type: "taiku:init", pluginId: PLUGIN, sessionId: "x", panelId: "", authToken: "t" }, win);
    await victim.ready();
    expect(victim.pluginId).toBe(PLUGIN);
  });

  it("does not mix up responses: correlation by id with concurrent calls", async () => {
    const { mock, taiku } = setup();
    mock.handle("getPluginData", async ({ key }) => {
      await new Promise((r) => setTimeout(r, key === "slow" ? 30 : 1));
      return key;
    });
    const [slow, fast] = await Promise.all([taiku.getPluginData("slow"), taiku.getPluginData("fast")]);
    expect([slow, fast]).toEqual(["slow", "fast"]);
    const ids = mock.requests.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith("sdk_"))).toBe(true);
  });

  it("MockHost drops requests carrying a wrong token, like the host", async () => {
    const { win, mock } = setup();
    win.postMessage({ type: "taiku:request", id: "x1", pluginId: PLUGIN, authToken: "stolen", method: "getSession" }, "*");
    win.postMessage({ type: "taiku:request", id: "x2", pluginId: PLUGIN, authToken: mock.authToken, method: "getSession" }, "*");
    await new Promise((r) => setTimeout(r, 20));
    expect(mock.requests.map((r) => r.id)).toEqual(["x2"]);
  });

  it("destroy() rejects pending calls", async () => {
    const { mock, taiku } = setup();
    mock.handle("getSession", () => new Promise(() => {}));
    const p = taiku.getSession();
    await new Promise((r) => setTimeout(r, 10));
    taiku.destroy();
    await expect(p).rejects.toThrow("TaikuPlugin was destroyed");
  });
});
