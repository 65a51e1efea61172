/**
 * Browser ↔ server WebSocket at `/api/s/{session_id}` (spec §2.2). One CBOR map per binary frame,
 * keyed by `t`. Additions over the spec are marked "taiku addition" and documented in docs/protocol.md.
 */
import { z } from "zod";
import { aliasResultFrame, bytes, bytesOfLength, frame, makeParser, role, seqFrame, shellId, typesOf, uint, uint32 } from "./common.js";

const name = z.string().trim().min(1).max(64);
const jsonValue: z.ZodType<unknown> = z.unknown();
const cursor = z.object({ shellId, x: z.number().min(0).max(1), y: z.number().min(0).max(1) }).nullable();
const pluginId = z.string().min(1).max(128);
const rows = z.number().int().min(1).max(1000);
const cols = z.number().int().min(1).max(1000);
const kvKey = z.string().min(1).max(256);

/**
 * taiku addition: session KV writes in one message (`pluginKvBatch`), applied in order with the rules of
 * `pluginKvSet` / `pluginKvDelete` each; its changes are broadcast as one `pluginKvDiffs`. The page sends
 * the writes it makes within a few milliseconds together (docs/protocol.md, docs/decisions.md item 7).
 */
export const KV_BATCH_MAX_OPS = 256;
const kvOp = z.discriminatedUnion("op", [
  z.object({ op: z.literal("set"), pluginId, key: kvKey, value: jsonValue }),
  z.object({ op: z.literal("delete"), pluginId, key: kvKey }),
]);
export type KvOp = z.infer<typeof kvOp>;

/** §3.11: `docId` = 12 base62 characters. */
export const DOC_ID_RE = /^[A-Za-z0-9]{12}$/;
export const docId = z.string().regex(DOC_ID_RE, { message: "docId must be 12 base62 characters" });
/**
 * A sealed document frame (§3.11, AAD `doc|{docId}|{userId}|{counter}`). Larger than a terminal frame:
 * a full-state snapshot of a long document is one frame (the socket's 1 MiB message limit bounds it).
 */
export const DOC_FRAME_MAX_BYTES = 512 * 1024;
const docFrame = z.object({
  n: bytesOfLength(12),
  c: bytes.refine((b) => b.byteLength >= 16 && b.byteLength <= DOC_FRAME_MAX_BYTES + 16, { message: "ciphertext size out of range" }),
});
/**
 * A relayed document frame: its place in the document's buffer (`seq`), and the sender and counter the
 * receivers need for the AAD (taiku addition: the spec's `{seq, n, c}` cannot be opened without them);
 * `snapshot: true` when it was sent with `covers` (a whole document state).
 */
export const docSeqFrame = docFrame.extend({ seq: uint, userId: uint32, counter: uint, snapshot: z.literal(true).optional() });
export type DocSeqFrame = z.infer<typeof docSeqFrame>;
/** taiku addition: one entry of the session's document list (`documents`). */
export const docInfo = z.object({ docId, createdBy: z.string(), createdAt: z.number(), updatedAt: z.number(), bytes: uint });
export type DocInfo = z.infer<typeof docInfo>;

export const layoutMeta = z.object({
  pages: uint32,
  activeIndex: uint32,
  tiles: z.array(z.object({ key: uint32, type: z.string().max(32), shellId: shellId.optional() })).max(256),
});
export type LayoutMeta = z.infer<typeof layoutMeta>;

// ---------------------------------------------------------------- client → server (§2.2.3)

