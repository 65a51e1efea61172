/**
 * The host bridge (spec §6): one instance per page. It keeps the live mounts (iframe window → mount),
 * runs the §6.3 validation algorithm on every inbound `message`, dispatches to the method table and
 * posts `taiku:response` only to the requesting frame. Events go to subscribed mounts, gated per §6.4.
 *
 * DOM-free: the page passes `event.source` and `event.data`; tests pass fakes.
 */
import {
  BRIDGE_ERRORS, BRIDGE_LIMITS, BRIDGE_MESSAGE, canReceiveEvent, checkRequestIdentity, makeBridgeErrorResponse,
  makeBridgeEvent, makeBridgeResponse, parseInboundRequest, preflightRequest, type BridgeInitMessage, type BridgeRequestMessage,
} from "@taiku/protocol";
import { createMethods, type CallContext, type MethodTable } from "./methods.js";
import type { HostServices, Mount, PostTarget, RegisteredPlugin } from "./types.js";

export interface BridgeHostOptions {
  /** Accept requests that omit `authToken` entirely from the right live iframe (legacy plugins). */
  allowMissingAuthToken?: boolean;
  random?: (n: number) => Uint8Array;
  limits?: Partial<typeof BRIDGE_LIMITS>;
}

/** Answer to a request sent before `taiku:init` arrived (empty pluginId and token). */
export const NOT_INITIALISED = "Bridge not ready: wait for taiku:init before sending requests";

/** Pre-init requests held per loading frame. */
export const EARLY_REQUESTS_MAX = 16;

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Rough structured-clone payload size, bounded: stops counting once over `cap`. */
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

export class BridgeHost {
  private readonly mounts = new Map<unknown, Mount>();
  private readonly methods: MethodTable;
  private readonly limits: typeof BRIDGE_LIMITS;
  private readonly random: (n: number) => Uint8Array;
  /** Counters for tests and the console: requests dropped silently and answered with an error. */
  readonly stats = { dropped: 0, errors: 0, ok: 0 };

  constructor(
    private readonly services: HostServices,
    private readonly plugins: () => ReadonlyMap<string, RegisteredPlugin>,
    private readonly opts: BridgeHostOptions = {},
  ) {
    this.limits = { ...BRIDGE_LIMITS, ...opts.limits };
    this.random = opts.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
    this.methods = createMethods(services, this);
  }

  /**
   * Register a freshly loaded iframe and send it `taiku:init` with a new per-mount token. A reload of the
   * same frame calls this again: the old token stops working.
   */
  mount(source: PostTarget, pluginId: string, panelId: string, opts: { loading?: boolean } = {}): Mount | null {
    const plugin = this.plugins().get(pluginId);
    if (!plugin) return null;
    const prev = this.mounts.get(source);
    const mount: Mount = {
      pluginId, panelId, authToken: b64url(this.random(32)), target: source, subscribed: false, types: null,
      pending: 0, lastShellData: new Map(), broadcasts: [], loading: opts.loading ?? false, early: [],
    };
    this.mounts.set(source, mount);
    if (mount.loading) return mount;
    this.sendInit(mount, plugin);
    // Scripts run before the iframe's load event: requests the first document sent before it could know
    // its identity (e.g. the documented Integrations Demo calls refresh() at once) run now, as this mount.
    if (prev?.loading) {
      for (const data of prev.early) void this.onMessage(source, { ...(data as object), pluginId, authToken: mount.authToken });
    }
    return mount;
  }

  unmount(source: unknown): void {
    this.mounts.delete(source);
  }

  unmountPlugin(pluginId: string): void {
    for (const [w, m] of this.mounts) if (m.pluginId === pluginId) this.mounts.delete(w);
  }

  /** The plugin's record changed (grant, serverManaged): live frames get a fresh `taiku:init` (same token). */
  refresh(pluginId: string): void {
    const plugin = this.plugins().get(pluginId);
    if (plugin) for (const m of this.mountsOf(pluginId)) this.sendInit(m, plugin);
  }

  mountsOf(pluginId: string): Mount[] {
    return [...this.mounts.values()].filter((m) => m.pluginId === pluginId);
  }

  private sendInit(mount: Mount, plugin: RegisteredPlugin): void {
    const st = this.services.session.state;
    const init: BridgeInitMessage = {
      type: BRIDGE_MESSAGE.init,
      pluginId: mount.pluginId,
      sessionId: this.services.session.sessionId,
      panelId: mount.panelId,
      authToken: mount.authToken,
      ...(st.userId !== null ? { userId: st.userId } : {}),
      ...(st.role ? { role: st.role } : {}),
      permissions: [...plugin.grantedPermissions],
      serverManaged: plugin.serverManaged,
      hostVersion: this.services.hostVersion,
      theme: "dark",
    };
    this.post(mount, init);
  }

  private post(mount: Mount, message: unknown): void {
    try {
      mount.target.postMessage(message, "*");
    } catch {
      // A frame that went away between the check and the post: nothing to answer.
    }
  }

