/**
 * Plugin permissions (spec taiku-platform.md §5) and the bridge method → permission map (§7 tables).
 *
 * Descriptions are written for the install dialog, which shows them "in words" next to each permission.
 * Risk levels are taiku's where documented, ours otherwise; `high` ones are re-confirmed by each participant
 * for session-managed plugins (§5 grant model).
 */
import type { BridgeMethod } from "./methods.js";

export type PluginPermissionRisk = "low" | "medium" | "high";
export interface PluginPermissionInfo {
  readonly risk: PluginPermissionRisk;
  /** One sentence for the install dialog. */
  readonly description: string;
}

export const PLUGIN_PERMISSIONS = {
  "session.read": { risk: "low", description: "View session metadata, shells and users" },
  "session.write": { risk: "medium", description: "Rename the session and name terminals" },
  "terminal.read": { risk: "low", description: "Read buffered terminal output" },
  "terminal.write": { risk: "high", description: "Type into shells as you, and create or close shells" },
  "chat.read": { risk: "low", description: "Read the session chat and receive new chat messages" },
  "chat.write": { risk: "medium", description: "Send chat messages as you" },
  "events.subscribe": { risk: "low", description: "Receive live session events (shells, users, layout, plugins)" },
  "events.broadcast": { risk: "medium", description: "Broadcast custom events to other plugins and participants" },
  "ui.toolbar": { risk: "low", description: "Show a toolbar icon for the plugin" },
  "ui.toolbar.custom": { risk: "low", description: "Add toolbar buttons, badges and tooltips" },
  "ui.panel": { risk: "low", description: "Open and control sidebar, bottom, floating, tooltip and overlay panels" },
  "ui.open": { risk: "low", description: "Open files in the built-in file viewer" },
  "ui.toast": { risk: "low", description: "Show toast notifications in the page" },
  "ui.notify": { risk: "medium", description: "Show browser or desktop notifications" },
  "audio.play": { risk: "medium", description: "Play built-in sounds or audio from the plugin" },
  "tunnel.read": { risk: "low", description: "See the session's published tunnel ports" },
  "workspace.read": { risk: "low", description: "Inspect workspaces, tiles, layout and shell ownership" },
  "workspace.write": { risk: "medium", description: "Create workspaces, change the tile layout and adopt shells" },
  "hotkey.register": { risk: "low", description: "Register keyboard shortcuts" },
  "shell.alias": { risk: "high", description: "Add commands inside your terminals that the plugin answers" },
  "kv.read": { risk: "low", description: "Read other plugins' shared session data" },
  "kv.write": { risk: "medium", description: "Change other plugins' shared session data" },
  "storage.read": { risk: "low", description: "Read files the plugin stored in your account" },
  "storage.write": { risk: "medium", description: "Store and delete files in your account for this plugin" },
  "fs.list": { risk: "low", description: "List directories in the session's working directory" },
  "fs.read.cwd": { risk: "medium", description: "Read files in the session's working directory" },
  "fs.write": { risk: "high", description: "Write files in the session's working directory" },
  "agent.events": { risk: "low", description: "See AI agent status, messages and token usage" },
  "integrations.read": { risk: "low", description: "List your connected accounts and browse the declared apps' tools" },
  "integrations.connect": { risk: "medium", description: "Start connecting your account on the declared apps" },
  "integrations.execute": { risk: "high", description: "Act as you on the declared apps (run their tools)" },
  "inbox.read": { risk: "medium", description: "Read your inbox: issues, pull requests and comments synced from your connected accounts" },
  "inbox.write": { risk: "high", description: "Reply, react, close and reopen items in your inbox as you (written back to GitHub or Linear)" },
} as const satisfies Record<string, PluginPermissionInfo>;

export type PluginPermission = keyof typeof PLUGIN_PERMISSIONS;
export const PLUGIN_PERMISSION_NAMES = Object.keys(PLUGIN_PERMISSIONS) as PluginPermission[];

export function isPluginPermission(value: unknown): value is PluginPermission {
  return typeof value === "string" && Object.hasOwn(PLUGIN_PERMISSIONS, value);
}

/** Permissions each participant confirms once per plugin version for session-managed plugins (§5). */
export const HIGH_RISK_PERMISSIONS: readonly PluginPermission[] = PLUGIN_PERMISSION_NAMES.filter((p) => PLUGIN_PERMISSIONS[p].risk === "high");