const c = {
  authenticate: z.object({
    t: z.literal("authenticate"),
    viewProof: bytesOfLength(32),
    writeProof: bytesOfLength(32).optional(),
    adminProof: bytesOfLength(32).optional(),
    name: name.optional(),
    device: z.string().max(64).default("Web"),
  }),
  setName: z.object({ t: z.literal("setName"), name }),
  setCursor: z.object({ t: z.literal("setCursor"), cursor }),
  setFocus: z.object({ t: z.literal("setFocus"), shellId: shellId.nullable() }),
  create: z.object({ t: z.literal("create"), requestId: uint32, rows, cols }),
  close: z.object({ t: z.literal("close"), shellId }),
  resize: z.object({ t: z.literal("resize"), shellId, rows, cols }),
  data: z.object({ t: z.literal("data"), shellId, counter: uint, frame }),
  subscribe: z.object({ t: z.literal("subscribe"), shellId, fromSeq: uint }),
  unsubscribe: z.object({ t: z.literal("unsubscribe"), shellId }),
  /** taiku addition: flow control. The highest output seq written to the terminal (xterm write callback). */
  ack: z.object({ t: z.literal("ack"), shellId, seq: uint }),
  chat: z.object({ t: z.literal("chat"), message: z.string().min(1).max(2000) }),
  /** taiku addition: chat messages have ids and their author may edit them. */
  chatEdit: z.object({ t: z.literal("chatEdit"), id: uint, message: z.string().min(1).max(2000) }),
  ping: z.object({ t: z.literal("ping"), ts: z.number() }),
  claimShells: z.object({
    t: z.literal("claimShells"),
    claims: z.array(z.object({ shellId, token: bytesOfLength(32) })).max(1024),
  }),
  adoptRequest: z.object({ t: z.literal("adoptRequest"), requestId: uint32, shellId }),
  adoptRespond: z.object({ t: z.literal("adoptRespond"), requestId: uint32, approve: z.boolean() }),
  renameSession: z.object({ t: z.literal("renameSession"), name: z.string().trim().min(1).max(80) }),
  setTerminalName: z.object({ t: z.literal("setTerminalName"), shellId, name: z.string().max(64).nullable() }),
  pluginKvSet: z.object({ t: z.literal("pluginKvSet"), pluginId, key: kvKey, value: jsonValue }),
  pluginKvDelete: z.object({ t: z.literal("pluginKvDelete"), pluginId, key: kvKey }),
  /** taiku addition: several session KV writes, applied in order (see `kvOp`). */
  pluginKvBatch: z.object({ t: z.literal("pluginKvBatch"), ops: z.array(kvOp).min(1).max(KV_BATCH_MAX_OPS) }),
  pluginEvent: z.object({ t: z.literal("pluginEvent"), pluginId, name: z.string().min(1).max(128), data: jsonValue }),
  setSessionPlugin: z.object({
    t: z.literal("setSessionPlugin"),
    pluginId,
    manifestUrl: z.string().max(2048),
    enabled: z.boolean(),
  }),
  registerAliases: z.object({ t: z.literal("registerAliases"), pluginId, aliases: z.array(z.string().max(64)).max(64) }),
  aliasResult: z.object({ t: z.literal("aliasResult"), invocationId: uint, frame: aliasResultFrame }),
  remoteResult: z.object({ t: z.literal("remoteResult"), requestId: uint, result: jsonValue.optional(), error: z.string().optional() }),
  layoutMeta: z.object({ t: z.literal("layoutMeta"), meta: layoutMeta }),
  /**
   * §3.11. taiku additions: `counter` (per sender and document, from 1, as in `data`), and `covers`: the
   * frame is the sender's full document state and includes every buffered frame with seq ≤ `covers`, so
   * the server may drop those (late joiners start from it).
   */
  docUpdate: z.object({ t: z.literal("docUpdate"), docId, counter: uint, frame: docFrame, covers: uint.optional() }),
  docSubscribe: z.object({ t: z.literal("docSubscribe"), docId, fromSeq: uint }),
  /** taiku addition: stop live `docUpdates` / `docAwareness` for a document. */
  docUnsubscribe: z.object({ t: z.literal("docUnsubscribe"), docId }),
  /** taiku addition: a sealed cursor/selection state (Yjs awareness), relayed live to subscribers, never buffered. */
  docAwareness: z.object({ t: z.literal("docAwareness"), docId, counter: uint, frame }),
  /** taiku addition (link hygiene, admin only): remove a participant. */
  kick: z.object({ t: z.literal("kick"), userId: uint32 }),
  /** taiku addition (admin only): ask the CLI to mint new link secrets; every other viewer is disconnected. */
  rotateLinks: z.object({ t: z.literal("rotateLinks") }),
  /** taiku addition (admin only): end the session for everyone; the CLI exits. */
  endSession: z.object({ t: z.literal("endSession") }),
};

const clientOptions = Object.values(c);
export const clientMessage = z.discriminatedUnion("t", clientOptions as unknown as [typeof c.authenticate, ...(typeof c.authenticate)[]]) as unknown as z.ZodType<ClientMessage>;
export type ClientMessages = { [K in keyof typeof c]: z.infer<(typeof c)[K]> };
export type ClientMessage = ClientMessages[keyof ClientMessages];
export const CLIENT_MESSAGE_TYPES: ReadonlySet<string> = typesOf(clientOptions as never);
export const parseClientMessage = makeParser<ClientMessage>(clientMessage, CLIENT_MESSAGE_TYPES);

