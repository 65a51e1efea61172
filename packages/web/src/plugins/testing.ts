/** Test doubles for the plugin host: a session client driven by the test, and a recording frame. */
import { validateManifest, type ClientMessage } from "@taiku/protocol";
import { Emitter } from "../common/emitter.js";
import { KvEntries } from "../common/kv-entries.js";
import { LayoutControl } from "../common/layout-control.js";
import { EMPTY_LAYOUT, reconcile, type Layout } from "../common/layout.js";
import { MemoryStorage } from "../common/services.js";
import type { SessionEvents } from "../common/session-client.js";
import { initialState, type SessionState } from "../common/session-state.js";
import { AgentTracker } from "./agents.js";
import { AliasHost } from "./aliases.js";
import type { AliasAnswer } from "../common/alias-frames.js";
import { BridgeHost, type BridgeHostOptions } from "./bridge-host.js";
import { LocalPluginStore } from "./local-store.js";
import { OutputTap } from "./output-tap.js";
import { SessionKvView } from "./session-kv.js";
import type { FetchLike, HostPort, HostServices, HostUi, PostTarget, RegisteredPlugin, SessionLike } from "./types.js";

export class FakeSession implements SessionLike {
  readonly sessionId = "sess1";
  readonly events = new Emitter<SessionEvents>();
  readonly sent: ClientMessage[] = [];
  readonly inputs: Array<{ shellId: number; data: string }> = [];
  state: SessionState;

  constructor(patch: Partial<SessionState> = {}) {
    this.state = {
      ...initialState(this.sessionId),
      status: "online", userId: 5, myUserIds: [5], role: "writer", canWrite: true, name: "Ada",
      info: { name: "demo", readersEnabled: false, viewerAuth: false, ownerName: "Ada", createdAt: 1, cwdLabel: null },
      users: [{ userId: 5, name: "Ada", device: "Linux Web", role: "writer", canWrite: true, focus: null, cursor: null }],
      shells: [{ id: 1, rows: 24, cols: 80, name: null, creatorUserId: null }],
      owners: [{ shellId: 1, userId: null, name: null }],
      ...patch,
    };
  }
  setState(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    this.events.emit("state", this.state);
  }
  send(m: ClientMessage): void {
    this.sent.push(m);
  }
  /** `answerAlias` calls (the real client seals them into `aliasResult`). */
  readonly aliasAnswers: AliasAnswer[] = [];
  async answerAlias(a: AliasAnswer): Promise<void> {
    this.aliasAnswers.push(a);
  }
  sendInput(shellId: number, data: string): void {
    this.inputs.push({ shellId, data });
  }
  /** Shells the CLI creates on `createShell` (by this user); off: the CLI never answers. */
  cliCreates = true;
  createShell(rows = 24, cols = 80): number {
    const id = Math.max(0, ...this.state.shells.map((s) => s.id)) + 1;
    if (this.cliCreates) queueMicrotask(() => this.setState({ shells: [...this.state.shells, { id, rows, cols, name: null, creatorUserId: this.state.userId }] }));
    return id;
  }
  closeShell(shellId: number): void {
    this.sent.push({ t: "close", shellId });
  }
  chat(message: string): void {
    this.sent.push({ t: "chat", message });
  }
  renameSession(name: string): void {
    this.sent.push({ t: "renameSession", name });
  }
  setTerminalName(shellId: number, name: string | null): void {
    this.sent.push({ t: "setTerminalName", shellId, name });
  }
  adoptRequest(): number {
    return 1;
  }
}

/** Responses and events in what a frame or port received. */
class Inbox {
  readonly received: Array<Record<string, unknown>> = [];
  responses() {
    return this.received.filter((m) => m.type === "taiku:response") as Array<{ id: string; result?: unknown; error?: string }>;
  }
  events() {
    return this.received.filter((m) => m.type === "taiku:event").map((m) => m.event as { type: string; data: Record<string, unknown> });
  }
}

