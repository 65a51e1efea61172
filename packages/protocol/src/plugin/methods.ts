/**
 * The bridge method catalogue (spec §7): every method a plugin may call with `taiku:request`, with the
 * schema of its `params`. Method names are wire names — keep them exact (§17).
 *
 * Params schemas validate *and normalise* (defaults filled, documented alternative names mapped, toolkit
 * slugs lowercased), so a host calls `parseMethodParams` once and works with the output. Unknown keys are
 * stripped, never errors: plugins written for newer hosts may send more.
 * Required permissions live in permissions.ts (`METHOD_PERMISSIONS`), typed against this catalogue.
 */
import { z } from "zod";
import { BRIDGE_ERRORS } from "./errors.js";
import { jsonByteLength } from "./json.js";
import {
  integrationsConnectParams,
  integrationsExecuteParams,
  integrationsListParams,
  integrationsToolsParams,
} from "./integrations.js";
import {
  inboxConnectionsParams,
  inboxGetParams,
  inboxListParams,
  inboxReactParams,
  inboxReplyParams,
  inboxSetStateParams,
  inboxSetStatusParams,
} from "./inbox.js";

const none = z.object({});
const int = z.number().int();
/**
 * Shell ids arrive from plugin UIs (a <select> value is a string); accept a decimal string too, so a
 * plugin that forgot `Number()` behaves as it does in taiku's loosely typed host.
 */
const shellIdParam = z.union([int.min(1).max(0xffff_ffff), z.string().regex(/^[1-9][0-9]{0,9}$/).transform(Number)]);
const kvKey = z.string().min(1).max(256);
const jsonValue = z.unknown().refine((v) => v !== undefined, "value is required");
const binary = z.custom<ArrayBuffer | ArrayBufferView>(
  (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v),
  { message: "expected a string or binary data" },
);
const panelId = z.string().min(1).max(64);
const pluginIdParam = z.string().min(1).max(100);
const path = z.string().min(1).max(4096);
const MiB = 1024 * 1024;


/** Accept `alt` as another name for `key` (documented alternatives, §7.3) before validation. */
const alias = (key: string, alt: string) => (raw: unknown) =>
  raw && typeof raw === "object" && !(key in raw) && alt in raw ? { ...raw, [key]: (raw as Record<string, unknown>)[alt] } : raw;

export const BROADCAST_NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const BROADCAST_MAX_BYTES = 16 * 1024;

