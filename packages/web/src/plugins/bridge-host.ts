/**
 * The host bridge (spec §6): one instance per page. It keeps the live mounts (iframe window → mount),
 * runs the §6.3 validation algorithm on every inbound `message`, dispatches to the method table and
 * posts `taiku:response` only to the requesting frame. Events go to subscribed mounts, gated per §6.4.
 *
 * MessagePort (taiku extension, no new wire name): the first `taiku:init` of each mount carries one end
 * of a new MessageChannel in its transfer list (`event.ports[0]`); a §6.5 client never looks there. The
 * same envelopes then work over that port: a request on it runs exactly as one from the mount's window
 * (identity, token, limits, permissions — it is bound to that mount and dies with it) and is answered
 * on the port; a port message may also carry a batch of envelopes (port-channel.ts). The host never
 * takes a port from a plugin.
 *
 * DOM-free: the page passes `event.source` and `event.data`; tests pass fakes.
 */
import {
  BRIDGE_ERRORS, BRIDGE_LIMITS, BRIDGE_MESSAGE, canReceiveEvent, checkRequestIdentity, makeBridgeErrorResponse,
  makeBridgeEvent, makeBridgeResponse, parseInboundRequest, payloadBytes, preflightRequest, type BridgeInitMessage, type BridgeRequestMessage,
} from "@taiku/protocol";
import { createMethods, type CallContext, type MethodTable } from "./methods.js";
import { PortChannel } from "./port-channel.js";
import type { HostPort, HostServices, Mount, PostTarget, RegisteredPlugin } from "./types.js";

export interface BridgeHostOptions {
  /** Accept requests that omit `authToken` entirely from the right live iframe (legacy plugins). */
  allowMissingAuthToken?: boolean;
  random?: (n: number) => Uint8Array;
  limits?: Partial<typeof BRIDGE_LIMITS>;
  /** Makes the channel offered to each mount; null offers none. Default: a `MessageChannel` when there is one. */
  channel?: (() => { host: HostPort; transfer: Transferable }) | null;
  /**
   * Called after a plugin's mount went away: unmounted, unloaded with its plugin, or replaced by a reload
   * of its frame (the new document has no subscriptions yet). The mount is already forgotten, so
   * `subscribers()` counts what is left. E.g. AliasHost refuses calls nobody is left to answer.
   */
  onMountGone?: (pluginId: string) => void;
}

const messageChannel = (): { host: HostPort; transfer: Transferable } => {
  const c = new MessageChannel();
  return { host: c.port1, transfer: c.port2 };
};

/** Answer to a request sent before `taiku:init` arrived (empty pluginId and token). */
export const NOT_INITIALISED = BRIDGE_ERRORS.notInitialised;

