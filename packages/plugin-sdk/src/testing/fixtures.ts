/**
 * Default answers of MockHost for every bridge method (spec §16.4 "Default fixtures"). Stateful methods
 * (session KV, User KV, settings, secrets, plugin files) are backed by in-memory maps, so a write is
 * visible to the next read, as with a real host.
 */
import {
  BRIDGE_ACK,
  BRIDGE_ERRORS,
  INTEGRATION_ERRORS,
  jsonByteLength,
  jsonRoundTrip,
  LIMITS,
  type BridgeMethod,
  type BridgeMethodParams,
  type BridgeMethodResult,
  type InboxThreadResult,
  type InboxThreadSummary,
  type Role,
} from "@taiku/protocol";

export interface MockState {
  pluginId: string;
  sessionId: string;
  panelId: string;
  role: Role;
  userId: number;
  permissions: string[];
  /** Session KV: pluginId → key → value. */
  sessionKv: Map<string, Map<string, unknown>>;
  userKv: Map<string, unknown>;
  settings: Map<string, unknown>;
  secrets: Map<string, string>;
  files: Map<string, Uint8Array>;
  /**
   * The inbox behind `inbox.*`: thread id → the `inbox.get` answer. Empty by default; seed it to test an
   * inbox plugin (`inbox.reply` appends a note, `inbox.setStatus` changes the link, as a host would).
   */
  inbox: Map<string, InboxThreadResult>;
}

/** The local user's name in the fixtures (`getUsers`, `getSession().ownerName`, `plugin_data_changed`). */
export const MOCK_USER_NAME = "Test User";

/** Thrown by a fixture to answer `error` with this text. */
export class MockError extends Error {}

const toBytes = (data: string | ArrayBuffer | ArrayBufferView): Uint8Array =>
  typeof data === "string"
    ? new TextEncoder().encode(data)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data.slice(0))
      : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));

const kv = (s: MockState, pluginId: string) => {
  let m = s.sessionKv.get(pluginId);
  if (!m) s.sessionKv.set(pluginId, (m = new Map()));
  return m;
};
/**
 * KV values travel as JSON on a real host (session KV over the WebSocket, User KV in the server's
 * database): what a plugin reads back is the JSON round trip (a Date comes back as a string), and a
 * value JSON cannot spell is refused with the host's text.
 */
function asJson(value: unknown): unknown {
  const round = jsonRoundTrip(value);
  if (!round) throw new MockError(BRIDGE_ERRORS.invalidParams("value must be JSON"));
  return round.json;
}
const utf8 = (text: string) => new TextEncoder().encode(text).byteLength;
function kvSet(s: MockState, pluginId: string, key: string, raw: unknown) {
  const value = asJson(raw);
  const next = new Map(kv(s, pluginId)).set(key, value);
  let bytes = 0;
  for (const [k, v] of next) bytes += utf8(k) + jsonByteLength(v);
  if (bytes > LIMITS.sessionKvBytes) throw new MockError(BRIDGE_ERRORS.sessionKvQuota);
  kv(s, pluginId).set(key, value);
  return BRIDGE_ACK;
}

/** The server's User KV caps (spec §9.4): value ≤ 256 KiB as JSON, ≤ 1000 keys and ≤ 10 MiB per plugin. */
const USER_KV = { valueBytes: 256 * 1024, keys: 1000, totalBytes: 10 * 1024 * 1024 };
function userKvSet(s: MockState, key: string, raw: unknown) {
  const value = asJson(raw);
  const bytes = utf8(JSON.stringify(value));
  if (bytes > USER_KV.valueBytes) throw new MockError(BRIDGE_ERRORS.userKvQuota);
  let total = utf8(key) + bytes;
  let keys = 1;
  for (const [k, v] of s.userKv) {
    if (k === key) continue;
    keys++;
    total += utf8(k) + jsonByteLength(v);
  }
  if (keys > USER_KV.keys || total > USER_KV.totalBytes) throw new MockError(BRIDGE_ERRORS.userKvQuota);
  s.userKv.set(key, value);
  return BRIDGE_ACK;
}

/**
 * Plugin file storage as the server keeps it (spec §9.5): the file-name rule (also no `..`, as the
 * server refuses it), 25 MiB per file, 250 MiB in all, 1000 files per plugin.
 */
const FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FILES = { maxFileBytes: 25 * 1024 * 1024, quotaBytes: 250 * 1024 * 1024, maxFiles: 1000 };
function fileName(name: string): string {
  if (!FILE_NAME_RE.test(name) || name.includes("..")) throw new MockError(BRIDGE_ERRORS.invalidFilename);
  return name;
}

/** Readers may not type into, create, close or split shells (spec §6.3 step 6). */
function requireWriter(s: MockState): void {
  if (s.role === "reader") throw new MockError(BRIDGE_ERRORS.writeAuthRequired);
}

type Fixture<M extends BridgeMethod> = (params: BridgeMethodParams<M>, state: MockState) => BridgeMethodResult<M>;
export type Fixtures = { [M in BridgeMethod]: Fixture<M> };

