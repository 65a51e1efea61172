/**
 * CLI ↔ server link: WebSocket at `/api/cli`, one CBOR map per binary frame, keyed by `t`.
 * It carries the messages of the spec's gRPC `Relay` service (§2.3) — see ARCHITECTURE.md,
 * "Decisions": first `open` (or `resume`), answered by `opened`; then `hello`; then the
 * `ClientUpdate` / `ServerUpdate` unions of `Channel`; `close` ends the session.
 * Field names are the proto fields in camelCase.
 */
import { z } from "zod";
import { aliasResultFrame, bytes, bytesOfLength, frame, makeParser, sessionId, shellId, typesOf, uint, uint32 } from "./common.js";
import { ALIAS_NAME_RE } from "./plugin/manifest.js";

const header = z.object({ name: z.string().max(256), value: bytes });

// ---------------------------------------------------------------- CLI → server

/** §2.3 Tunnels: request and response bodies travel in chunks of at most 64 KiB. */
export const TUNNEL_CHUNK_BYTES = 64 * 1024;

const up = {
  /** Create a session (proto `OpenRequest`). Auth: `X-Taiku-Token` on the upgrade request (optional). */
  open: z.object({
    t: z.literal("open"),
    v: z.literal(1),
    cliVersion: z.string().max(64),
    readersEnabled: z.boolean(),
    noViewerAuth: z.boolean(),
    tunnelPorts: z.array(z.number().int().min(1).max(65535)).max(32),
    deviceId: z.string().max(128),
    cwdLabel: z.string().max(256),
  }),
  /** Re-attach to an existing session after a lost link or a server restart. */
  resume: z.object({ t: z.literal("resume"), v: z.literal(1), sessionId, token: z.string().min(16).max(128) }),
  /** proto `Hello`: MUST follow `opened`; carries the verifiers (§2.4.2). */
  hello: z.object({
    t: z.literal("hello"),
    sessionId,
    token: z.string().min(16).max(128),
    viewVerifier: bytesOfLength(32),
    writeVerifier: bytesOfLength(32),
    adminVerifier: bytesOfLength(32),
    e2e: z.literal("taiku-e2e-v1"),
  }),
  data: z.object({ t: z.literal("data"), shellId, seq: uint, frame }),
  createdShell: z.object({ t: z.literal("createdShell"), shellId, rows: uint32, cols: uint32, requestId: uint }),
  closedShell: z.object({ t: z.literal("closedShell"), shellId }),
  title: z.object({ t: z.literal("title"), shellId, version: uint, frame }),
  agent: z.object({ t: z.literal("agent"), shellId, seq: uint, frame }),
  pong: z.object({ t: z.literal("pong"), ts: z.number() }),
  error: z.object({ t: z.literal("error"), message: z.string().max(4096) }),
  tunnelResponse: z.object({
    t: z.literal("tunnelResponse"),
    requestId: uint,
    status: uint32,
    headers: z.array(header).max(256),
    bodyChunk: bytes,
    end: z.boolean(),
    error: z.string().max(4096),
  }),
  fsResponse: z.object({
    t: z.literal("fsResponse"),
    requestId: uint,
    ok: z.boolean(),
    error: z.string().max(4096),
    json: bytes,
    data: bytes,
    end: z.boolean(),
  }),
  /**
   * §4.8; `name` is a taiku addition so the relay can route to a client that registered it (names are
   * server-visible anyway, in `registerAliases`/`aliases`); args, cwd and the name stay sealed in `frame`.
   */
  aliasCall: z.object({ t: z.literal("aliasCall"), invocationId: uint, shellId, frame, name: z.string().regex(ALIAS_NAME_RE).optional() }),
  /** taiku addition: post a chat message as the host (agent progress); answered by `chatSent`. */
  chatSend: z.object({ t: z.literal("chatSend"), requestId: uint, name: z.string().min(1).max(64), message: z.string().min(1).max(2000) }),
  /** taiku addition: edit a chat message this CLI posted. */
  chatEdit: z.object({ t: z.literal("chatEdit"), id: uint, message: z.string().min(1).max(2000) }),
  /** taiku addition: new verifiers after `rotateLinks`; `notice` seals the new admin fragment for admins. */
  rekey: z.object({
    t: z.literal("rekey"),
    viewVerifier: bytesOfLength(32),
    writeVerifier: bytesOfLength(32),
    adminVerifier: bytesOfLength(32),
    notice: frame,
  }),
  /**
   * taiku addition: the CLI owns the session, so `taiku --plugin` adds session-managed plugins (§10)
   * with this message after `hello` (and again after a resume, and when a `--plugin ./dir` changes).
   * Each entry is added or replaced, enabled; entries not listed are left alone.
   */
  setSessionPlugins: z.object({
    t: z.literal("setSessionPlugins"),
    plugins: z.array(z.object({ pluginId: z.string().min(1).max(128), manifestUrl: z.string().min(1).max(2048) })).max(32),
  }),
  /** proto `Close`: end the session gracefully (Ctrl-C, last shell exited). */
  close: z.object({ t: z.literal("close"), reason: z.string().max(256).optional() }),
};