/** An iframe window stand-in: records what the host posts to it, and the ports it transfers. */
export class FakeFrame extends Inbox implements PostTarget {
  readonly ports: FakePort[] = [];
  postMessage(message: unknown, _targetOrigin?: string, transfer?: Transferable[]): void {
    this.received.push(structuredClone(message) as Record<string, unknown>);
    for (const t of transfer ?? []) this.ports.push(t as unknown as FakePort);
  }
  get init() {
    return this.received.find((m) => m.type === "taiku:init") as { authToken: string; pluginId: string } | undefined;
  }
}

/**
 * A MessageChannel stand-in, both ends in one object: the host's end (`HostPort`) records what the host
 * posts; `send()` is the plugin posting on its end (a clone, delivered at once).
 */
export class FakePort extends Inbox implements HostPort {
  onmessage: ((e: MessageEvent) => void) | null = null;
  closed = false;
  /** Port messages as posted (an envelope, or an array of them); `received` has the envelopes. */
  readonly messages: unknown[] = [];
  postMessage(message: unknown): void {
    if (this.closed) return;
    const copy = structuredClone(message) as Record<string, unknown> | Array<Record<string, unknown>>;
    this.messages.push(copy);
    this.received.push(...(Array.isArray(copy) ? copy : [copy]));
  }
  close(): void {
    this.closed = true;
  }
  send(data: unknown): void {
    if (!this.closed) this.onmessage?.({ data: structuredClone(data) } as MessageEvent);
  }
}

/** Host option: offer a `FakePort` per mount (it is also what the frame receives in its transfer list). */
export const fakeChannel = () => {
  const port = new FakePort();
  return { host: port, transfer: port as unknown as Transferable };
};

export function registered(manifest: Record<string, unknown>, opts: { serverManaged?: boolean; granted?: string[] } = {}): RegisteredPlugin {
  const r = validateManifest({ name: "Test", version: "1.0.0", ...manifest }, { manifestUrl: "http://localhost:8080/plugins/x/manifest.json" });
  if (!r.ok) throw new Error(r.error);
  return {
    manifest: r.manifest, manifestUrl: "http://localhost:8080/plugins/x/manifest.json", enabled: true,
    serverManaged: opts.serverManaged ?? false, grantedPermissions: opts.granted ?? [...r.manifest.permissions], warnings: r.warnings,
  };
}

export interface Harness {
  session: FakeSession;
  host: BridgeHost;
  /** With harness option `aliases`. */
  aliases?: AliasHost;
  plugins: Map<string, RegisteredPlugin>;
  fetches: Array<{ url: string; init?: RequestInit }>;
  ui: HostUi & { calls: string[] };
  /** The page layout behind `ui.workspace()` (pages and tiles), kept in step with the session's shells. */
  layout(): Layout;
  output: OutputTap;
  agents: AgentTracker;
  kv: SessionKvView;
  local: LocalPluginStore;
  clock: { t: number };
  /**
   * Mount a frame for a plugin and return it with request helpers: on its window, and on the port the
   * host offered with `taiku:init` (harness option `ports`; `undefined` when a request was dropped).
   */
  frame(pluginId: string, panelId?: string): { win: FakeFrame; request: Requester; portRequest: Requester };
}

type Requester = (method: string, params?: unknown, extra?: Record<string, unknown>) => Promise<{ result?: unknown; error?: string } | undefined>;

/** Macrotask turns a port request may take before it counts as dropped (the host answers port messages asynchronously). */
const PORT_TURNS = 20;

