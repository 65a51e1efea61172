/**
 * The transport under `TaikuPlugin`: the postMessage envelope of spec §6, request/response correlation,
 * timeouts and event routing. Intentionally thin (§16.2): no caching, no retries, no UI state.
 *
 * When taiku's host transfers a MessagePort with `taiku:init` (`event.ports[0]`), the client sends its
 * requests on that port and takes answers and events from it: the same envelopes, one hop fewer for an
 * out-of-process plugin frame. Requests made in the same task leave as one port message (an array of
 * envelopes; the host then answers in arrays too). Without a port (other hosts, MockHost) it uses
 * `window.postMessage`.
 *
 * Only *types* come from @taiku/protocol; the few wire strings are literals checked against the protocol's
 * constants by the compiler, so the browser bundle carries no schema library.
 */
import type { BRIDGE_MESSAGE, BridgeEvent, BridgeMethod, BridgeMethodParamsInput, BridgeMethodResult, Role } from "@taiku/protocol";
import { TaikuBridgeError, TaikuTimeoutError } from "./errors.js";

const MSG: { readonly [K in keyof typeof BRIDGE_MESSAGE]: (typeof BRIDGE_MESSAGE)[K] } = {
  init: "taiku:init",
  request: "taiku:request",
  response: "taiku:response",
  event: "taiku:event",
  ready: "taiku:ready",
};

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Most envelopes the host takes in one port message (taiku's `PORT_BATCH_MAX`). */
const PORT_BATCH_MAX = 64;

/** What the SDK posts to: the host window (`window.parent` in a plugin iframe). */
export interface MessageTarget {
  postMessage(message: unknown, targetOrigin: string): void;
}
/** The plugin's end of the channel the host offers with `taiku:init` (a `MessagePort`). */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
}
/** Where the SDK listens: the plugin's own window. */
export interface MessageSource {
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  readonly parent?: MessageTarget | null;
}

export interface TaikuPluginOptions {
  /** Milliseconds before a pending request rejects with `TaikuTimeoutError`. Default 10 000. */
  timeout?: number;
  /** Where requests go and where answers must come from. Default `window.parent`. */
  target?: MessageTarget;
  /** The window to listen on. Default the global `window`. */
  window?: MessageSource;
  /** The first `on()` calls `subscribeEvents` for you. Default true. */
  autoSubscribe?: boolean;
  /** Use the MessagePort taiku's host transfers with `taiku:init`, when it does. Default true. */
  messagePort?: boolean;
}
export interface CallOptions {
  timeout?: number;
}

export type EventHandler<D = any> = (event: BridgeEvent<D>) => void;

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

// Shared by every instance in the frame, so two clients never reuse an id (responses are matched by id).
let nextId = 0;

export class BridgeClient {
  /** From `taiku:init` (spec §6.1). Empty until `ready()` resolves. */
  pluginId = "";
  sessionId = "";
  panelId = "";
  authToken = "";
  userId: number | undefined;
  role: Role | undefined;
  /** Granted permissions, when the host sends them. */
  permissions: readonly string[] | undefined;
  serverManaged: boolean | undefined;
  hostVersion: string | undefined;

  protected readonly timeoutMs: number;
  readonly #win: MessageSource;
  readonly #target: MessageTarget;
  readonly #autoSubscribe: boolean;
  readonly #usePort: boolean;
  #port: MessagePortLike | null = null;
  /** Requests waiting for this task's end, to leave on the port as one message. */
  #outbox: Array<{ id: string; message: unknown }> = [];
  readonly #pending = new Map<string, Pending>();
  readonly #handlers = new Map<string, Set<EventHandler>>();
  #subscribed = false;
  #destroyed = false;
  #markReady!: () => void;
  readonly #ready = new Promise<void>((resolve) => (this.#markReady = resolve));