/** Messages a reader may send; everything else needs write access (§2.2.3 "Who may send"). */
export const READER_MESSAGES: ReadonlySet<ClientMessage["t"]> = new Set([
  "authenticate", "setName", "setCursor", "setFocus", "subscribe", "unsubscribe", "ack", "chat", "chatEdit",
  "ping", "pluginKvSet", "pluginKvDelete", "pluginKvBatch", "pluginEvent", "remoteResult", "layoutMeta", "docSubscribe", "docUnsubscribe", "aliasResult",
]);
/** Messages only an admin may send. */
export const ADMIN_MESSAGES: ReadonlySet<ClientMessage["t"]> = new Set([
  "renameSession", "setSessionPlugin", "kick", "rotateLinks", "endSession",
]);

// ---------------------------------------------------------------- server → client (§2.2.4)

export const user = z.object({
  name: z.string(),
  device: z.string(),
  role,
  canWrite: z.boolean(),
  focus: shellId.nullable(),
  cursor,
  layout: layoutMeta.optional(),
});
export type User = z.infer<typeof user>;

export const shellInfo = z.object({
  id: shellId,
  rows: uint32,
  cols: uint32,
  name: z.string().nullable(),
  creatorUserId: uint32.nullable(),
});
export type ShellInfo = z.infer<typeof shellInfo>;

/** Chat history entry: `[userId, name, message, ts, id]` (spec tuple plus the taiku message id). */
export const chatTuple = z.tuple([uint32, z.string(), z.string(), z.number(), uint]);
export type ChatTuple = z.infer<typeof chatTuple>;