export function harness(plugins: RegisteredPlugin[], opts: { fetch?: FetchLike; signedIn?: boolean; host?: BridgeHostOptions; ports?: boolean; aliases?: boolean } = {}): Harness {
  const session = new FakeSession();
  const map = new Map(plugins.map((p) => [p.manifest.id, p]));
  const fetches: Harness["fetches"] = [];
  const calls: string[] = [];
  const ui: HostUi & { calls: string[] } = {
    calls,
    toast: (_p, m) => void calls.push(`toast:${m}`),
    notify: async () => true,
    playSound: (s) => void calls.push(`sound:${s}`),
    setBadge: (p, a, c) => void calls.push(`badge:${p}/${a}=${c}`),
    setTooltip: () => {},
    openPanel: (p, id) => void calls.push(`open:${p}/${id}`),
    closePanel: () => {},
    resizePanel: () => {},
    openPopup: (url) => (calls.push(`popup:${url}`), false),
    workspace: () => workspace,
    openFile: (path) => void calls.push(`file:${path}`),
    openAgentOverlay: (shellId, instanceId) => void calls.push(`agent:${shellId}${instanceId ? `/${instanceId}` : ""}`),
  };
  let layout: Layout = reconcile(EMPTY_LAYOUT, session.state.shells.map((s) => s.id));
  const workspace = new LayoutControl({
    get: () => layout, set: (l) => void (layout = l), state: () => session.state,
    createShell: (rows, cols) => session.createShell(rows, cols), timeoutMs: 200,
  });
  // What the session page does on every state change.
  session.events.on("state", (st) => workspace.sync(st.shells, st.myUserIds));
  const output = new OutputTap();
  const local = new LocalPluginStore(new MemoryStorage());
  const kv = new SessionKvView({
    serverEntries: (id) => session.state.pluginKv[id]?.entries ?? KvEntries.empty,
    sendSet: (pluginId, key, value) => session.send({ t: "pluginKvSet", pluginId, key, value }),
    sendDelete: (pluginId, key) => session.send({ t: "pluginKvDelete", pluginId, key }),
  });
  const clock = { t: 1_000_000 };
  const agents = new AgentTracker();
  const fetchImpl: FetchLike = async (url, init) => {
    fetches.push({ url, ...(init ? { init } : {}) });
    return opts.fetch ? opts.fetch(url, init) : new Response("Not found.", { status: 404 });
  };
  const services: HostServices = {
    session, ui, local, kv, output, agents, fetch: fetchImpl, appOrigin: "http://localhost:8080",
    signedIn: () => opts.signedIn ?? false, hostVersion: "test", now: () => clock.t,
  };
  const aliases: AliasHost | undefined = opts.aliases ? new AliasHost(session, () => map, (t, d, only) => host.emit(t, d, only), (t, only) => host.subscribers(t, only)) : undefined;
  if (aliases) services.aliases = aliases;
  let n = 0;
  const host: BridgeHost = new BridgeHost(services, () => map, { random: (len) => new Uint8Array(len).map(() => ++n % 256), channel: opts.ports ? fakeChannel : null,
    ...(aliases ? { onMountGone: (id: string) => aliases.frameGone(id) } : {}), ...opts.host });
  return {
    session, host, plugins: map, ...(aliases ? { aliases } : {}), fetches, ui, output, agents, kv, local, clock,
    layout: () => layout,
    frame(pluginId, panelId = "p") {
      const win = new FakeFrame();
      host.mount(win, pluginId, panelId);
      let seq = 0;
      const envelope = (id: string, method: string, params: unknown, extra: Record<string, unknown>) => {
        const init = win.init!;
        return { type: "taiku:request", id, pluginId: init.pluginId, authToken: init.authToken, method, ...(params === undefined ? {} : { params }), ...extra };
      };
      const answer = (inbox: Inbox, id: string) => {
        const r = inbox.responses().find((x) => x.id === id);
        return r && ("error" in r ? { error: r.error! } : { result: r.result });
      };
      return {
        win,
        async request(method, params, extra = {}) {
          const id = `r${++seq}`;
          await host.onMessage(win, envelope(id, method, params, extra));
          return answer(win, id);
        },
        async portRequest(method, params, extra = {}) {
          const port = win.ports[0];
          if (!port) throw new Error("no port offered");
          const id = `p${++seq}`;
          port.send(envelope(id, method, params, extra));
          for (let i = 0; i < PORT_TURNS && !answer(port, id); i++) await new Promise((r) => setTimeout(r, 0));
          return answer(port, id);
        },
      };
    },
  };
}