/**
 * What each bridge method needs (§5 "Gates" column and §7 tables). Every listed permission is required
 * (`splitShell` needs both). An empty list = no permission: own session KV, User KV, local settings and
 * secrets, `getPluginInfo` — the official Agent Monitor uses User KV without any storage permission.
 * Typed against the method catalogue, so adding a method without deciding its gate fails to compile.
 */
export const METHOD_PERMISSIONS: { readonly [M in BridgeMethod]: readonly PluginPermission[] } = {
  getSession: ["session.read"],
  getShells: ["session.read"],
  getTerminalNames: ["session.read"],
  getUsers: ["session.read"],
  getUserRole: ["session.read"],
  renameSession: ["session.write"],
  setTerminalName: ["session.write"],
  getPluginInfo: [],

  getShellOutput: ["terminal.read"],
  writeToShell: ["terminal.write"],
  createShell: ["terminal.write"],
  closeShell: ["terminal.write"],
  getShellOwnership: ["workspace.read"],
  adoptShell: ["workspace.write"],

  getChatHistory: ["chat.read"],
  sendChatMessage: ["chat.write"],
  subscribeEvents: ["events.subscribe"],
  unsubscribeEvents: ["events.subscribe"],
  broadcastEvent: ["events.broadcast"],

  showToast: ["ui.toast"],
  sendNotification: ["ui.notify"],
  playSound: ["audio.play"],
  setBadge: ["ui.toolbar.custom"],
  setTooltip: ["ui.toolbar.custom"],
  resizePanel: ["ui.panel"],
  openPanel: ["ui.panel"],
  closePanel: ["ui.panel"],
  openFile: ["ui.open"],
  openAgentOverlay: ["agent.events"],

  getWorkspaces: ["workspace.read"],
  getLayout: ["workspace.read"],
  getLayoutTree: ["workspace.read"],
  splitShell: ["workspace.write", "terminal.write"],
  createWorkspace: ["workspace.write"],
  switchWorkspace: ["workspace.write"],
  openTile: ["workspace.write"],
  focusTile: ["workspace.write"],
  closeTile: ["workspace.write"],

  getTunnels: ["tunnel.read"],

  listDir: ["fs.list"],
  readFile: ["fs.read.cwd"],
  getFileUrl: ["fs.read.cwd"],
  writeFile: ["fs.write"],

  getAgents: ["agent.events"],

  setPluginData: [],
  getPluginData: [],
  getAllPluginData: [],
  deletePluginData: [],
  getOtherPluginData: ["kv.read"],
  getAllOtherPluginData: ["kv.read"],
  setOtherPluginData: ["kv.write"],
  deleteOtherPluginData: ["kv.write"],

  getUserData: [],
  setUserData: [],
  listUserData: [],
  deleteUserData: [],

  writePluginFile: ["storage.write"],
  readPluginFile: ["storage.read"],
  listPluginFiles: ["storage.read"],
  deletePluginFile: ["storage.write"],
  getStorageUsage: ["storage.read"],

  getSecret: [],
  getSetting: [],
  getSettings: [],
  setSetting: [],

  "integrations.list": ["integrations.read"],
  "integrations.connect": ["integrations.connect"],
  "integrations.tools": ["integrations.read"],
  "integrations.execute": ["integrations.execute"],

  "inbox.list": ["inbox.read"],
  "inbox.get": ["inbox.read"],
  "inbox.connections": ["inbox.read"],
  "inbox.reply": ["inbox.write"],
  "inbox.setStatus": ["inbox.write"],
  "inbox.setState": ["inbox.write"],
  "inbox.react": ["inbox.write"],

  respondAlias: ["shell.alias"],
};

/** Host error text when a permission is missing (§5, §6.3 step 5). */
export function permissionDeniedError(permission: string, method: string): string {
  return `Permission denied: ${permission} is required for ${method}`;
}

/** The first permission `method` needs that `granted` lacks, or null when the call is allowed. */
export function missingPermission(method: BridgeMethod, granted: ReadonlySet<string> | readonly string[]): PluginPermission | null {
  const has = Array.isArray(granted) ? new Set(granted) : (granted as ReadonlySet<string>);
  for (const p of METHOD_PERMISSIONS[method]) if (!has.has(p)) return p;
  return null;
}
