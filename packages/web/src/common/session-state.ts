/**
 * Session state as the page sees it, and the pure reducer that folds server messages into it.
 * Every update returns a new top-level object (arrays replaced, never mutated), so UI frameworks
 * can compare by reference and tests can assert on snapshots.
 */
import type { DocInfo, Role, ServerMessage, ServerMsg, ShellInfo, User } from "@taiku/protocol";
import { isWebUrl } from "./fragment.js";
import { KvEntries } from "./kv-entries.js";

export interface ChatEntry {
  id: number;
  userId: number;
  name: string;
  message: string;
  ts: number;
  editedAt?: number;
}

export interface Participant extends User {
  userId: number;
}

export interface Owner {
  shellId: number;
  userId: number | null;
  name: string | null;
}

export interface AdoptionPrompt {
  requestId: number;
  shellId: number;
  fromUserId: number;
  fromName: string;
}

export interface SessionInfo {
  name: string | null;
  readersEnabled: boolean;
  viewerAuth: boolean;
  ownerName: string | null;
  createdAt: number;
  cwdLabel: string | null;
}

/**
 * connecting: first socket not yet authenticated · online: authenticated and initial state received ·
 * reconnecting: socket lost, retrying with backoff · ended: no further attempts (see `end`).
 */
export type ConnectionStatus = "connecting" | "online" | "reconnecting" | "ended";

export type EndKind = "invalid-key" | "not-found" | "closed" | "login-required" | "replaced" | "kicked" | "stopped";

export interface SessionState {
  sessionId: string;
  status: ConnectionStatus;
  end: { kind: EndKind; message: string } | null;
  /** When the next reconnect attempt happens (clock ms), while reconnecting. */
  retryAt: number | null;
  userId: number | null;
  /** Every userId this client has had (one per connection): chat messages from all of them are "mine". */
  myUserIds: number[];
  role: Role | null;
  canWrite: boolean;
  name: string | null;
  accountId: string | null;
  serverVersion: string | null;
  features: string[];
  info: SessionInfo | null;
  users: Participant[];
  shells: ShellInfo[];
  owners: Owner[];
  chat: ChatEntry[];
  /** Session KV per plugin; `entries` share structure between versions (a diff copies ≈ 1/64 of them). */
  pluginKv: Record<string, { entries: KvEntries; rev: number }>;
  sessionPlugins: Record<string, { manifest_url: string; enabled: boolean }>;
  tunnels: Array<{ port: number; url: string }>;
  cli: { connected: boolean; expiresAt: number | null };
  latencyMs: number | null;
  adoptionPrompts: AdoptionPrompt[];
  /** Frames that failed authentication (tampered, or sealed with another key). */
  decryptFailures: number;
  /** Decrypted terminal titles (OSC 0/2 seen by the CLI), by shell id. */
  titles: Record<number, string>;
  /** The session's collaborative documents (§3.11), newest first. */
  documents: DocInfo[];
  /** Document titles (first lines) this page has read, by docId: the relay cannot read them. */
  docTitles: Record<string, string>;
}

/** The chat list keeps a little more than the server's ring of 100 so edits still find their message. */
export const CHAT_KEEP = 200;

export function initialState(sessionId: string): SessionState {
  return {
    sessionId,
    status: "connecting",
    end: null,
    retryAt: null,
    userId: null,
    myUserIds: [],
    role: null,
    canWrite: false,
    name: null,
    accountId: null,
    serverVersion: null,
    features: [],
    info: null,
    users: [],
    shells: [],
    owners: [],
    chat: [],
    pluginKv: {},
    sessionPlugins: {},
    tunnels: [],
    cli: { connected: true, expiresAt: null },
    latencyMs: null,
    adoptionPrompts: [],
    decryptFailures: 0,
    titles: {},
    documents: [],
    docTitles: {},
  };
}

