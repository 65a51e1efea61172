/**
 * MockHost (spec §16.4): answers the plugin bridge without a taiku session. It runs the same pure checks
 * as the real host (envelope, per-mount token, method lookup, permissions, params — from @taiku/protocol),
 * so an error a plugin sees here is the error it would see in taiku.
 */
import {
  BRIDGE_ACK,
  BRIDGE_ERRORS,
  BRIDGE_LIMITS,
  BRIDGE_MESSAGE,
  PLUGIN_PERMISSION_NAMES,
  canReceiveEvent,
  checkRequestIdentity,
  isBridgeMethod,
  makeBridgeErrorResponse,
  makeBridgeEvent,
  makeBridgeResponse,
  parseInboundRequest,
  payloadBytes,
  preflightRequest,
  type BridgeInitMessage,
  type BridgeMethod,
  type BridgeMethodParams,
  type BridgeMethodResult,
  type BridgeRequestMessage,
  type Role,
} from "@taiku/protocol";
import { DEFAULT_FIXTURES, MOCK_USER_NAME, MockError, type MockState } from "./fixtures.js";
import type { TestWindow } from "./test-window.js";

/** The window MockHost listens and answers on; a browser `window` or `createTestWindow()`. */
export type MockWindow = Pick<TestWindow, "postMessage" | "addEventListener" | "removeEventListener">;

export interface MockHostOptions {
  pluginId: string;
  sessionId: string;
  panelId?: string;
  /** Granted permissions; when given they are enforced with the host's error text. Default: all. */
  permissions?: string[];
  /** Toolkits the manifest declares (for `integrations.*` checks). Default: any toolkit is declared. */
  integrations?: string[];
  role?: Role;
  userId?: number;
  /** Per-method fixed results, overriding the default fixtures. */
  data?: Partial<{ [M in BridgeMethod]: BridgeMethodResult<M> }>;
  secrets?: Record<string, string>;
  settings?: Record<string, unknown>;
  window?: MockWindow;
  /** Post `taiku:init` at once and whenever the plugin sends `taiku:ready`. Default true. */
  autoInit?: boolean;
}

export interface RecordedRequest {
  id: string;
  method: string;
  params: unknown;
}

type Handler = (params: any, request: RecordedRequest) => unknown;

/** Pre-init requests a host holds per loading frame (web bridge-host.ts `EARLY_REQUESTS_MAX`). */
const EARLY_REQUESTS_MAX = 16;

export class MockHost {
  /** Every well-formed request from the plugin, in arrival order, including rejected ones. */
  readonly requests: RecordedRequest[] = [];
  /** The per-mount token the mock sent in `taiku:init`. */
  readonly authToken: string;
  readonly state: MockState;
  readonly #win: MockWindow;
  readonly #handlers = new Map<string, Handler>();
  readonly #rejections = new Map<string, string>();
  readonly #integrations: string[] | undefined;
  readonly #autoInit: boolean;
  /** The plugin's `subscribeEvents` (its `types` filter, null: all), or null before it / after `unsubscribeEvents`. */
  #subscription: { types: Set<string> | null } | null = null;
  #onSubscribed: Array<() => void> = [];
  /** Requests the plugin sent before it had `taiku:init` (empty pluginId and token), held until `init()`, as the host does. */
  readonly #early: unknown[] = [];
  #initSent = false;
  /** How many more pre-init requests of the first document still run as this frame's once init is out (host: `lateEarly`). */
  #lateEarly = 0;