  /** Entry point for every `message` event on the host window. Never throws. */
  async onMessage(source: unknown, data: unknown): Promise<void> {
    // §6.3 step 2 first: anything not from a live plugin frame is dropped before we even look at it.
    const mount = source === null || source === undefined ? undefined : this.mounts.get(source);
    if (!mount) return void this.stats.dropped++;
    if (data && typeof data === "object" && (data as { type?: unknown }).type === BRIDGE_MESSAGE.ready) {
      // A frame still loading gets its one init (and token) on load.
      if (mount.loading) return;
      const plugin = this.plugins().get(mount.pluginId);
      if (plugin) this.sendInit(mount, plugin);
      return;
    }
    const inbound = parseInboundRequest(data);
    if (inbound.kind === "ignore") return void this.stats.dropped++;
    // §6.3 step 3 on the raw fields, before any answer (an error answer too) is sent.
    const raw = data as { pluginId?: unknown; authToken?: unknown };
    if (raw.pluginId === "" && (raw.authToken === "" || raw.authToken === undefined)) {
      // Sent by the frame before it received taiku:init. From the first document, still loading: held
      // (bounded) and run once init is sent. Otherwise nothing runs, but the plugin gets an answer
      // instead of waiting for its timeout.
      if (mount.loading && mount.early.length < EARLY_REQUESTS_MAX) return void mount.early.push(data);
      return this.reply(mount, inbound.kind === "error" ? inbound.id : inbound.request.id, { error: NOT_INITIALISED });
    }
    const claimed = {
      pluginId: typeof raw.pluginId === "string" ? raw.pluginId : "",
      // A present but non-string token is a wrong token, never a missing one.
      ...(raw.authToken === undefined ? {} : { authToken: typeof raw.authToken === "string" ? raw.authToken : "\0" }),
    } as BridgeRequestMessage;
    const identity = checkRequestIdentity(
      claimed,
      mount,
      { allowMissingAuthToken: this.opts.allowMissingAuthToken ?? false },
    );
    if (identity === "drop") return void this.stats.dropped++;
    if (identity === "accept-legacy") console.warn(`taiku: plugin ${mount.pluginId} sent a request without authToken`);
    if (inbound.kind === "error") return this.reply(mount, inbound.id, { error: inbound.error });
    const req = inbound.request;
    const plugin = this.plugins().get(mount.pluginId);
    if (!plugin || !plugin.enabled) return void this.stats.dropped++;

    if (mount.pending >= this.limits.pendingPerMount) return this.reply(mount, req.id, { error: BRIDGE_ERRORS.tooManyPending });
    const cap = req.method === "writePluginFile" || req.method === "writeFile" ? this.limits.fileRequestBytes : this.limits.requestBytes;
    if (payloadBytes(req.params, cap) > cap) return this.reply(mount, req.id, { error: BRIDGE_ERRORS.invalidParams(`request larger than ${cap} bytes`) });

    const pre = preflightRequest(req.method, req.params, {
      granted: plugin.grantedPermissions,
      ...(plugin.manifest.integrations ? { integrations: plugin.manifest.integrations } : {}),
    });
    if (!pre.ok) return this.reply(mount, req.id, { error: pre.error });

    mount.pending++;
    try {
      const call: CallContext = { plugin, mount };
      const fn = this.methods[pre.method] as (p: unknown, c: CallContext) => unknown;
      const result = await fn(pre.params, call);
      this.reply(mount, req.id, { result: result === undefined ? { ok: true } : result });
    } catch (err) {
      this.reply(mount, req.id, { error: err instanceof Error ? err.message : String(err) });
    } finally {
      mount.pending--;
    }
  }

  private reply(mount: Mount, id: string, r: { result: unknown } | { error: string }): void {
    // The frame may have been unmounted or reloaded while the method ran: never answer a dead mount.
    if (this.mounts.get(mount.target) !== mount) return;
    if ("error" in r) {
      this.stats.errors++;
      this.post(mount, makeBridgeErrorResponse(id, r.error));
    } else {
      this.stats.ok++;
      this.post(mount, makeBridgeResponse(id, r.result));
    }
  }

  // ---------------------------------------------------------------- events (§6.4, §8)

  /** Deliver an event to every subscribed mount allowed to see it (optionally only one plugin's). */
  emit(type: string, data: unknown, onlyPluginId?: string): void {
    const now = this.services.now();
    const plugins = this.plugins();
    for (const mount of this.mounts.values()) {
      if (!mount.subscribed || (onlyPluginId !== undefined && mount.pluginId !== onlyPluginId)) continue;
      if (mount.types && !mount.types.has(type)) continue;
      const plugin = plugins.get(mount.pluginId);
      if (!plugin?.enabled || !canReceiveEvent({ type, data }, plugin.grantedPermissions, mount.pluginId)) continue;
      if (type === "shell:data") {
        // At most 10 per second per shell per mount (§8 notes).
        const shellId = (data as { shellId: number }).shellId;
        const last = mount.lastShellData.get(shellId) ?? -Infinity;
        if (now - last < 1000 / this.limits.shellDataPerSecond) continue;
        mount.lastShellData.set(shellId, now);
      }
      this.post(mount, makeBridgeEvent(type, data, now));
    }
  }

  /** `broadcastEvent` rate limit (20/s per mount): true when allowed. */
  allowBroadcast(mount: Mount): boolean {
    const now = this.services.now();
    mount.broadcasts = mount.broadcasts.filter((t) => now - t < 1000);
    if (mount.broadcasts.length >= this.limits.broadcastsPerSecond) return false;
    mount.broadcasts.push(now);
    return true;
  }
}
