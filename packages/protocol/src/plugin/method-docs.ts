/**
 * One line of documentation per bridge method (spec §7), for the generated API reference and for hosts
 * that show what a plugin may do. Typed against the catalogue, so a new method needs its line here.
 */
import type { BridgeMethod } from "./methods.js";

export interface MethodDoc {
  /** §7 subsection heading. */
  section: string;
  summary: string;
  /** The result, as the spec writes it. */
  result: string;
}

const S = {
  session: "Session, users and shells",
  terminal: "Terminal I/O and ownership",
  chat: "Chat and events",
  ui: "UI",
  workspace: "Workspace and layout",
  tunnels: "Tunnels",
  fs: "Filesystem (CLI-backed)",
  agents: "Agents",
  sessionKv: "Session KV (shared, per session, per plugin)",
  userKv: "User KV (per account, per plugin, persistent)",
  files: "Plugin file storage (per account, per plugin)",
  settings: "Local settings and secrets",
  integrations: "Integrations",
  inbox: "Inbox",
  aliases: "Shell aliases",
} as const;

const ACK = "`{ ok: true }`";
const d = (section: string, summary: string, result = ACK): MethodDoc => ({ section, summary, result });

export const METHOD_DOCS: { readonly [M in BridgeMethod]: MethodDoc } = {
  getSession: d(S.session, "Session metadata.", "`{ id, name, role, userId, readersEnabled, ownerName, cliConnected, createdAt }`"),
  getShells: d(S.session, "The session's shells.", "`Array<{ id, rows, cols, name, ownerName, owned, agent }>`"),
  getTerminalNames: d(S.session, "Automatic (`name`) and user-set (`customName`) terminal names.", "`Array<{ shellId, name?, customName? }>`"),
  getUsers: d(S.session, "Connected participants.", "`Array<{ userId, name, device, role, canWrite, focus, isMe }>`"),
  getUserRole: d(S.session, "The local user's role; disable write controls for readers.", "`{ role: \"reader\" | \"writer\" | \"admin\", userId }`"),
  renameSession: d(S.session, "Rename the session (admin only, else `admin auth required`)."),
  setTerminalName: d(S.session, "Set or clear (`null`) a terminal's custom name (owner or admin)."),
  getPluginInfo: d(S.session, "This plugin's mount, granted permissions and host version, for graceful degradation.", "`{ pluginId, panelId, version, permissions, serverManaged, hostVersion }`"),

  getShellOutput: d(S.terminal, "The most recent output chunks of a shell, oldest first, ANSI intact.", "`{ chunks: string[] }` (the SDK returns the array)"),
  writeToShell: d(S.terminal, "Type into a shell as the local user; append `\"\\n\"` to run a command (≤ 64 KiB)."),
  createShell: d(S.terminal, "Start a new shell owned by the local user.", "`{ shellId }`"),
  closeShell: d(S.terminal, "Close a shell (owner or admin)."),
  getShellOwnership: d(S.terminal, "Which shells the local user owns, others own, or nobody owns.", "`{ owned: number[], remote: Array<{ shellId, userName }>, unowned: number[] }`"),
  adoptShell: d(S.terminal, "Take over or request a shell; a `requested` outcome arrives as `adoption_resolved`.", "`{ status: \"adopted\" | \"requested\" | \"denied\", message? }`"),

  getChatHistory: d(S.chat, "Recent chat messages, oldest first.", "`{ messages: Array<{ userId, userName, message, timestamp, mine }> }`"),
  sendChatMessage: d(S.chat, "Send a chat message as the local user (`text` is accepted for `message`)."),
  subscribeEvents: d(S.chat, "Start `taiku:event` delivery to this frame (the SDK's first `on()` calls it)."),
  unsubscribeEvents: d(S.chat, "Stop event delivery to this frame."),
  broadcastEvent: d(S.chat, "Send a custom event to every subscribed plugin instance in the session, delivered as `plugin_event` (`type` is accepted for `name`)."),

  showToast: d(S.ui, "Show a toast in the host page."),
  sendNotification: d(S.ui, "Browser or desktop notification; the same `tag` replaces an earlier one.", "`{ shown: boolean }`"),
  playSound: d(S.ui, "Play a built-in sound (`chime`, `ping`, `pop`, `success`, `error`) or a plugin audio URL."),
  setBadge: d(S.ui, "Set the badge of a manifest toolbar action; `0` hides it."),
  setTooltip: d(S.ui, "Set or clear a toolbar action's tooltip."),
  resizePanel: d(S.ui, "Resize a panel; `\"fit\"` fills its dock."),
  openPanel: d(S.ui, "Open one of this plugin's panels."),
  closePanel: d(S.ui, "Close one of this plugin's panels."),
  openFile: d(S.ui, "Open a path (relative to the session directory) in the built-in file viewer."),
  openAgentOverlay: d(S.ui, "Open the agent session overlay for a shell."),

  getWorkspaces: d(S.workspace, "Workspace pages and the active one.", "`{ pages: Array<{ index, name? }>, activeIndex }`"),
  getLayout: d(S.workspace, "Tiles of the active workspace.", "`Array<{ key, type, active, shellId? }>`"),
  getLayoutTree: d(S.workspace, "The split tree of a workspace.", "`LayoutNode`"),
  splitShell: d(S.workspace, "Split a tile and open a new shell in it.", "`{ shellId, key }`"),
  createWorkspace: d(S.workspace, "Add a workspace page.", "`{ index }`"),
  switchWorkspace: d(S.workspace, "Switch to a workspace page."),
  openTile: d(S.workspace, "Open a shell, browser (`https:` only), tunnel, peek or document tile.", "`{ key }`"),
  focusTile: d(S.workspace, "Focus a tile."),
  closeTile: d(S.workspace, "Close a tile (a shell tile's shell keeps running)."),

  getTunnels: d(S.tunnels, "The session's published tunnel ports.", "`Array<{ port, url }>`"),

  listDir: d(S.fs, "List a directory relative to the session working directory (writer or admin).", "`Array<{ name, isDir, size? }>`"),
  readFile: d(S.fs, "Read a file (default utf8, at most `maxBytes`, 1 MiB by default).", "`{ path, content, encoding, size, truncated }`"),
  getFileUrl: d(S.fs, "A streaming URL for large files (PDF, media).", "`{ url, size }`"),
  writeFile: d(S.fs, "Write a file (writer or admin).", "`{ ok: true, size }`"),

  getAgents: d(S.agents, "Current AI agents, in the `agent_status` event shape.", "`Array<AgentStatus>`"),

  setPluginData: d(S.sessionKv, "Store a JSON value under a key for everyone in the session (64 KiB per plugin)."),
  getPluginData: d(S.sessionKv, "Read a key of this plugin's session KV.", "the value, or `null`"),
  getAllPluginData: d(S.sessionKv, "Every key of this plugin's session KV.", "`Record<string, any>`"),
  deletePluginData: d(S.sessionKv, "Delete a key of this plugin's session KV."),
  getOtherPluginData: d(S.sessionKv, "Read a key of another plugin's session KV.", "the value, or `null`"),
  getAllOtherPluginData: d(S.sessionKv, "Every key of another plugin's session KV.", "`Record<string, any>`"),
  setOtherPluginData: d(S.sessionKv, "Write a key of another plugin's session KV."),
  deleteOtherPluginData: d(S.sessionKv, "Delete a key of another plugin's session KV."),

  getUserData: d(S.userKv, "Read a key of the signed-in user's data for this plugin.", "the value, or `null`"),
  setUserData: d(S.userKv, "Store a JSON value for the signed-in user, across sessions and devices."),
  listUserData: d(S.userKv, "Every key of the user's data for this plugin.", "`Record<string, any>`"),
  deleteUserData: d(S.userKv, "Delete a key of the user's data."),

  writePluginFile: d(S.files, "Store a text or binary (`ArrayBuffer`) file in the user's plugin storage.", "`{ ok: true, size }`"),
  readPluginFile: d(S.files, "Read a stored file; `from: \"sessionOwner\"` reads the session owner's copy.", "`ArrayBuffer`"),
  listPluginFiles: d(S.files, "The stored files.", "`Array<{ name, size, updatedAt? }>`"),
  deletePluginFile: d(S.files, "Delete a stored file."),
  getStorageUsage: d(S.files, "Storage used and quotas.", "`{ totalBytes, fileCount, files, quotaBytes, maxFileBytes }`"),

  getSecret: d(S.settings, "A secret the user entered in the plugin settings (never sent to the server).", "`string | null`"),
  getSetting: d(S.settings, "A setting: the user's value, else the manifest default.", "the value, or `null`"),
  getSettings: d(S.settings, "Every setting with defaults filled in.", "`Record<string, any>`"),
  setSetting: d(S.settings, "Change a setting (undeclared keys allowed for plugin-private state)."),

  "integrations.list": d(S.integrations, "The signed-in user's connected accounts; `status` becomes `ACTIVE` after OAuth.", "`{ connections: Array<{ id, toolkit, status }> }`"),
  "integrations.connect": d(S.integrations, "Start OAuth for a declared toolkit; the host opens the popup and reports `opened`.", "`{ connectionId, redirectUrl, status, opened }`"),
  "integrations.tools": d(S.integrations, "A declared toolkit's tools (limit default 50, clamped to 100).", "`{ tools: Array<{ slug, name, description, inputParameters }> }`"),
  "integrations.execute": d(S.integrations, "Run a tool as the signed-in user.", "the integration's raw result, verbatim"),

  "inbox.list": d(S.inbox, "Threads synced into the signed-in user's inbox, newest first (`limit` default 50; pass `next` as `before`; filter by `connection` / `channel`).", "`{ threads: Array<{ id, title, preview, unread, todo, updatedAt, link: { id, source, type, status, sourceUrl, … } }>, next }`"),
  "inbox.get": d(S.inbox, "One thread with its links and notes (the issue body and its comments), oldest note first.", "`{ thread, links: Array<{ id, type, status, title, sourceUrl, … }>, notes: Array<{ id, content, createdAt, author, fromConnector, deliveryError }> }`"),
  "inbox.reply": d(S.inbox, "Add a note as the signed-in user; the server writes it back upstream (a GitHub or Linear comment).", "`{ note: { id, content, createdAt }, writeBack }`"),
  "inbox.setStatus": d(S.inbox, "Change a link's status (`closed` / `open` on GitHub, a state id on Linear); written back upstream.", "`{ writeBack }`"),
  "inbox.setState": d(S.inbox, "Mark a thread read / unread or to-do for the signed-in user.", "`{ writeBack }`"),
  "inbox.react": d(S.inbox, "Add (`on: true`) or remove the signed-in user's reaction on a note; written back upstream when the connector accepts the emoji (GitHub: 👍 👎 😄 😕 ❤️ 🎉 🚀 👀).", "`{ reactions, writeBack }`"),
  "inbox.connections": d(S.inbox, "The user's connector connections (what feeds the inbox), with channel counts and re-auth state.", "`{ connections: Array<{ id, connector, accountName, needsReauth, webhooks, channels: { total, enabled, syncing } }> }`"),

  respondAlias: d(S.aliases, "Answer an `alias_invoked` event; the shell prints the output and exits with `exitCode`."),
};