/** Pre-init requests held per loading frame. */
export const EARLY_REQUESTS_MAX = 16;

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export class BridgeHost {
  private readonly mounts = new Map<unknown, Mount>();
  private readonly methods: MethodTable;
  private readonly limits: typeof BRIDGE_LIMITS;
  private readonly random: (n: number) => Uint8Array;
  private readonly channel: (() => { host: HostPort; transfer: Transferable }) | null;
  /** Counters for tests and the console: requests dropped silently and answered with an error. */
  readonly stats = { dropped: 0, errors: 0, ok: 0 };

  constructor(
    private readonly services: HostServices,
    private readonly plugins: () => ReadonlyMap<string, RegisteredPlugin>,
    private readonly opts: BridgeHostOptions = {},
  ) {
    this.limits = { ...BRIDGE_LIMITS, ...opts.limits };
    this.random = opts.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
    this.channel = opts.channel !== undefined ? opts.channel : typeof MessageChannel === "function" ? messageChannel : null;
    this.methods = createMethods(services, this);
  }

  /**
   * Register a freshly loaded iframe and send it `taiku:init` with a new per-mount token and a new
   * MessagePort. A reload of the same frame calls this again: the old token and port stop working.
   */
  mount(source: PostTarget, pluginId: string, panelId: string, opts: { loading?: boolean } = {}): Mount | null {
    const plugin = this.plugins().get(pluginId);
    if (!plugin) return null;
    const prev = this.mounts.get(source);
    const mount: Mount = {
      pluginId, panelId, authToken: b64url(this.random(32)), target: source, port: null, events: { window: null, port: null },
      pending: 0, lastShellData: new Map(), broadcasts: [], loading: opts.loading ?? false, early: [],
      lateEarly: prev?.loading ? EARLY_REQUESTS_MAX - prev.early.length : 0,
    };
    if (prev) this.closePort(prev);
    this.mounts.set(source, mount);
    if (prev) this.opts.onMountGone?.(prev.pluginId);
    if (mount.loading) return mount;
    this.sendInit(mount, plugin, this.offerPort(mount));
    // Scripts run before the iframe's load event: requests the first document sent before it could know
    // its identity (e.g. the documented Integrations Demo calls refresh() at once) run now, as this mount.
    if (prev?.loading) {
      for (const data of prev.early) void this.onMessage(source, { ...(data as object), pluginId, authToken: mount.authToken });
    }
    return mount;
  }

  unmount(source: unknown): void {
    const mount = this.mounts.get(source);
    if (!mount) return;
    this.closePort(mount);
    this.mounts.delete(source);
    this.opts.onMountGone?.(mount.pluginId);
  }

  unmountPlugin(pluginId: string): void {
    let gone = false;
    for (const [w, m] of this.mounts) {
      if (m.pluginId !== pluginId) continue;
      this.closePort(m);
      this.mounts.delete(w);
      gone = true;
    }
    if (gone) this.opts.onMountGone?.(pluginId);
  }

  /** The plugin's record changed (grant, serverManaged): live frames get a fresh `taiku:init` (same token). */
  refresh(pluginId: string): void {
    const plugin = this.plugins().get(pluginId);
    if (plugin) for (const m of this.mountsOf(pluginId)) this.sendInit(m, plugin);
  }

  mountsOf(pluginId: string): Mount[] {
    return [...this.mounts.values()].filter((m) => m.pluginId === pluginId);
  }

  /** A new channel for this mount: requests on the host end run as the mount's own, while it is live. */
  private offerPort(mount: Mount): Transferable | undefined {
    if (!this.channel) return undefined;
    let made: { host: HostPort; transfer: Transferable };
    try {
      made = this.channel();
    } catch {
      return undefined;
    }
    const channel = new PortChannel(made.host);
    made.host.onmessage = (e) => {
      if (this.mounts.get(mount.target) !== mount || mount.port !== channel) return void this.stats.dropped++;
      const envelopes = channel.unpack(e.data);
      if (!envelopes) return void this.stats.dropped++;
      for (const data of envelopes) void this.handle(mount, data, channel);
    };
    mount.port = channel;
    return made.transfer;
  }

  private closePort(mount: Mount): void {
    mount.port?.close();
    mount.port = null;
  }

  private sendInit(mount: Mount, plugin: RegisteredPlugin, transfer?: Transferable): void {
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
    // Always on the window, where every client listens; only the first init of a mount carries the port.
    if (transfer === undefined) this.post(mount, init, null);
    else {
      try {
        mount.target.postMessage(init, "*", [transfer]);
      } catch {
        // Gone already.
      }
    }
  }

  /** To the mount's window, or over `port` when given. */
  private post(mount: Mount, message: unknown, port: PortChannel | null): void {
    if (port) return port.send(message);
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
    return this.handle(mount, data, null);
  }

  /** §6.3 from step 1 for a message of a live mount, from its window (`port` null) or its port. */
  private async handle(mount: Mount, data: unknown, port: PortChannel | null): Promise<void> {
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
      if (!port && mount.loading && mount.early.length < EARLY_REQUESTS_MAX) return void mount.early.push(data);
      // The first document's, delivered after its `load`: run as this mount, like the held ones.
      if (!port && mount.lateEarly > 0) {
        mount.lateEarly--;
        return this.handle(mount, { ...(data as object), pluginId: mount.pluginId, authToken: mount.authToken }, null);
      }
      return this.reply(mount, port, inbound.kind === "error" ? inbound.id : inbound.request.id, { error: NOT_INITIALISED });
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
    if (!port) mount.lateEarly = 0; // the frame has its identity: pre-init requests from it have all arrived
    if (identity === "accept-legacy") console.warn(`taiku: plugin ${mount.pluginId} sent a request without authToken`);
    if (inbound.kind === "error") return this.reply(mount, port, inbound.id, { error: inbound.error });
    const req = inbound.request;
    const plugin = this.plugins().get(mount.pluginId);
    if (!plugin || !plugin.enabled) return void this.stats.dropped++;

    if (mount.pending >= this.limits.pendingPerMount) return this.reply(mount, port, req.id, { error: BRIDGE_ERRORS.tooManyPending });
    const cap = req.method === "writePluginFile" || req.method === "writeFile" ? this.limits.fileRequestBytes : this.limits.requestBytes;
    if (payloadBytes(req.params, cap) > cap) return this.reply(mount, port, req.id, { error: BRIDGE_ERRORS.invalidParams(`request larger than ${cap} bytes`) });

    const pre = preflightRequest(req.method, req.params, {
      granted: plugin.grantedPermissions,
      ...(plugin.manifest.integrations ? { integrations: plugin.manifest.integrations } : {}),
    });
    if (!pre.ok) return this.reply(mount, port, req.id, { error: pre.error });

    mount.pending++;
    try {
      const call: CallContext = { plugin, mount, viaPort: port !== null };
      const fn = this.methods[pre.method] as (p: unknown, c: CallContext) => unknown;
      const result = await fn(pre.params, call);
      this.reply(mount, port, req.id, { result: result === undefined ? { ok: true } : result });
    } catch (err) {
      this.reply(mount, port, req.id, { error: err instanceof Error ? err.message : String(err) });
    } finally {
      mount.pending--;
    }
  }

  /** On the channel the request came on (`port` null: the window). */
  private reply(mount: Mount, port: PortChannel | null, id: string, r: { result: unknown } | { error: string }): void {
    // The frame may have been unmounted or reloaded while the method ran: never answer a dead mount.
    if (this.mounts.get(mount.target) !== mount) return;
    if ("error" in r) {
      this.stats.errors++;
      this.post(mount, makeBridgeErrorResponse(id, r.error), port);
    } else {
      this.stats.ok++;
      this.post(mount, makeBridgeResponse(id, r.result), port);
    }
  }

  // ---------------------------------------------------------------- events (§6.4, §8)

  /**
   * Deliver an event to every subscribed mount allowed to see it (optionally only one plugin's).
   * Returns how many mounts it was posted to (0: nobody is listening).
   */
  emit(type: string, data: unknown, onlyPluginId?: string): number {
    const now = this.services.now();
    const plugins = this.plugins();
    let delivered = 0;
    for (const mount of this.mounts.values()) {
      if (onlyPluginId !== undefined && mount.pluginId !== onlyPluginId) continue;
      const route = this.route(mount, type, data, plugins);
      if (!route) continue;
      const { toWindow, toPort } = route;
      if (type === "shell:data") {
        // At most 10 per second per shell per mount (§8 notes).
        const shellId = (data as { shellId: number }).shellId;
        const last = mount.lastShellData.get(shellId) ?? -Infinity;
        if (now - last < 1000 / this.limits.shellDataPerSecond) continue;
        mount.lastShellData.set(shellId, now);
      }
      const event = makeBridgeEvent(type, data, now);
      if (toWindow) this.post(mount, event, null);
      if (toPort) this.post(mount, event, mount.port);
      delivered++;
    }
    return delivered;
  }

  /**
   * How many of a plugin's mounts are subscribed to `type` and may receive it (with `data`, for the
   * gates that look at it): the mounts `emit` would post to, shell:data coalescing aside. Posts nothing.
   */
  subscribers(type: string, pluginId: string, data: unknown = null): number {
    const plugins = this.plugins();
    let n = 0;
    for (const mount of this.mounts.values()) if (mount.pluginId === pluginId && this.route(mount, type, data, plugins)) n++;
    return n;
  }

  /** Where a mount gets an event (its window, its port), or null: not subscribed to it, or not allowed (§6.4). */
  private route(mount: Mount, type: string, data: unknown, plugins: ReadonlyMap<string, RegisteredPlugin>): { toWindow: boolean; toPort: boolean } | null {
    const { window: onWindow, port: onPort } = mount.events;
    const toPort = onPort !== null && mount.port !== null && (!onPort.types || onPort.types.has(type));
    // §6.4: a subscription is the mount's, so window listeners in the frame get the event either way
    // (a plugin may call through the SDK and listen on the window); the SDK ignores window events once on the port.
    const toWindow = toPort || (onWindow !== null && (!onWindow.types || onWindow.types.has(type)));
    if (!toWindow && !toPort) return null;
    const plugin = plugins.get(mount.pluginId);
    if (!plugin?.enabled || !canReceiveEvent({ type, data }, plugin.grantedPermissions, mount.pluginId)) return null;
    return { toWindow, toPort };
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