export const METHOD_PARAMS = {
  // §7.1 Session, users and shells
  getSession: none,
  getShells: none,
  getTerminalNames: none,
  getUsers: none,
  getUserRole: none,
  renameSession: z.object({ name: z.string().trim().min(1).max(80) }),
  setTerminalName: z.object({ shellId: shellIdParam, name: z.string().max(80).nullable() }),
  getPluginInfo: none,

  // §7.2 Terminal I/O and ownership
  getShellOutput: z.object({ shellId: shellIdParam, chunks: int.min(1).max(1000).default(10) }),
  writeToShell: z.object({ shellId: shellIdParam, data: z.string().max(64 * 1024) }),
  createShell: z.object({
    rows: int.min(1).max(1000).optional(),
    cols: int.min(1).max(1000).optional(),
    openTile: z.boolean().default(true),
  }),
  closeShell: z.object({ shellId: shellIdParam }),
  getShellOwnership: none,
  adoptShell: z.object({ shellId: shellIdParam }),

  // §7.3 Chat and events
  getChatHistory: z.object({ limit: int.min(1).max(100).default(100) }),
  sendChatMessage: z.preprocess(alias("message", "text"), z.object({ message: z.string().min(1).max(2000) })),
  subscribeEvents: z.object({ types: z.array(z.string().min(1).max(64)).max(100).optional() }),
  unsubscribeEvents: none,
  broadcastEvent: z.preprocess(
    alias("name", "type"),
    z.object({
      name: z.string().regex(BROADCAST_NAME_RE, "name must match ^[A-Za-z0-9_.:-]{1,64}$"),
      data: z.unknown().refine((d) => jsonByteLength(d) <= BROADCAST_MAX_BYTES, "data exceeds 16 KiB as JSON").optional(),
    }),
  ),

  // §7.4 UI
  showToast: z.object({
    message: z.string().max(1000),
    kind: z.enum(["info", "success", "error", "warning"]).default("info"),
    duration: z.number().min(0).max(60_000).default(4000),
  }),
  sendNotification: z.object({ title: z.string().max(200), body: z.string().max(2000), tag: z.string().max(200).optional() }),
  playSound: z
    .object({ sound: z.string().min(1).max(64).optional(), url: z.string().min(1).max(2048).optional(), volume: z.number().min(0).max(1).optional() })
    .refine((p) => p.sound !== undefined || p.url !== undefined, "sound or url is required"),
  setBadge: z.object({ actionId: z.string().min(1), count: z.number().int().min(0) }),
  setTooltip: z.object({ actionId: z.string().min(1), text: z.string().max(500).nullable() }),
  resizePanel: z.object({
    panelId,
    height: z.union([z.number().positive(), z.literal("fit")]),
    width: z.number().positive().optional(),
  }),
  openPanel: z.object({ panelId }),
  closePanel: z.object({ panelId }),
  openFile: z.object({ path }),
  openAgentOverlay: z.object({ shellId: shellIdParam, instanceId: z.string().optional() }),

  // §7.5 Workspace and layout
  getWorkspaces: none,
  getLayout: none,
  getLayoutTree: z.object({ index: int.min(0).optional() }),
  splitShell: z.object({
    direction: z.enum(["horizontal", "vertical"]).default("horizontal"),
    key: int.optional(),
    ratio: z.number().gt(0).lt(1).default(0.5),
  }),
  createWorkspace: z.object({ name: z.string().max(80).optional() }),
  switchWorkspace: z.object({ index: int.min(0) }),
  openTile: z.object({
    type: z.enum(["shell", "browser", "tunnel", "peek", "document"]),
    shellId: shellIdParam.optional(),
    url: z.url().refine((u) => u.startsWith("https:"), "url must be https:").optional(),
    port: int.min(1).max(65535).optional(),
    docId: z.string().optional(),
    direction: z.enum(["horizontal", "vertical"]).optional(),
    key: int.optional(),
  }),
  focusTile: z.object({ key: int }),
  closeTile: z.object({ key: int }),

  // §7.6 Tunnels
  getTunnels: none,

  // §7.7 Filesystem (CLI-backed; paths relative to the session working directory)
  listDir: z.object({ path: path.default(".") }),
  readFile: z.object({
    path,
    encoding: z.enum(["utf8", "base64"]).default("utf8"),
    maxBytes: int.min(1).max(8 * MiB).default(MiB),
  }),
  getFileUrl: z.object({ path }),
  writeFile: z.object({
    path,
    content: z.union([z.string(), binary]),
    encoding: z.enum(["utf8", "base64"]).default("utf8"),
    createDirs: z.boolean().default(false),
  }),

  // §7.8 Agents
  getAgents: none,

  // §7.9 Session KV (own namespace needs no permission)
  setPluginData: z.object({ key: kvKey, value: jsonValue }),
  getPluginData: z.object({ key: kvKey }),
  getAllPluginData: none,
  deletePluginData: z.object({ key: kvKey }),
  getOtherPluginData: z.object({ pluginId: pluginIdParam, key: kvKey }),
  getAllOtherPluginData: z.object({ pluginId: pluginIdParam }),
  setOtherPluginData: z.object({ pluginId: pluginIdParam, key: kvKey, value: jsonValue }),
  deleteOtherPluginData: z.object({ pluginId: pluginIdParam, key: kvKey }),

  // §7.10 User KV
  getUserData: z.object({ key: kvKey }),
  setUserData: z.object({ key: kvKey, value: jsonValue }),
  listUserData: none,
  deleteUserData: z.object({ key: kvKey }),

  // §7.11 Plugin file storage (file-name rules are the server's: "Invalid filename.")
  writePluginFile: z.object({ name: z.string().min(1), data: z.union([z.string(), binary]), contentType: z.string().optional() }),
  readPluginFile: z.object({ name: z.string().min(1), from: z.enum(["self", "sessionOwner"]).default("self") }),
  listPluginFiles: none,
  deletePluginFile: z.object({ name: z.string().min(1) }),
  getStorageUsage: none,

  // §7.12 Local settings and secrets (no bridge method writes secrets)
  getSecret: z.object({ key: z.string().min(1) }),
  getSetting: z.object({ key: z.string().min(1) }),
  getSettings: none,
  setSetting: z.object({ key: z.string().min(1).max(256), value: jsonValue }),

  // §7.13 Integrations
  "integrations.list": integrationsListParams,
  "integrations.connect": integrationsConnectParams,
  "integrations.tools": integrationsToolsParams,
  "integrations.execute": integrationsExecuteParams,

  // Inbox (connectors: synced GitHub / Linear items; docs/connectors.md)
  "inbox.list": inboxListParams,
  "inbox.get": inboxGetParams,
  "inbox.reply": inboxReplyParams,
  "inbox.setStatus": inboxSetStatusParams,
  "inbox.setState": inboxSetStateParams,
  "inbox.react": inboxReactParams,
  "inbox.connections": inboxConnectionsParams,

  // §7.14 Shell aliases
  respondAlias: z.object({
    invocationId: int.min(0),
    stdout: z.string().max(MiB).optional(),
    stderr: z.string().max(MiB).optional(),
    exitCode: int.min(0).max(255).default(0),
  }),
} satisfies Record<string, z.ZodType>;

export type BridgeMethod = keyof typeof METHOD_PARAMS;
/** Params as the plugin may send them. */
export type BridgeMethodParamsInput<M extends BridgeMethod> = z.input<(typeof METHOD_PARAMS)[M]>;
/** Params after validation and normalisation, as the host's method body receives them. */
export type BridgeMethodParams<M extends BridgeMethod> = z.output<(typeof METHOD_PARAMS)[M]>;

export const BRIDGE_METHODS = Object.keys(METHOD_PARAMS) as BridgeMethod[];

export function isBridgeMethod(name: unknown): name is BridgeMethod {
  return typeof name === "string" && Object.hasOwn(METHOD_PARAMS, name);
}

export type MethodParamsResult<M extends BridgeMethod> = { ok: true; params: BridgeMethodParams<M> } | { ok: false; error: string };

/**
 * Validate `params` for `method`. Absent params count as `{}`. The error is `Invalid params: <detail>`; the
 * detail names the field unless the message already does (so integrations errors read exactly as §12.3).
 * Never throws.
 */
export function parseMethodParams<M extends BridgeMethod>(method: M, params: unknown): MethodParamsResult<M> {
  const parsed = METHOD_PARAMS[method].safeParse(params ?? {});
  if (parsed.success) return { ok: true, params: parsed.data as BridgeMethodParams<M> };
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  const message = issue?.message ?? "invalid";
  const last = String(issue?.path.at(-1) ?? "");
  const named = last !== "" && message.split(/[^A-Za-z0-9_]+/).includes(last);
  const detail = field && !named ? `${field}: ${message}` : message;
  return { ok: false, error: BRIDGE_ERRORS.invalidParams(detail) };
}
