/**
 * The postMessage envelope between a plugin iframe and the host page (spec §6, names §17), and the pure
 * parts of the host's validation algorithm (§6.3). Steps that need the page — the live-iframe source check
 * and executing the method — stay in the host; everything decidable from the message alone is here, so
 * the web host and MockHost answer identically.
 */
import { z } from "zod";
import { role } from "../common.js";
import { BRIDGE_ERRORS, INVALID_PARAMS } from "./errors.js";
import { undeclaredToolkitError } from "./integrations.js";
import { type BridgeMethod, type BridgeMethodParams, isBridgeMethod, parseMethodParams } from "./methods.js";
import { missingPermission, permissionDeniedError } from "./permissions.js";

export const BRIDGE_MESSAGE = {
  init: "taiku:init",
  request: "taiku:request",
  response: "taiku:response",
  event: "taiku:event",
  /** Ours: the iframe asks the host to (re)send `taiku:init` (handles late listeners). */
  ready: "taiku:ready",
} as const;

export const MAX_REQUEST_ID_CHARS = 128;
export const MAX_METHOD_CHARS = 64;
/** §6.3 resource limits, enforced by the host (defaults; hosts take them as configuration). */
export const BRIDGE_LIMITS = {
  pendingPerMount: 64,
  /** Request payload for `writePluginFile` / `writeFile`. */
  fileRequestBytes: 8 * 1024 * 1024,
  /** Request payload for everything else. */
  requestBytes: 1024 * 1024,
  /** Queued events per mount before coalescing (oldest `shell:data` dropped first). */
  queuedEvents: 200,
  /** Hosts coalesce `shell:data` to at most this many events per second per shell per mount (§8). */
  shellDataPerSecond: 10,
  /** `broadcastEvent` rate limit per mount (§7.3). */
  broadcastsPerSecond: 20,
} as const;

/**
 * Rough structured-clone size of a request payload, as hosts measure it against `BRIDGE_LIMITS`:
 * bounded, it stops counting once over `cap` (and gives up on absurdly wide values).
 */
export function payloadBytes(value: unknown, cap: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  let visited = 0;
  while (stack.length && total <= cap) {
    const v = stack.pop();
    if (++visited > 200_000) return Infinity;
    if (typeof v === "string") total += v.length * 2;
    else if (v instanceof ArrayBuffer) total += v.byteLength;
    else if (ArrayBuffer.isView(v)) total += v.byteLength;
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v as object)) {
        total += k.length * 2;
        stack.push(x);
      }
    } else total += 8;
  }
  return total;
}

/** host → iframe. The first four fields are taiku's; the rest are ours and optional for plugins. */
export const bridgeInitMessage = z.object({
  type: z.literal(BRIDGE_MESSAGE.init),
  pluginId: z.string(),
  sessionId: z.string(),
  /** Empty for background panels. */
  panelId: z.string(),
  /** Per-mount nonce; the plugin echoes it in every request. */
  authToken: z.string(),
  userId: z.number().optional(),
  role: role.optional(),
  permissions: z.array(z.string()).optional(),
  serverManaged: z.boolean().optional(),
  hostVersion: z.string().optional(),
  theme: z.enum(["dark", "light"]).optional(),
});
export type BridgeInitMessage = z.infer<typeof bridgeInitMessage>;

/** A plain object (what structured clone produces for `{…}`), not an array, Map, Date or class instance. */
const plainObject = z.custom<Record<string, unknown>>((v) => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
});

/** iframe → host. */
export const bridgeRequestMessage = z.object({
  type: z.literal(BRIDGE_MESSAGE.request),
  id: z.string().min(1).max(MAX_REQUEST_ID_CHARS),
  pluginId: z.string(),
  panelId: z.string().optional(),
  authToken: z.string().optional(),
  method: z.string().min(1).max(MAX_METHOD_CHARS),
  params: plainObject.optional(),
});
export type BridgeRequestMessage = z.infer<typeof bridgeRequestMessage>;

/** host → iframe: `result` on success, `error` (a human-readable string) on failure. */
export const bridgeResponseMessage = z.union([
  z.object({ type: z.literal(BRIDGE_MESSAGE.response), id: z.string(), error: z.string() }),
  z.object({ type: z.literal(BRIDGE_MESSAGE.response), id: z.string(), result: z.unknown() }),
]);
export type BridgeResponseMessage =
  | { type: typeof BRIDGE_MESSAGE.response; id: string; error: string }
  | { type: typeof BRIDGE_MESSAGE.response; id: string; result: unknown };

export const bridgeEvent = z.object({
  type: z.string().min(1),
  data: z.unknown(),
  /** Epoch ms. */
  timestamp: z.number(),
});
export type BridgeEvent<D = unknown> = { type: string; data: D; timestamp: number };

