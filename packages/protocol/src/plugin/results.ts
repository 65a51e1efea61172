/**
 * Result shapes of the bridge methods (spec §7 "Result" columns), as TypeScript types for the SDK and
 * hosts. Fields tagged [D]/[E] in the spec are taiku's; the rest are ours, so plugins should treat
 * unfamiliar fields as optional.
 */
import type { Role } from "../common.js";
import type { PluginAgentStatus } from "./events.js";
import type { IntegrationsConnectResult, IntegrationsListResult, IntegrationsToolsResult } from "./integrations.js";
import type { BridgeMethod } from "./methods.js";
import type { InboxConnectionsResult, InboxListResult, InboxReactResult, InboxReplyResult, InboxThreadResult, InboxWriteBackResult } from "./inbox.js";

export type BridgeAck = { ok: true };
export type PluginAgentType = "claude" | "codex" | "opencode";

export interface BridgeSessionInfo {
  id: string; name: string | null; role: Role; userId: number; readersEnabled: boolean;
  ownerName: string | null; cliConnected: boolean; createdAt: number;
}
export interface PluginShellInfo {
  id: number; rows: number; cols: number; name?: string | null; ownerName?: string | null; owned?: boolean;
  agent?: PluginAgentType | null;
}
export interface BridgeTerminalName { shellId: number; name?: string; customName?: string }
export interface BridgeUser {
  userId: number; name: string; device: string; role: Role | string; canWrite: boolean; focus: number | null; isMe: boolean;
}
export interface PluginInfo {
  pluginId: string; panelId: string; version: string; permissions: string[]; serverManaged: boolean; hostVersion: string;
}
export interface BridgeShellOwnership { owned: number[]; remote: Array<{ shellId: number; userName: string }>; unowned: number[] }
export interface BridgeAdoptResult { status: "adopted" | "requested" | "denied"; message?: string }
export interface BridgeChatMessage { userId: number; userName: string; message: string; timestamp: number; mine: boolean }
export interface BridgeTile { key: number; type: string; active?: boolean; shellId?: number; [extra: string]: unknown }
export type BridgeLayoutNode =
  | { kind: "split"; direction: "horizontal" | "vertical"; ratio: number; first: BridgeLayoutNode; second: BridgeLayoutNode }
  /** Tile keys (spec §3.10); several in one leaf are tabs, `active` the one shown. */
  | { kind: "leaf"; tiles: number[]; active?: number };
export interface BridgeWorkspaces { pages: Array<{ index: number; name?: string }>; activeIndex: number }
export interface BridgeTunnel { port: number; url: string }
export interface BridgeDirEntry { name: string; isDir: boolean; size?: number }
export interface BridgeFileContent { path: string; content: string; encoding: "utf8" | "base64"; size: number; truncated: boolean }
export interface PluginFileInfo { name: string; size: number; updatedAt?: number }
export interface PluginStorageUsage {
  totalBytes: number; fileCount: number; files: Array<{ name: string; size: number }>; quotaBytes?: number; maxFileBytes?: number;
}

/** Result of each method; compile-time complete against the catalogue. */
export interface BridgeResultMap {
  getSession: BridgeSessionInfo;
  getShells: PluginShellInfo[];
  getTerminalNames: BridgeTerminalName[];
  getUsers: BridgeUser[];
  getUserRole: { role: Role; userId: number };
  renameSession: BridgeAck;
  setTerminalName: BridgeAck;
  getPluginInfo: PluginInfo;
  getShellOutput: { chunks: string[] };
  writeToShell: BridgeAck;
  createShell: { shellId: number };
  closeShell: BridgeAck;
  getShellOwnership: BridgeShellOwnership;
  adoptShell: BridgeAdoptResult;
  getChatHistory: { messages: BridgeChatMessage[] };
  sendChatMessage: BridgeAck;
  subscribeEvents: BridgeAck;
  unsubscribeEvents: BridgeAck;
  broadcastEvent: BridgeAck;
  showToast: BridgeAck;
  sendNotification: { shown: boolean };
  playSound: BridgeAck;
  setBadge: BridgeAck;
  setTooltip: BridgeAck;
  resizePanel: BridgeAck;
  openPanel: BridgeAck;
  closePanel: BridgeAck;
  openFile: BridgeAck;
  openAgentOverlay: BridgeAck;
  getWorkspaces: BridgeWorkspaces;
  getLayout: BridgeTile[];
  /** null for a page with no tiles. */
  getLayoutTree: BridgeLayoutNode | null;
  splitShell: { shellId: number; key: number };
  createWorkspace: { index: number };
  switchWorkspace: BridgeAck;
  openTile: { key: number };
  focusTile: BridgeAck;
  closeTile: BridgeAck;
  getTunnels: BridgeTunnel[];
  listDir: BridgeDirEntry[];
  readFile: BridgeFileContent;
  getFileUrl: { url: string; size: number };
  writeFile: { ok: true; size: number };
  getAgents: PluginAgentStatus[];
  setPluginData: BridgeAck;
  getPluginData: unknown;
  getAllPluginData: Record<string, unknown>;
  deletePluginData: BridgeAck;
  getOtherPluginData: unknown;
  getAllOtherPluginData: Record<string, unknown>;
  setOtherPluginData: BridgeAck;
  deleteOtherPluginData: BridgeAck;
  getUserData: unknown;
  setUserData: BridgeAck;
  listUserData: Record<string, unknown>;
  deleteUserData: BridgeAck;
  writePluginFile: { ok: true; size: number };
  readPluginFile: ArrayBuffer;
  listPluginFiles: PluginFileInfo[];
  deletePluginFile: BridgeAck;
  getStorageUsage: PluginStorageUsage;
  getSecret: string | null;
  getSetting: unknown;
  getSettings: Record<string, unknown>;
  setSetting: BridgeAck;
  "integrations.list": IntegrationsListResult;
  "integrations.connect": IntegrationsConnectResult;
  "integrations.tools": IntegrationsToolsResult;
  "integrations.execute": unknown;
  "inbox.list": InboxListResult;
  "inbox.get": InboxThreadResult;
  "inbox.reply": InboxReplyResult;
  "inbox.setStatus": InboxWriteBackResult;
  "inbox.setState": InboxWriteBackResult;
  "inbox.react": InboxReactResult;
  "inbox.connections": InboxConnectionsResult;
  respondAlias: BridgeAck;
}
export type BridgeMethodResult<M extends BridgeMethod> = BridgeResultMap[M];

// Fails to compile when the catalogue and this map disagree.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _ResultMapMatchesCatalogue = Assert<Exact<keyof BridgeResultMap, BridgeMethod>>;
