/**
 * MockHost (spec §16.4): answers the plugin bridge without a taiku session. It runs the same pure checks
 * as the real host (envelope, per-mount token, method lookup, permissions, params — from @taiku/protocol),
 * so an error a plugin sees here is the error it would see in taiku.
 */
import {
  BRIDGE_MESSAGE,
  PLUGIN_PERMISSION_NAMES,
  canReceiveEvent,
  checkRequestIdentity,
  isBridgeMethod,
  makeBridgeErrorResponse,
  makeBridgeEvent,
  makeBridgeResponse,
  parseInboundRequest,
  preflightRequest,
  type BridgeInitMessage,
  type BridgeMethod,
  type BridgeMethodParams,
  type BridgeMethodResult,
  type Role,
} from "@taiku/protocol";
import { DEFAULT_FIXTURES, MockError, type MockState } from "./fixtures.js";
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

  /** Deliver a `taiku:event`, if the granted permissions allow this plugin to receive it (§6.4). */
  emit(type: string, data: unknown = {}): boolean {
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
    const inbound = parseInboundRequest(e.data);
    if (inbound.kind === "ignore") return;
    if (inbound.kind === "error") return this.#reply(inbound.id, undefined, inbound.error);
    const req = inbound.request;
    // A real host drops requests with the wrong plugin id or token without an answer; so do we.
    if (checkRequestIdentity(req, { pluginId: this.state.pluginId, authToken: this.authToken }) === "drop") return;
    const recorded: RecordedRequest = { id: req.id, method: req.method, params: req.params };
    this.requests.push(recorded);
    void this.#answer(recorded);
  };

  async #answer(req: RecordedRequest): Promise<void> {
    const rejection = this.#rejections.get(req.method);
    if (rejection !== undefined) return this.#reply(req.id, undefined, rejection);
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
      const result = await (custom ? custom(params, req) : fixture(params, this.state));
      this.#reply(req.id, result === undefined ? null : result);
    } catch (err) {
      this.#reply(req.id, undefined, err instanceof MockError || err instanceof Error ? err.message : String(err));
    }
  }

  #reply(id: string, result: unknown, error?: string): void {
    this.#win.postMessage(error !== undefined ? makeBridgeErrorResponse(id, error) : makeBridgeResponse(id, result), "*");
  }
}