/** host → iframe. */
export const bridgeEventMessage = z.object({ type: z.literal(BRIDGE_MESSAGE.event), event: bridgeEvent });
export type BridgeEventMessage = z.infer<typeof bridgeEventMessage>;

export const bridgeReadyMessage = z.object({ type: z.literal(BRIDGE_MESSAGE.ready) });

/** What the host does with one inbound `message` event's data (§6.3 step 1). */
export type InboundBridgeRequest =
  /** Not a well-formed request: drop silently, never answer (it may not even be for us). */
  | { kind: "ignore"; reason: string }
  /** Well-formed envelope with unusable params: answer `error` to `id`. */
  | { kind: "error"; id: string; error: string }
  | { kind: "request"; request: BridgeRequestMessage };

/** §6.3 step 1. Never throws, whatever `data` is. */
export function parseInboundRequest(data: unknown): InboundBridgeRequest {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { kind: "ignore", reason: "not an object" };
  const d = data as Record<string, unknown>;
  if (d.type !== BRIDGE_MESSAGE.request) return { kind: "ignore", reason: "not a taiku:request" };
  if (typeof d.id !== "string" || d.id.length === 0 || d.id.length > MAX_REQUEST_ID_CHARS) return { kind: "ignore", reason: "bad id" };
  const parsed = bridgeRequestMessage.safeParse(data);
  if (parsed.success) return { kind: "request", request: parsed.data };
  // A request whose only fault is `params` gets an answer, so the plugin's promise does not hang.
  const onlyParams = parsed.error.issues.every((i) => i.path[0] === "params");
  if (onlyParams) return { kind: "error", id: d.id, error: INVALID_PARAMS };
  return { kind: "ignore", reason: parsed.error.issues[0]?.message ?? "invalid request" };
}

export interface MountIdentity {
  pluginId: string;
  authToken: string;
}
export type IdentityCheck = "accept" | "accept-legacy" | "drop";

/**
 * §6.3 step 3: the per-mount nonce. A wrong or missing token is dropped silently; with
 * `allowMissingAuthToken` a request that omits the field entirely (never a wrong value) is accepted as
 * `accept-legacy`, and the host logs a warning.
 */
export function checkRequestIdentity(request: BridgeRequestMessage, mount: MountIdentity, opts: { allowMissingAuthToken?: boolean } = {}): IdentityCheck {
  if (request.pluginId !== mount.pluginId) return "drop";
  if (request.authToken === undefined) return opts.allowMissingAuthToken ? "accept-legacy" : "drop";
  return constantTimeEqual(request.authToken, mount.authToken) ? "accept" : "drop";
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export interface BridgePreflightContext {
  /** The plugin's granted permissions (declared ∩ approved). */
  granted: ReadonlySet<string> | readonly string[];
  /** The manifest's normalised `integrations` list. */
  integrations?: readonly string[];
}

export type BridgePreflight<M extends BridgeMethod = BridgeMethod> =
  | { ok: true; method: M; params: BridgeMethodParams<M> }
  | { ok: false; error: string };

/**
 * §6.3 steps 4–6 in order: method lookup, permission check, params, and the integrations toolkit
 * declaration (§12.3 step 3, before any network request). Role checks, sign-in and execution remain the
 * host's. A failed preflight means the method body must not run.
 */
export function preflightRequest(method: string, params: unknown, ctx: BridgePreflightContext): BridgePreflight {
  if (!isBridgeMethod(method)) return { ok: false, error: BRIDGE_ERRORS.unknownMethod(method) };
  const missing = missingPermission(method, ctx.granted);
  if (missing) return { ok: false, error: permissionDeniedError(missing, method) };
  const parsed = parseMethodParams(method, params);
  if (!parsed.ok) return parsed;
  const toolkit = (parsed.params as { toolkit?: unknown }).toolkit;
  if (method.startsWith("integrations.") && typeof toolkit === "string") {
    const undeclared = undeclaredToolkitError(ctx.integrations, toolkit);
    if (undeclared) return { ok: false, error: undeclared };
  }
  return { ok: true, method, params: parsed.params };
}

/** Builders, so hosts never misspell a field. */
export const makeBridgeResponse = (id: string, result: unknown): BridgeResponseMessage => ({ type: BRIDGE_MESSAGE.response, id, result });
export const makeBridgeErrorResponse = (id: string, error: string): BridgeResponseMessage => ({ type: BRIDGE_MESSAGE.response, id, error });
export const makeBridgeEvent = (type: string, data: unknown, timestamp = Date.now()): BridgeEventMessage => ({
  type: BRIDGE_MESSAGE.event,
  event: { type, data, timestamp },
});
/** Acknowledgement-only methods answer `{ ok: true }` (§6.2). */
export const BRIDGE_ACK = Object.freeze({ ok: true as const });