const ack = () => BRIDGE_ACK;

function inboxThread(s: MockState, threadId: string): InboxThreadResult {
  const t = s.inbox.get(threadId);
  if (!t) throw new MockError("Thread not found");
  return t;
}
function inboxSummary(t: InboxThreadResult): InboxThreadSummary {
  const l = t.links[0];
  const last = t.notes.at(-1);
  return {
    id: t.thread.id, title: t.thread.title, preview: last?.content?.slice(0, 200) ?? null, archived: t.thread.archived,
    createdAt: t.thread.createdAt, updatedAt: t.thread.updatedAt, unread: false, todo: false,
    link: l ? { id: l.id, source: l.source, type: l.type, status: l.status, channelId: l.channelId, sourceUrl: l.sourceUrl, instanceId: l.connection, twistId: l.connector } : null,
  };
}

export const DEFAULT_FIXTURES: Fixtures = {
  getSession: (_, s) => ({
    id: s.sessionId, name: "Test Session", role: s.role, userId: s.userId, readersEnabled: false,
    ownerName: MOCK_USER_NAME, cliConnected: true, createdAt: 0,
  }),
  getShells: () => [{ id: 1, rows: 24, cols: 80 }, { id: 2, rows: 24, cols: 80 }],
  getTerminalNames: () => [{ shellId: 1, name: "bash" }, { shellId: 2, name: "bash" }],
  getUsers: (_, s) => [{ userId: s.userId, name: MOCK_USER_NAME, device: "Test Web", role: s.role, canWrite: s.role !== "reader", focus: 1, isMe: true }],
  getUserRole: (_, s) => ({ role: s.role, userId: s.userId }),
  renameSession: (_, s) => {
    if (s.role !== "admin") throw new MockError(BRIDGE_ERRORS.adminAuthRequired);
    return BRIDGE_ACK;
  },
  setTerminalName: ack,
  getPluginInfo: (_, s) => ({ pluginId: s.pluginId, panelId: s.panelId, version: "0.0.0", permissions: s.permissions, serverManaged: false, hostVersion: "mock" }),

  getShellOutput: ({ shellId, chunks }) => ({ chunks: Array.from({ length: Math.min(chunks, 3) }, (_, i) => `shell ${shellId} line ${i + 1}\r\n`) }),
  writeToShell: (_, s) => (requireWriter(s), BRIDGE_ACK),
  createShell: (_, s) => (requireWriter(s), { shellId: 3 }),
  closeShell: (_, s) => (requireWriter(s), BRIDGE_ACK),
  getShellOwnership: () => ({ owned: [1], remote: [], unowned: [2] }),
  adoptShell: (_, s) => (s.role === "reader" ? { status: "denied", message: BRIDGE_ERRORS.writeAuthRequired } : { status: "adopted" }),

  getChatHistory: () => ({ messages: [] }),
  sendChatMessage: ack,
  subscribeEvents: ack,
  unsubscribeEvents: ack,
  broadcastEvent: ack,

  showToast: ack,
  sendNotification: () => ({ shown: true }),
  playSound: ack,
  setBadge: ack,
  setTooltip: ack,
  resizePanel: ack,
  openPanel: ack,
  closePanel: ack,
  openFile: ack,
  openAgentOverlay: ack,

  getWorkspaces: () => ({ pages: [{ index: 0 }], activeIndex: 0 }),
  getLayout: () => [{ key: 1, type: "shell", active: true, shellId: 1 }],
  getLayoutTree: () => ({ kind: "leaf", tiles: [1], active: 1 }),
  splitShell: (_, s) => (requireWriter(s), { shellId: 3, key: 2 }),
  createWorkspace: () => ({ index: 1 }),
  switchWorkspace: ack,
  openTile: () => ({ key: 2 }),
  focusTile: ack,
  closeTile: ack,

  getTunnels: () => [],

  listDir: () => [{ name: "README.md", isDir: false, size: 12 }, { name: "src", isDir: true }],
  readFile: ({ path, encoding }) => ({ path, content: "", encoding, size: 0, truncated: false }),
  getFileUrl: ({ path }) => ({ url: `https://mock.invalid/file?path=${encodeURIComponent(path)}`, size: 0 }),
  writeFile: ({ content }) => ({ ok: true, size: toBytes(content).byteLength }),

  getAgents: () => [],

  setPluginData: ({ key, value }, s) => kvSet(s, s.pluginId, key, value),
  getPluginData: ({ key }, s) => kv(s, s.pluginId).get(key) ?? null,
  getAllPluginData: (_, s) => Object.fromEntries(kv(s, s.pluginId)),
  deletePluginData: ({ key }, s) => (kv(s, s.pluginId).delete(key), BRIDGE_ACK),
  getOtherPluginData: ({ pluginId, key }, s) => kv(s, pluginId).get(key) ?? null,
  getAllOtherPluginData: ({ pluginId }, s) => Object.fromEntries(kv(s, pluginId)),
  setOtherPluginData: ({ pluginId, key, value }, s) => kvSet(s, pluginId, key, value),
  deleteOtherPluginData: ({ pluginId, key }, s) => (kv(s, pluginId).delete(key), BRIDGE_ACK),

  getUserData: ({ key }, s) => s.userKv.get(key) ?? null,
  setUserData: ({ key, value }, s) => userKvSet(s, key, value),
  listUserData: (_, s) => Object.fromEntries(s.userKv),
  deleteUserData: ({ key }, s) => (s.userKv.delete(key), BRIDGE_ACK),

  writePluginFile: ({ name, data }, s) => {
    const bytes = toBytes(data);
    let total = bytes.byteLength;
    for (const [n, b] of s.files) if (n !== name) total += b.byteLength;
    const count = s.files.size + (s.files.has(fileName(name)) ? 0 : 1);
    if (bytes.byteLength > FILES.maxFileBytes || total > FILES.quotaBytes || count > FILES.maxFiles) throw new MockError(BRIDGE_ERRORS.fileQuota);
    s.files.set(name, bytes);
    return { ok: true, size: bytes.byteLength };
  },
  readPluginFile: ({ name }, s) => {
    const bytes = s.files.get(fileName(name));
    if (!bytes) throw new MockError(BRIDGE_ERRORS.fileNotFound);
    return bytes.slice().buffer;
  },
  listPluginFiles: (_, s) => [...s.files].map(([name, b]) => ({ name, size: b.byteLength })),
  deletePluginFile: ({ name }, s) => {
    if (!s.files.delete(fileName(name))) throw new MockError(BRIDGE_ERRORS.fileNotFound);
    return BRIDGE_ACK;
  },
  getStorageUsage: (_, s) => {
    const files = [...s.files].map(([name, b]) => ({ name, size: b.byteLength }));
    const totalBytes = files.reduce((n, f) => n + f.size, 0);
    return { totalBytes, fileCount: files.length, files, quotaBytes: FILES.quotaBytes, maxFileBytes: FILES.maxFileBytes };
  },

  getSecret: ({ key }, s) => s.secrets.get(key) || null, // an empty secret is an unset one, as in the host
  getSetting: ({ key }, s) => s.settings.get(key) ?? null,
  getSettings: (_, s) => Object.fromEntries(s.settings),
  setSetting: ({ key, value }, s) => (s.settings.set(key, value), BRIDGE_ACK),

  // No integrations provider in a test: empty lists; connecting or running a tool fails as on a server
  // that has integrations turned off.
  "integrations.list": () => ({ connections: [] }),
  "integrations.connect": () => { throw new MockError(INTEGRATION_ERRORS.notEnabled); },
  "integrations.tools": () => ({ tools: [] }),
  "integrations.execute": () => { throw new MockError(INTEGRATION_ERRORS.notEnabled); },

  // The inbox: an in-memory stand-in for the connectors' inbox (state.inbox), with no connector behind it.
  "inbox.list": ({ limit }, s) => ({
    threads: [...s.inbox.values()].sort((a, b) => b.thread.updatedAt - a.thread.updatedAt).slice(0, limit).map(inboxSummary),
    next: null,
  }),
  "inbox.get": ({ threadId }, s) => inboxThread(s, threadId),
  "inbox.reply": ({ threadId, content, reNoteId }, s) => {
    const t = inboxThread(s, threadId);
    const now = Date.now();
    const id = `note-${t.notes.length + 1}`;
    t.notes.push({
      id, key: null, content, contentType: "text", createdAt: now, author: { contactId: null, userId: String(s.userId), name: "You", email: null },
      linkId: t.links[0]?.id ?? null, reNoteId: reNoteId ?? null, fromConnector: false, deliveryError: null,
    });
    t.thread.updatedAt = now;
    return { note: { id, content, createdAt: now }, writeBack: false };
  },
  "inbox.setStatus": ({ linkId, status }, s) => {
    const link = [...s.inbox.values()].flatMap((t) => t.links).find((l) => l.id === linkId);
    if (!link) throw new MockError("Link not found");
    link.status = status;
    return { writeBack: false };
  },
  "inbox.setState": ({ threadId }, s) => (inboxThread(s, threadId), { writeBack: false }),
  "inbox.react": ({ noteId, emoji, on }, s) => {
    const note = [...s.inbox.values()].flatMap((t) => t.notes).find((n) => n.id === noteId);
    if (!note) throw new MockError("Note not found");
    const reactions = { ...note.reactions };
    const me = String(s.userId);
    const others = (reactions[emoji] ?? []).filter((a) => a !== me);
    if (on) reactions[emoji] = [...others, me];
    else if (others.length) reactions[emoji] = others;
    else delete reactions[emoji];
    note.reactions = reactions;
    return { reactions, writeBack: false };
  },
  "inbox.connections": () => ({ connections: [] }),

  respondAlias: ack,
};