const upOptions = Object.values(up);
export const cliUpMessage = z.discriminatedUnion("t", upOptions as unknown as [typeof up.open, ...(typeof up.open)[]]) as unknown as z.ZodType<CliUp>;
export type CliUpMessages = { [K in keyof typeof up]: z.infer<(typeof up)[K]> };
export type CliUp = CliUpMessages[keyof CliUpMessages];
export const CLI_UP_TYPES: ReadonlySet<string> = typesOf(upOptions as never);
export const parseCliUp = makeParser<CliUp>(cliUpMessage, CLI_UP_TYPES);

// ---------------------------------------------------------------- server → CLI

const sessionEventKind = z.enum([
  "user_joined", "user_left", "shell_created", "adoption_request", "adoption_result", "user_renamed",
]);

const down = {
  /** proto `OpenResponse` (also the answer to `resume`). `token` authenticates later `resume`s. */
  opened: z.object({ t: z.literal("opened"), sessionId, token: z.string(), baseUrl: z.string(), resumed: z.boolean() }),
  input: z.object({ t: z.literal("input"), shellId, userId: uint32, counter: uint, frame }),
  createShell: z.object({ t: z.literal("createShell"), requestId: uint, rows: uint32, cols: uint32, userId: uint32 }),
  closeShell: z.object({ t: z.literal("closeShell"), shellId }),
  /** Next expected output seq per shell (keys are shell ids as strings). */
  sync: z.object({ t: z.literal("sync"), nextSeq: z.record(z.string(), uint) }),
  resize: z.object({ t: z.literal("resize"), shellId, rows: uint32, cols: uint32 }),
  ping: z.object({ t: z.literal("ping"), ts: z.number() }),
  error: z.object({ t: z.literal("error"), message: z.string() }),
  sessionEvent: z.object({
    t: z.literal("sessionEvent"),
    kind: sessionEventKind,
    userId: uint32,
    userName: z.string(),
    shellId: uint32,
    device: z.string(),
    detail: z.string(),
  }),
  tunnelRequest: z.object({
    t: z.literal("tunnelRequest"),
    requestId: uint,
    port: uint32,
    method: z.string(),
    path: z.string(),
    headers: z.array(header),
    bodyChunk: bytes,
    end: z.boolean(),
    /**
     * taiku addition: the server gave up on this request (HTTP client gone, body over the limit,
     * header timeout, response over the memory bound): abort the local request, send nothing more.
     */
    cancel: z.boolean().optional(),
  }),
  fsRequest: z.object({
    t: z.literal("fsRequest"),
    requestId: uint,
    op: z.enum(["ls", "read", "stat", "stream", "write"]),
    path: z.string(),
    userId: uint32,
    offset: uint,
    length: uint,
    data: bytes,
  }),
  /**
   * taiku addition: read a file of a `--plugin ./dir` directory (served at
   * `/api/s/<sessionId>/local-plugins/<pluginId>/<path>`). Answered with `fsResponse` (same
   * `requestId` space as `fsRequest`): `data` chunks, then `end`. Confined to that directory.
   */
  pluginFile: z.object({ t: z.literal("pluginFile"), requestId: uint, pluginId: z.string().max(128), path: z.string().max(4096) }),
  aliasResult: z.object({ t: z.literal("aliasResult"), invocationId: uint, frame: aliasResultFrame.nullable(), timeout: z.boolean() }),
  aliases: z.object({ t: z.literal("aliases"), names: z.array(z.string()) }),
  /** taiku addition: flow control — hold or resume reading this shell's PTY (viewers are behind). */
  flow: z.object({ t: z.literal("flow"), shellId, pause: z.boolean() }),
  /** taiku addition: the session chat, so the CLI can run agents (ARCHITECTURE.md, "Decisions"). */
  chat: z.object({
    t: z.literal("chat"),
    id: uint,
    userId: uint32,
    name: z.string(),
    role: z.enum(["reader", "writer", "admin", "host"]),
    message: z.string(),
    ts: z.number(),
  }),
  /** taiku addition: answer to `chatSend`. */
  chatSent: z.object({ t: z.literal("chatSent"), requestId: uint, id: uint }),
  /** taiku addition: an admin asked for new links; the CLI answers with `rekey`. */
  rotateLinks: z.object({ t: z.literal("rotateLinks"), userId: uint32 }),
  /** The session ended (admin `endSession`, or the server shut it); the CLI exits. */
  closed: z.object({ t: z.literal("closed"), reason: z.string() }),
};

const downOptions = Object.values(down);
export const cliDownMessage = z.discriminatedUnion("t", downOptions as unknown as [typeof down.opened, ...(typeof down.opened)[]]) as unknown as z.ZodType<CliDown>;
export type CliDownMessages = { [K in keyof typeof down]: z.infer<(typeof down)[K]> };
export type CliDown = CliDownMessages[keyof CliDownMessages];
export const CLI_DOWN_TYPES: ReadonlySet<string> = typesOf(downOptions as never);
export const parseCliDown = makeParser<CliDown>(cliDownMessage, CLI_DOWN_TYPES);

export type CliUpMsg<T extends CliUp["t"]> = Extract<CliUp, { t: T }>;
export type CliDownMsg<T extends CliDown["t"]> = Extract<CliDown, { t: T }>;

/** Path of the CLI link on the server. */
export const CLI_LINK_PATH = "/api/cli";