/** Fold one server message into the state. Messages that carry no state return `state` unchanged. */
export function reduce(state: SessionState, msg: ServerMessage): SessionState {
  switch (msg.t) {
    case "hello":
      return { ...state, serverVersion: msg.serverVersion, features: msg.features };
    case "authOk":
      return { ...state, userId: msg.userId, myUserIds: [...state.myUserIds, msg.userId], role: msg.role, canWrite: msg.canWrite, name: msg.name, accountId: msg.accountId ?? null };
    case "sessionInfo": {
      const { t: _t, ...info } = msg;
      return { ...state, info };
    }
    case "users":
      return { ...state, users: msg.users.map(([userId, u]) => ({ ...u, userId })) };
    case "userDiff": {
      const users = state.users.filter((u) => u.userId !== msg.userId);
      if (msg.user) {
        const i = state.users.findIndex((u) => u.userId === msg.userId);
        const entry = { ...msg.user, userId: msg.userId };
        if (i >= 0) users.splice(i, 0, entry);
        else users.push(entry);
      }
      const name = msg.userId === state.userId && msg.user ? msg.user.name : state.name;
      return { ...state, users, name };
    }
    case "shells":
      return { ...state, shells: [...msg.shells].sort((a, b) => a.id - b.id) };
    case "ownership":
      return { ...state, owners: msg.owners };
    case "chat":
      return { ...state, chat: [...state.chat, { id: msg.id, userId: msg.userId, name: msg.name, message: msg.message, ts: msg.ts }].slice(-CHAT_KEEP) };
    case "chatHistory":
      return { ...state, chat: msg.messages.map(([userId, name, message, ts, id]) => ({ id, userId, name, message, ts })) };
    case "chatEdit":
      return { ...state, chat: state.chat.map((m) => (m.id === msg.id ? { ...m, message: msg.message, editedAt: msg.editedAt } : m)) };
    case "adoptionRequest":
      return { ...state, adoptionPrompts: [...state.adoptionPrompts.filter((p) => p.requestId !== msg.requestId), { requestId: msg.requestId, shellId: msg.shellId, fromUserId: msg.fromUserId, fromName: msg.fromName }] };
    case "pluginKv":
      return { ...state, pluginKv: { ...state.pluginKv, [msg.pluginId]: { entries: KvEntries.from(msg.entries), rev: msg.rev } } };
    case "pluginKvDiff": {
      const before = state.pluginKv[msg.pluginId]?.entries ?? KvEntries.empty;
      const entries = msg.deleted ? before.without(msg.key) : before.with(msg.key, msg.value);
      return { ...state, pluginKv: { ...state.pluginKv, [msg.pluginId]: { entries, rev: msg.rev } } };
    }
    case "pluginKvDiffs":
      return msg.diffs.length === 0 ? state : { ...state, pluginKv: foldKvDiffs(state.pluginKv, msg.diffs) };
    case "sessionPlugins":
      return { ...state, sessionPlugins: msg.plugins };
    case "tunnels":
      // The URLs become frame sources and links in this page: http(s) only.
      return { ...state, tunnels: msg.tunnels.filter((t) => isWebUrl(t.url)) };
    case "cliStatus":
      return { ...state, cli: { connected: msg.connected, expiresAt: msg.expiresAt } };
    case "shellLatency":
      return { ...state, latencyMs: msg.ms };
    case "documents":
      return { ...state, documents: [...msg.documents].sort((a, b) => b.createdAt - a.createdAt) };
    default:
      return state;
  }
}

// ------------------------------------------------------------------ derived views

/**
 * Does `next` differ from `prev` in a field not in `ignore`? Fields are compared by identity: the
 * reducer replaces exactly the fields a message changes.
 */
export function changedExcept(prev: SessionState, next: SessionState, ignore: ReadonlySet<keyof SessionState>): boolean {
  for (const key of Object.keys(next) as Array<keyof SessionState>) if (!ignore.has(key) && prev[key] !== next[key]) return true;
  return false;
}

export function ownerOf(state: SessionState, shellId: number): Owner | undefined {
  return state.owners.find((o) => o.shellId === shellId);
}

export function ownsShell(state: SessionState, shellId: number): boolean {
  return state.userId !== null && ownerOf(state, shellId)?.userId === state.userId;
}

/**
 * May this client resize the shell (spec §2.2.3 `resize`)? Owner, admin, or any writer while the
 * shell is unowned. The focus-lock holder may too; the caller passes whether we typed there lately.
 * A shell missing from the ownership list is not "unowned" but not yet known (the relay sends
 * `shells` before `ownership` for a new shell): no resize until it is.
 */
export function mayResize(state: SessionState, shellId: number, holdsFocusLock = false): boolean {
  if (state.role === "admin") return true;
  if (!state.canWrite) return false;
  const owner = ownerOf(state, shellId);
  if (!owner) return false;
  // An owner who left still owns the shell (token-bound, shown greyed): only no owner at all is "unowned".
  const unowned = owner.userId === null && owner.name === null;
  return unowned || owner.userId === state.userId || holdsFocusLock;
}

/** The diffs of one `pluginKvDiffs`, in order: one new `KvEntries` per plugin touched (one shard copy per shard). */
function foldKvDiffs(kv: SessionState["pluginKv"], diffs: ServerMsg<"pluginKvDiffs">["diffs"]): SessionState["pluginKv"] {
  const byPlugin = new Map<string, typeof diffs>();
  for (const d of diffs) {
    const list = byPlugin.get(d.pluginId);
    if (list) list.push(d);
    else byPlugin.set(d.pluginId, [d]);
  }
  const out = { ...kv };
  for (const [pluginId, list] of byPlugin) {
    const before = kv[pluginId]?.entries ?? KvEntries.empty;
    // defineProperty: an assignment would set the prototype for a plugin id `__proto__`.
    Object.defineProperty(out, pluginId, { value: { entries: before.withChanges(list), rev: list.at(-1)!.rev }, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
