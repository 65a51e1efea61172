/**
 * `TaikuPlugin` (spec §16.2–16.3): one typed method per bridge method. Each maps positional arguments to
 * the raw `params` of §7 and, where useful, unwraps the result (`getShellOutput` → `string[]`). Every
 * method takes an optional last `{ timeout }`.
 */
import type {
  BridgeMethod,
  BridgeMethodParamsInput as In,
  BridgeMethodResult as Out,
  IntegrationsConnectResult,
  IntegrationsListResult,
  IntegrationsToolsResult,
  InboxConnectionsResult,
  InboxListResult,
  InboxReactResult,
  InboxReplyResult,
  InboxThreadResult,
  InboxWriteBackResult,
} from "@taiku/protocol";
import { BridgeClient, type CallOptions } from "./client.js";

type Binary = ArrayBuffer | ArrayBufferView;
export type ToastKind = "info" | "success" | "error" | "warning";

/** Separate `{ timeout }` from method options that travel as params. */
function split<T extends CallOptions>(opts: T | undefined): [Omit<T, "timeout">, CallOptions] {
  const { timeout, ...params } = opts ?? ({} as T);
  return [params, timeout === undefined ? {} : { timeout }];
}

export class TaikuPlugin extends BridgeClient {
  #call<M extends BridgeMethod>(method: M, params?: In<M>, opts?: CallOptions): Promise<Out<M>> {
    return this.request(method, params, opts);
  }

  // §7.1 Session, users and shells
  getSession(o?: CallOptions) { return this.#call("getSession", undefined, o); }
  getShells(o?: CallOptions) { return this.#call("getShells", undefined, o); }
  getTerminalNames(o?: CallOptions) { return this.#call("getTerminalNames", undefined, o); }
  getUsers(o?: CallOptions) { return this.#call("getUsers", undefined, o); }
  getUserRole(o?: CallOptions) { return this.#call("getUserRole", undefined, o); }
  renameSession(name: string, o?: CallOptions) { return this.#call("renameSession", { name }, o); }
  setTerminalName(shellId: number, name: string | null, o?: CallOptions) { return this.#call("setTerminalName", { shellId, name }, o); }
  getPluginInfo(o?: CallOptions) { return this.#call("getPluginInfo", undefined, o); }

  // §7.2 Terminal I/O and ownership
  /** The most recent `chunks` output chunks of a shell, oldest first. */
  async getShellOutput(shellId: number, chunks?: number, o?: CallOptions): Promise<string[]> {
    return (await this.#call("getShellOutput", { shellId, chunks }, o)).chunks;
  }
  writeToShell(shellId: number, data: string, o?: CallOptions) { return this.#call("writeToShell", { shellId, data }, o); }
  createShell(opts?: In<"createShell"> & CallOptions) { const [p, o] = split(opts); return this.#call("createShell", p, o); }
  closeShell(shellId: number, o?: CallOptions) { return this.#call("closeShell", { shellId }, o); }
  getShellOwnership(o?: CallOptions) { return this.#call("getShellOwnership", undefined, o); }
  adoptShell(shellId: number, o?: CallOptions) { return this.#call("adoptShell", { shellId }, o); }

  // §7.3 Chat and events
  getChatHistory(limit?: number, o?: CallOptions) { return this.#call("getChatHistory", { limit }, o); }
  sendChatMessage(message: string, o?: CallOptions) { return this.#call("sendChatMessage", { message }, o); }
  subscribeEvents(types?: string[], o?: CallOptions) { return this.#call("subscribeEvents", types ? { types } : undefined, o); }
  unsubscribeEvents(o?: CallOptions) { return this.#call("unsubscribeEvents", undefined, o); }
  /** Send a custom event; subscribed plugins receive it as `plugin_event`. */
  broadcastEvent(name: string, data?: unknown, o?: CallOptions) { return this.#call("broadcastEvent", { name, data }, o); }

  // §7.4 UI
  showToast(message: string, kind?: ToastKind, duration?: number, o?: CallOptions) {
    return this.#call("showToast", { message, kind, duration }, o);
  }
  sendNotification(title: string, body: string, tag?: string, o?: CallOptions) { return this.#call("sendNotification", { title, body, tag }, o); }
  /** A built-in sound name (`chime`, …) or an audio URL — a value containing `/` or `:` is a URL. */
  playSound(soundOrUrl: string, volume?: number, o?: CallOptions) {
    const isUrl = /[/:]/.test(soundOrUrl);
    return this.#call("playSound", isUrl ? { url: soundOrUrl, volume } : { sound: soundOrUrl, volume }, o);
  }
  setBadge(actionId: string, count: number, o?: CallOptions) { return this.#call("setBadge", { actionId, count }, o); }
  setTooltip(actionId: string, text: string | null, o?: CallOptions) { return this.#call("setTooltip", { actionId, text }, o); }
  resizePanel(panelId: string, height: number | "fit", width?: number, o?: CallOptions) {
    return this.#call("resizePanel", { panelId, height, width }, o);
  }
  openPanel(panelId: string, o?: CallOptions) { return this.#call("openPanel", { panelId }, o); }
  closePanel(panelId: string, o?: CallOptions) { return this.#call("closePanel", { panelId }, o); }
  openFile(path: string, o?: CallOptions) { return this.#call("openFile", { path }, o); }
  openAgentOverlay(shellId: number, instanceId?: string, o?: CallOptions) { return this.#call("openAgentOverlay", { shellId, instanceId }, o); }

  // §7.5 Workspace and layout
  getWorkspaces(o?: CallOptions) { return this.#call("getWorkspaces", undefined, o); }
  getLayout(o?: CallOptions) { return this.#call("getLayout", undefined, o); }
  getLayoutTree(index?: number, o?: CallOptions) { return this.#call("getLayoutTree", { index }, o); }
  splitShell(opts?: In<"splitShell"> & CallOptions) { const [p, o] = split(opts); return this.#call("splitShell", p, o); }
  createWorkspace(name?: string, o?: CallOptions) { return this.#call("createWorkspace", { name }, o); }
  switchWorkspace(index: number, o?: CallOptions) { return this.#call("switchWorkspace", { index }, o); }
  openTile(spec: In<"openTile">, o?: CallOptions) { return this.#call("openTile", spec, o); }
  focusTile(key: number, o?: CallOptions) { return this.#call("focusTile", { key }, o); }
  closeTile(key: number, o?: CallOptions) { return this.#call("closeTile", { key }, o); }

  // §7.6 Tunnels
  getTunnels(o?: CallOptions) { return this.#call("getTunnels", undefined, o); }

  // §7.7 Filesystem (relative to the session working directory)
  listDir(path: string, o?: CallOptions) { return this.#call("listDir", { path }, o); }
  readFile(path: string, opts?: Omit<In<"readFile">, "path"> & CallOptions) {
    const [p, o] = split(opts);
    return this.#call("readFile", { path, ...p }, o);
  }
  getFileUrl(path: string, o?: CallOptions) { return this.#call("getFileUrl", { path }, o); }
  writeFile(path: string, content: string | Binary, opts?: Omit<In<"writeFile">, "path" | "content"> & CallOptions) {
    const [p, o] = split(opts);
    return this.#call("writeFile", { path, content, ...p }, o);
  }

  // §7.8 Agents
  getAgents(o?: CallOptions) { return this.#call("getAgents", undefined, o); }

  // §7.9 Session KV — shared with every participant, dies with the session
  setPluginData(key: string, value: unknown, o?: CallOptions) { return this.#call("setPluginData", { key, value }, o); }
  getPluginData<T = unknown>(key: string, o?: CallOptions) { return this.#call("getPluginData", { key }, o) as Promise<T | null>; }
  getAllPluginData(o?: CallOptions) { return this.#call("getAllPluginData", undefined, o); }
  deletePluginData(key: string, o?: CallOptions) { return this.#call("deletePluginData", { key }, o); }
  getOtherPluginData<T = unknown>(pluginId: string, key: string, o?: CallOptions) {
    return this.#call("getOtherPluginData", { pluginId, key }, o) as Promise<T | null>;
  }
  getAllOtherPluginData(pluginId: string, o?: CallOptions) { return this.#call("getAllOtherPluginData", { pluginId }, o); }
  setOtherPluginData(pluginId: string, key: string, value: unknown, o?: CallOptions) {
    return this.#call("setOtherPluginData", { pluginId, key, value }, o);
  }
  deleteOtherPluginData(pluginId: string, key: string, o?: CallOptions) { return this.#call("deleteOtherPluginData", { pluginId, key }, o); }

  // §7.10 User KV — follows the signed-in user across sessions and devices
  getUserData<T = unknown>(key: string, o?: CallOptions) { return this.#call("getUserData", { key }, o) as Promise<T | null>; }
  setUserData(key: string, value: unknown, o?: CallOptions) { return this.#call("setUserData", { key, value }, o); }
  listUserData(o?: CallOptions) { return this.#call("listUserData", undefined, o); }
  deleteUserData(key: string, o?: CallOptions) { return this.#call("deleteUserData", { key }, o); }

  // §7.11 Plugin file storage
  writePluginFile(name: string, data: string | Binary, contentType?: string, o?: CallOptions) {
    return this.#call("writePluginFile", { name, data, contentType }, o);
  }
  readPluginFile(name: string, opts?: { from?: "self" | "sessionOwner" } & CallOptions) {
    const [p, o] = split(opts);
    return this.#call("readPluginFile", { name, ...p }, o);
  }
  listPluginFiles(o?: CallOptions) { return this.#call("listPluginFiles", undefined, o); }
  deletePluginFile(name: string, o?: CallOptions) { return this.#call("deletePluginFile", { name }, o); }
  getStorageUsage(o?: CallOptions) { return this.#call("getStorageUsage", undefined, o); }

  // §7.12 Local settings and secrets (only the user can set secrets)
  getSecret(key: string, o?: CallOptions) { return this.#call("getSecret", { key }, o); }
  getSetting<T = unknown>(key: string, o?: CallOptions) { return this.#call("getSetting", { key }, o) as Promise<T | null>; }
  getSettings(o?: CallOptions) { return this.#call("getSettings", undefined, o); }
  setSetting(key: string, value: unknown, o?: CallOptions) { return this.#call("setSetting", { key, value }, o); }

  // §7.14 Shell aliases
  respondAlias(invocationId: number, result: { stdout?: string; stderr?: string; exitCode?: number } = {}, o?: CallOptions) {
    return this.#call("respondAlias", { invocationId, ...result }, o);
  }

  /** §7.13 / §12: external apps through the server; the plugin never sees a token. */
  readonly integrations = {
    list: (o?: CallOptions): Promise<IntegrationsListResult> => this.#call("integrations.list", undefined, o),
    connect: (toolkit: string, callbackUrl?: string, o?: CallOptions): Promise<IntegrationsConnectResult> =>
      this.#call("integrations.connect", { toolkit, callbackUrl }, o),
    tools: (toolkit: string, filter: { search?: string; limit?: number } = {}, o?: CallOptions): Promise<IntegrationsToolsResult> =>
      this.#call("integrations.tools", { toolkit, ...filter }, o),
    /** Resolves with the integration's raw result, verbatim; upstream failures reject with the upstream text. */
    execute: <T = unknown>(toolkit: string, action: string, args?: Record<string, unknown>, o?: CallOptions): Promise<T> =>
      this.#call("integrations.execute", { toolkit, action, arguments: args }, o) as Promise<T>,
  };

  /**
   * The signed-in user's inbox: GitHub issues and pull requests, Linear issues synced by connectors
   * (`inbox.read` to read and receive `inbox.*` events, `inbox.write` to reply and change status).
   */
  readonly inbox = {
    /** Threads, newest first; pass the result's `next` as `before` for the next page. */
    list: (filter: { limit?: number; before?: string; connection?: string; channel?: string } = {}, o?: CallOptions): Promise<InboxListResult> =>
      this.#call("inbox.list", filter, o),
    get: (threadId: string, o?: CallOptions): Promise<InboxThreadResult> => this.#call("inbox.get", { threadId }, o),
    /** Add a note as the user; the server writes it back upstream as a comment (`writeBack: true`). */
    reply: (threadId: string, content: string, reNoteId?: string, o?: CallOptions): Promise<InboxReplyResult> =>
      this.#call("inbox.reply", { threadId, content, ...(reNoteId !== undefined ? { reNoteId } : {}) }, o),
    /** `closed` / `open` on GitHub, a workflow state id on Linear; written back upstream. */
    setStatus: (linkId: string, status: string, o?: CallOptions): Promise<InboxWriteBackResult> => this.#call("inbox.setStatus", { linkId, status }, o),
    setState: (threadId: string, state: { unread?: boolean; todo?: boolean; todoDate?: string | null }, o?: CallOptions): Promise<InboxWriteBackResult> =>
      this.#call("inbox.setState", { threadId, ...state }, o),
    /** Add (`on` true) or remove the user's reaction on a note; written back upstream when the connector accepts the emoji. */
    react: (noteId: string, emoji: string, on: boolean, o?: CallOptions): Promise<InboxReactResult> => this.#call("inbox.react", { noteId, emoji, on }, o),
    connections: (o?: CallOptions): Promise<InboxConnectionsResult> => this.#call("inbox.connections", undefined, o),
  };
}