  constructor(opts: MockHostOptions) {
    const win = opts.window ?? (globalThis as { window?: MockWindow }).window;
    if (!win) throw new Error("MockHost needs a window: pass { window: createTestWindow() } outside a browser");
    this.#win = win;
    this.authToken = `mock-${Math.random().toString(36).slice(2)}`;
    this.#integrations = opts.integrations;
    this.#autoInit = opts.autoInit ?? true;
    this.state = {
      pluginId: opts.pluginId,
      sessionId: opts.sessionId,
      panelId: opts.panelId ?? "",
      role: opts.role ?? "writer",
      userId: opts.userId ?? 1,
      permissions: opts.permissions ?? [...PLUGIN_PERMISSION_NAMES],
      sessionKv: new Map(),
      userKv: new Map(),
      settings: new Map(Object.entries(opts.settings ?? {})),
      secrets: new Map(Object.entries(opts.secrets ?? {})),
      files: new Map(),
      inbox: new Map(),
    };
    for (const [method, value] of Object.entries(opts.data ?? {})) this.handle(method, () => value);
    win.addEventListener("message", this.#onMessage);
    if (this.#autoInit) this.init();
  }

  /** Answer `method` with `fn(params)` (sync or async; a throw becomes `error`) instead of the default. */
  handle<M extends BridgeMethod>(method: M, fn: (params: BridgeMethodParams<M>, request: RecordedRequest) => BridgeMethodResult<M> | Promise<BridgeMethodResult<M>>): this;
  handle(method: string, fn: Handler): this;
  handle(method: string, fn: Handler): this {
    this.#handlers.set(method, fn);
    return this;
  }

  /** Make every call of `method` fail with `error` (until `reset(method)`). */
  reject(method: string, error: string): this {
    this.#rejections.set(method, error);
    return this;
  }

  /** Drop custom handlers and rejections for `method` (or all). */
  reset(method?: string): this {
    if (method === undefined) {
      this.#handlers.clear();
      this.#rejections.clear();
    } else {
      this.#handlers.delete(method);
      this.#rejections.delete(method);
    }
    return this;
  }

  /**
   * Deliver a `taiku:event`, as a host would (§6.4): only after the plugin's `subscribeEvents` (and within
   * its `types` filter), and only if the granted permissions allow this plugin to receive it.
   */
  /** Resolves once the plugin has subscribed to events (`subscribeEvents` answered): from then on `emit` delivers. */
  subscribed(): Promise<void> {
    if (this.#subscription) return Promise.resolve();
    return new Promise((resolve) => this.#onSubscribed.push(resolve));
  }

  emit(type: string, data: unknown = {}): boolean {
    const sub = this.#subscription;
    if (!sub || (sub.types && !sub.types.has(type))) return false;
    if (!canReceiveEvent({ type, data }, this.state.permissions, this.state.pluginId)) return false;
    this.#win.postMessage(makeBridgeEvent(type, data), "*");
    return true;
  }

  /** (Re)send `taiku:init`. */
  init(): void {
    const s = this.state;
    const init: BridgeInitMessage = {
      type: BRIDGE_MESSAGE.init, pluginId: s.pluginId, sessionId: s.sessionId, panelId: s.panelId, authToken: this.authToken,
      userId: s.userId, role: s.role, permissions: s.permissions, serverManaged: false, hostVersion: "mock", theme: "dark",
    };
    this.#win.postMessage(init, "*");
    if (this.#initSent) return;
    // The first init: requests the page sent before it knew its identity run now, as this frame's.
    this.#initSent = true;
    this.#lateEarly = EARLY_REQUESTS_MAX - this.#early.length;
    for (const data of this.#early.splice(0)) this.#onRequest({ ...(data as object), pluginId: s.pluginId, authToken: this.authToken });
  }

  /** Calls of one method, for assertions. */
  callsOf(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  dispose(): void {
    this.#win.removeEventListener("message", this.#onMessage);
  }

  #onMessage = (e: MessageEvent): void => {
    const data = e.data as { type?: unknown } | null;
    if (data?.type === BRIDGE_MESSAGE.ready) {
      if (this.#autoInit) this.init();
      return;
    }
    this.#onRequest(e.data);
  };

  #onRequest(data: unknown): void {
    const inbound = parseInboundRequest(data);
    if (inbound.kind === "ignore") return;
    const raw = data as { pluginId?: unknown; authToken?: unknown };
    if (raw.pluginId === "" && (raw.authToken === "" || raw.authToken === undefined)) {
      // Sent before taiku:init (web bridge-host.ts): held until init, or run as this frame's just after it.
      if (!this.#initSent && this.#early.length < EARLY_REQUESTS_MAX) return void this.#early.push(data);
      if (this.#initSent && this.#lateEarly > 0) {
        this.#lateEarly--;
        return this.#onRequest({ ...(data as object), pluginId: this.state.pluginId, authToken: this.authToken });
      }
      return this.#reply(inbound.kind === "error" ? inbound.id : inbound.request.id, undefined, BRIDGE_ERRORS.notInitialised);
    }
    // A real host drops requests with the wrong plugin id or token without an answer, before any other answer; so do we.
    const claimed = {
      pluginId: typeof raw.pluginId === "string" ? raw.pluginId : "",
      ...(raw.authToken === undefined ? {} : { authToken: typeof raw.authToken === "string" ? raw.authToken : "\0" }),
    } as BridgeRequestMessage;
    if (checkRequestIdentity(claimed, { pluginId: this.state.pluginId, authToken: this.authToken }) === "drop") return;
    this.#lateEarly = 0; // the page has its identity: its pre-init requests have all arrived
    if (inbound.kind === "error") return this.#reply(inbound.id, undefined, inbound.error);
    const req = inbound.request;
    const recorded: RecordedRequest = { id: req.id, method: req.method, params: req.params };
    this.requests.push(recorded);
    void this.#answer(recorded);
  }

  async #answer(req: RecordedRequest): Promise<void> {
    const rejection = this.#rejections.get(req.method);
    if (rejection !== undefined) return this.#reply(req.id, undefined, rejection);
    // §6.3 resource limits, checked by the host before the method: 8 MiB for file writes, 1 MiB otherwise.
    const cap = req.method === "writePluginFile" || req.method === "writeFile" ? BRIDGE_LIMITS.fileRequestBytes : BRIDGE_LIMITS.requestBytes;
    if (payloadBytes(req.params, cap) > cap) return this.#reply(req.id, undefined, BRIDGE_ERRORS.invalidParams(`request larger than ${cap} bytes`));
    const custom = this.#handlers.get(req.method);
    let params: unknown = req.params;
    let method = req.method;
    if (isBridgeMethod(req.method) || !custom) {
      const declared = this.#integrations ?? [String((req.params as { toolkit?: unknown } | undefined)?.toolkit ?? "").trim().toLowerCase()];
      const pre = preflightRequest(req.method, req.params, { granted: this.state.permissions, integrations: declared });
      if (!pre.ok) return this.#reply(req.id, undefined, pre.error);
      params = pre.params;
      method = pre.method;
    }
    try {
      const fixture = DEFAULT_FIXTURES[method as BridgeMethod] as (p: unknown, s: MockState) => unknown;
      const kvChange = custom ? null : this.#sessionKvChange(method, params);
      const result = await (custom ? custom(params, req) : fixture(params, this.state));
      if (method === "subscribeEvents") this.#subscription = { types: (params as { types?: string[] }).types ? new Set((params as { types: string[] }).types) : null };
      if (method === "unsubscribeEvents") this.#subscription = null;
      // A method body that returns nothing is answered `{ ok: true }` by the host (§6.2), not `null`.
      this.#reply(req.id, result === undefined ? BRIDGE_ACK : result);
      if (this.#subscription) for (const resolve of this.#onSubscribed.splice(0)) resolve();
      // The server echoes every session KV write to all participants, the writer too (§9.3), so the
      // plugin sees `plugin_data_changed` for its own writes after the answer.
      if (kvChange) this.emit("plugin_data_changed", kvChange);
    } catch (err) {
      this.#reply(req.id, undefined, err instanceof MockError || err instanceof Error ? err.message : String(err));
    }
  }

  /** The `plugin_data_changed` a session KV write will cause; null if none (e.g. deleting an absent key). */
  #sessionKvChange(method: string, params: unknown): { pluginId: string; key: string; deleted: boolean; userName: string } | null {
    const p = params as { pluginId?: string; key: string };
    const own = method === "setPluginData" || method === "deletePluginData";
    if (!own && method !== "setOtherPluginData" && method !== "deleteOtherPluginData") return null;
    const pluginId = own ? this.state.pluginId : p.pluginId!;
    const deleted = method.startsWith("delete");
    if (deleted && !this.state.sessionKv.get(pluginId)?.has(p.key)) return null;
    return { pluginId, key: p.key, deleted, userName: MOCK_USER_NAME };
  }

  #reply(id: string, result: unknown, error?: string): void {
    this.#win.postMessage(error !== undefined ? makeBridgeErrorResponse(id, error) : makeBridgeResponse(id, result), "*");
  }
}