const s = {
  hello: z.object({
    t: z.literal("hello"),
    userId: uint32,
    sessionId: z.string(),
    challenge: bytesOfLength(32),
    serverVersion: z.string(),
    e2e: z.literal("taiku-e2e-v1"),
    features: z.array(z.string()),
  }),
  authOk: z.object({
    t: z.literal("authOk"),
    userId: uint32,
    role,
    canWrite: z.boolean(),
    name: z.string(),
    accountId: z.string().optional(),
  }),
  invalidAuth: z.object({ t: z.literal("invalidAuth"), reason: z.string() }),
  sessionInfo: z.object({
    t: z.literal("sessionInfo"),
    name: z.string().nullable(),
    readersEnabled: z.boolean(),
    viewerAuth: z.boolean(),
    ownerName: z.string().nullable(),
    createdAt: z.number(),
    cwdLabel: z.string().nullable(),
  }),
  users: z.object({ t: z.literal("users"), users: z.array(z.tuple([uint32, user])) }),
  userDiff: z.object({ t: z.literal("userDiff"), userId: uint32, user: user.nullable() }),
  shells: z.object({ t: z.literal("shells"), shells: z.array(shellInfo) }),
  ownership: z.object({
    t: z.literal("ownership"),
    owners: z.array(z.object({ shellId, userId: uint32.nullable(), name: z.string().nullable() })),
  }),
  ownershipToken: z.object({
    t: z.literal("ownershipToken"),
    shellId,
    token: bytesOfLength(32),
    /** taiku addition: the `create.requestId` this shell answers (absent for adoption and CLI-created shells). */
    requestId: uint32.optional(),
  }),
  chunks: z.object({ t: z.literal("chunks"), shellId, frames: z.array(seqFrame) }),
  title: z.object({ t: z.literal("title"), shellId, version: uint, frame }),
  agent: z.object({ t: z.literal("agent"), shellId, frames: z.array(seqFrame) }),
  chat: z.object({
    t: z.literal("chat"),
    userId: uint32,
    name: z.string(),
    message: z.string(),
    ts: z.number(),
    /** taiku addition: message id, for edits. */
    id: uint,
  }),
  /** taiku addition: a chat message was edited by its author (agent progress is one message edited in place). */
  chatEdit: z.object({ t: z.literal("chatEdit"), id: uint, message: z.string(), editedAt: z.number() }),
  chatHistory: z.object({ t: z.literal("chatHistory"), messages: z.array(chatTuple) }),
  focusLocked: z.object({ t: z.literal("focusLocked"), shellId, holderUserId: uint32, holderName: z.string() }),
  adoptionRequest: z.object({
    t: z.literal("adoptionRequest"),
    requestId: uint32,
    shellId,
    fromUserId: uint32,
    fromName: z.string(),
  }),
  adoptionResult: z.object({
    t: z.literal("adoptionResult"),
    requestId: uint32,
    shellId,
    status: z.enum(["adopted", "denied", "expired"]),
  }),
  pluginKv: z.object({ t: z.literal("pluginKv"), pluginId: z.string(), entries: z.record(z.string(), jsonValue), rev: uint }),
  pluginKvDiff: z.object({
    t: z.literal("pluginKvDiff"),
    pluginId: z.string(),
    key: z.string(),
    value: jsonValue,
    deleted: z.boolean(),
    rev: uint,
    userId: uint32,
  }),
  /** taiku addition: the changes one `pluginKvBatch` of `userId` made, in order, each as a `pluginKvDiff` carries it. */
  pluginKvDiffs: z.object({
    t: z.literal("pluginKvDiffs"),
    userId: uint32,
    diffs: z.array(z.object({ pluginId: z.string(), key: z.string(), value: jsonValue, deleted: z.boolean(), rev: uint })),
  }),
  pluginEvent: z.object({
    t: z.literal("pluginEvent"),
    pluginId: z.string(),
    name: z.string(),
    data: jsonValue,
    userId: uint32,
    userName: z.string(),
    ts: z.number(),
  }),
  sessionPlugins: z.object({
    t: z.literal("sessionPlugins"),
    plugins: z.record(z.string(), z.object({ manifest_url: z.string(), enabled: z.boolean() })),
  }),
  tunnels: z.object({ t: z.literal("tunnels"), tunnels: z.array(z.object({ port: uint32, url: z.string() })) }),
  cliStatus: z.object({ t: z.literal("cliStatus"), connected: z.boolean(), expiresAt: z.number().nullable() }),
  shellLatency: z.object({ t: z.literal("shellLatency"), ms: z.number() }),
  pong: z.object({ t: z.literal("pong"), ts: z.number() }),
  aliasInvocation: z.object({ t: z.literal("aliasInvocation"), invocationId: uint, shellId, frame }),
  remoteCommand: z.object({
    t: z.literal("remoteCommand"),
    requestId: uint,
    method: z.string(),
    params: jsonValue,
    sourceShellId: shellId.nullable(),
  }),
  docUpdates: z.object({ t: z.literal("docUpdates"), docId, frames: z.array(docSeqFrame) }),
  /** taiku addition: another participant's sealed awareness state (see the client's `docAwareness`). */
  docAwareness: z.object({ t: z.literal("docAwareness"), docId, userId: uint32, counter: uint, frame }),
  /** taiku addition: the session's documents; sent after `authOk` and whenever one is created or removed. */
  documents: z.object({ t: z.literal("documents"), documents: z.array(docInfo) }),
  /**
   * taiku addition: the links were rotated. Sent to admins only; `frame` seals the new fragment
   * with the admin-notice key of the *old* admin secret (crypto `sealAdminNotice`).
   */
  linksRotated: z.object({ t: z.literal("linksRotated"), frame }),
  sessionClosed: z.object({ t: z.literal("sessionClosed"), reason: z.string() }),
  error: z.object({ t: z.literal("error"), code: z.string(), message: z.string() }),
};

const serverOptions = Object.values(s);
export const serverMessage = z.discriminatedUnion("t", serverOptions as unknown as [typeof s.hello, ...(typeof s.hello)[]]) as unknown as z.ZodType<ServerMessage>;
export type ServerMessages = { [K in keyof typeof s]: z.infer<(typeof s)[K]> };
export type ServerMessage = ServerMessages[keyof ServerMessages];
export const SERVER_MESSAGE_TYPES: ReadonlySet<string> = typesOf(serverOptions as never);
export const parseServerMessage = makeParser<ServerMessage>(serverMessage, SERVER_MESSAGE_TYPES);

/** Helper for building a typed message with its `t`. */
export type ServerMsg<T extends ServerMessage["t"]> = Extract<ServerMessage, { t: T }>;
export type ClientMsg<T extends ClientMessage["t"]> = Extract<ClientMessage, { t: T }>;

export { bytes };