  constructor(opts: TaikuPluginOptions = {}) {
    const win = opts.window ?? (globalThis as { window?: MessageSource }).window;
    if (!win) throw new Error("TaikuPlugin needs a window: run it inside a plugin iframe, or pass { window, target }");
    const target = opts.target ?? win.parent;
    if (!target) throw new Error("TaikuPlugin has no host window to talk to (window.parent is missing)");
    this.#win = win;
    this.#target = target;
    this.timeoutMs = opts.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#autoSubscribe = opts.autoSubscribe ?? true;
    this.#usePort = opts.messagePort ?? true;
    win.addEventListener("message", this.#onMessage);
    // Ask for (another) taiku:init in case the host sent it before this script was listening.
    target.postMessage({ type: MSG.ready }, "*");
  }

  /** How requests travel: `"port"` once the host's MessagePort was adopted, otherwise `"window"`. */
  get transport(): "port" | "window" {
    return this.#port ? "port" : "window";
  }

  /** Resolves once the host's `taiku:init` arrived. Calls made earlier wait for it. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Raw escape hatch: call any bridge method by name. Rejects with the host's error text. */
  request<M extends BridgeMethod>(method: M, params?: BridgeMethodParamsInput<M>, opts?: CallOptions): Promise<BridgeMethodResult<M>>;
  request<T = unknown>(method: string, params?: object, opts?: CallOptions): Promise<T>;
  request(method: string, params?: object, opts: CallOptions = {}): Promise<unknown> {
    if (this.#destroyed) return Promise.reject(new Error("TaikuPlugin was destroyed"));
    const id = `sdk_${++nextId}`;
    const timeoutMs = opts.timeout ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      // The clock starts now, not at init, so a host that never initialises cannot hang the caller.
      const timer = setTimeout(() => {
        if (this.#pending.delete(id)) reject(new TaikuTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.#pending.set(id, { method, resolve, reject, timer });
      void this.#ready.then(() => {
        if (!this.#pending.has(id)) return;
        const message = { type: MSG.request, id, pluginId: this.pluginId, panelId: this.panelId, authToken: this.authToken, method, params };
        if (this.#port) return this.#enqueue(id, message);
        try {
          this.#target.postMessage(message, "*");
        } catch (e) {
          // e.g. DataCloneError for a function in params.
          this.#settle(id, undefined, e instanceof Error ? e.message : String(e));
        }
      });
    });
  }

  /** Listen for an event type, or `"*"` for all. Returns a function that removes the handler. */
  on<D = any>(type: string, handler: EventHandler<D>): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    set.add(handler as EventHandler);
    if (this.#autoSubscribe && !this.#subscribed) {
      this.#subscribed = true;
      this.request("subscribeEvents").catch((e: Error) => {
        this.#subscribed = false;
        console.warn(`taiku: subscribeEvents failed: ${e.message}`);
      });
    }
    return () => this.off(type, handler);
  }

  off<D = any>(type: string, handler: EventHandler<D>): void {
    this.#handlers.get(type)?.delete(handler as EventHandler);
  }

  /** Stop listening and reject every pending call. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#win.removeEventListener("message", this.#onMessage);
    if (this.#port) {
      this.#port.onmessage = null;
      this.#port.close();
      this.#port = null;
    }
    this.#outbox = [];
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new Error("TaikuPlugin was destroyed"));
    }
    this.#handlers.clear();
  }

  #onMessage = (e: MessageEvent): void => {
    // Only the host may talk to us (spec §6.2); anything else — other frames, our own posts — is ignored.
    if (e.source !== this.#target) return;
    const m = e.data as Record<string, unknown> | null;
    if (typeof m !== "object" || m === null) return;
    // A port comes only from the host (source checked above), only with an init, and is taken once.
    const port = (e.ports as readonly MessagePortLike[] | undefined)?.[0];
    if (m.type === MSG.init && port && !this.#port && this.#usePort) {
      port.onmessage = (pe) => {
        if (Array.isArray(pe.data)) for (const d of pe.data) this.#route(d, true);
        else this.#route(pe.data, true);
      };
      this.#port = port;
    }
    this.#route(m, false);
  };

  #enqueue(id: string, message: unknown): void {
    this.#outbox.push({ id, message });
    if (this.#outbox.length === 1) queueMicrotask(this.#flush);
  }

  #flush = (): void => {
    const out = this.#outbox;
    this.#outbox = [];
    const port = this.#port;
    if (!port || out.length === 0) return;
    const post = (o: { id: string; message: unknown }) => {
      try {
        port.postMessage(o.message);
      } catch (e) {
        // e.g. DataCloneError for a function in params.
        this.#settle(o.id, undefined, e instanceof Error ? e.message : String(e));
      }
    };
    for (let i = 0; i < out.length; i += PORT_BATCH_MAX) {
      const chunk = out.slice(i, i + PORT_BATCH_MAX);
      if (chunk.length === 1) {
        post(chunk[0]!);
        continue;
      }
      try {
        port.postMessage(chunk.map((o) => o.message));
      } catch {
        // One uncloneable request must not fail the others: send them one by one.
        for (const o of chunk) post(o);
      }
    }
  };

  #route(data: unknown, fromPort: boolean): void {
    const m = data as Record<string, unknown> | null;
    if (typeof m !== "object" || m === null) return;
    if (m.type === MSG.response && typeof m.id === "string") {
      this.#settle(m.id, m.result, typeof m.error === "string" ? m.error : undefined);
    } else if (m.type === MSG.init) {
      this.#applyInit(m);
    } else if (m.type === MSG.event && typeof m.event === "object" && m.event !== null) {
      // On the port our subscription's events come on the port; window events are another client's.
      if (fromPort || !this.#port) this.#dispatch(m.event as BridgeEvent);
    }
  }

  #applyInit(m: Record<string, unknown>): void {
    const str = (v: unknown) => (typeof v === "string" ? v : "");
    this.pluginId = str(m.pluginId);
    this.sessionId = str(m.sessionId);
    this.panelId = str(m.panelId);
    this.authToken = str(m.authToken);
    if (typeof m.userId === "number") this.userId = m.userId;
    if (m.role === "reader" || m.role === "writer" || m.role === "admin") this.role = m.role;
    if (Array.isArray(m.permissions)) this.permissions = m.permissions.filter((p): p is string => typeof p === "string");
    if (typeof m.serverManaged === "boolean") this.serverManaged = m.serverManaged;
    if (typeof m.hostVersion === "string") this.hostVersion = m.hostVersion;
    this.#markReady();
  }

  #settle(id: string, result: unknown, error: string | undefined): void {
    const p = this.#pending.get(id);
    if (!p) return; // late answer after a timeout, or not ours
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (error !== undefined) p.reject(new TaikuBridgeError(error, p.method));
    else p.resolve(result);
  }

  #dispatch(event: BridgeEvent): void {
    for (const key of [event.type, "*"]) {
      for (const handler of [...(this.#handlers.get(key) ?? [])]) {
        try {
          handler(event);
        } catch (e) {
          // One faulty handler must not starve the others.
          console.error(e);
        }
      }
    }
  }
}
