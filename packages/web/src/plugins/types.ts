/** Host-side records of the plugin platform (spec §4.12) and the services the bridge runs against. */
import type { ClientMessage, PluginManifest } from "@taiku/protocol";
import type { SessionEvents } from "../common/session-client.js";
import type { SessionState } from "../common/session-state.js";
import type { Emitter } from "../common/emitter.js";
import type { LayoutControl } from "../common/layout-control.js";
import type { AgentTracker } from "./agents.js";
import type { AliasResponder } from "./aliases.js";
import type { LocalPluginStore } from "./local-store.js";
import type { OutputTap } from "./output-tap.js";
import type { PortChannel } from "./port-channel.js";
import type { SessionKvView } from "./session-kv.js";

/** Where the host posts to: an iframe's `contentWindow` (or a fake in tests). */
export interface PostTarget {
  postMessage(message: unknown, targetOrigin: string, transfer?: Transferable[]): void;
}

/**
 * The host's end of the MessageChannel offered to a mount with its first `taiku:init` (a `MessagePort`,
 * or a fake in tests). Between a page and an out-of-process plugin frame a port message goes renderer to
 * renderer; a window message also passes through the browser process.
 */
export interface HostPort {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
}

/** One channel's `subscribeEvents` (optional `types` filter). */
export interface EventSubscription {
  types: Set<string> | null;
}

export interface Mount {
  pluginId: string;
  /** "" for a background panel. */
  panelId: string;
  authToken: string;
  target: PostTarget;
  /** Host end of the channel offered with this mount's first `taiku:init`; null when none was offered. */
  port: PortChannel | null;
  /**
   * `subscribeEvents` per channel: events go to the window when it was called there (raw §6.5 clients),
   * to the port when it was called on the port (the SDK), to both when both did. null: not subscribed.
   */
  events: { window: EventSubscription | null; port: EventSubscription | null };
  pending: number;
  /** shell:data coalescing: last delivery per shell (ms). */
  lastShellData: Map<number, number>;
  /** broadcastEvent rate limit: send times within the last second. */
  broadcasts: number[];
  /** Registered when the iframe was created, before its first `load`: no token sent yet. */
  loading: boolean;
  /** Requests the first document sent before `taiku:init` (empty identity), answered after init. */
  early: unknown[];
  /**
   * After the first document's `load`: how many more of its pre-init requests may still arrive and run as
   * this mount (its messages and the `load` event come by different task sources, so they can cross).
   * Zero once the frame sends a request with its identity: its earlier ones have all arrived by then.
   */
  lateEarly: number;
}

export interface RegisteredPlugin {
  manifest: PluginManifest;
  manifestUrl: string;
  enabled: boolean;
  serverManaged: boolean;
  grantedPermissions: string[];
  /** Load-time warnings (skipped elements, unknown permissions). */
  warnings: string[];
}

/** The parts of SessionClient the bridge uses (a fake in unit tests). */
export interface SessionLike {
  readonly sessionId: string;
  readonly state: SessionState;
  readonly events: Emitter<SessionEvents>;
  send(message: ClientMessage): void;
  sendInput(shellId: number, data: string): void;
  createShell(rows?: number, cols?: number): number;
  closeShell(shellId: number): void;
  chat(message: string): void;
  renameSession(name: string): void;
  setTerminalName(shellId: number, name: string | null): void;
  adoptRequest(shellId: number): number;
  httpProofs?(nonce: string): Promise<{ key: string; auth?: string }>;
}

/** Page UI the bridge drives. Every method is synchronous or resolves quickly; none may hang. */
export interface HostUi {
  toast(pluginId: string, message: string, kind: "info" | "success" | "error" | "warning", durationMs: number): void;
  notify(title: string, body: string, tag?: string): Promise<boolean>;
  playSound(sound: string | undefined, url: string | undefined, volume: number | undefined): void;
  setBadge(pluginId: string, actionId: string, count: number): void;
  setTooltip(pluginId: string, actionId: string, text: string | null): void;
  openPanel(pluginId: string, panelId: string): void;
  closePanel(pluginId: string, panelId: string): void;
  resizePanel(pluginId: string, panelId: string, height: number | "fit", width?: number): void;
  /** Opens a URL in a new window for the plugin (OAuth consent); true when the popup opened. */
  openPopup(url: string): boolean;
  /** The session page's workspace service (§7.5); null before the page provided one. */
  workspace(): LayoutControl | null;
  /** Show the built-in file viewer on a path relative to the session directory (§7.4 `openFile`). */
  openFile(path: string): void;
  /** Show the agent session overlay of a shell (§7.4 `openAgentOverlay`). */
  openAgentOverlay(shellId: number, instanceId?: string): void;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HostServices {
  session: SessionLike;
  ui: HostUi;
  local: LocalPluginStore;
  kv: SessionKvView;
  output: OutputTap;
  agents: AgentTracker;
  fetch: FetchLike;
  /** Page origin, e.g. `http://localhost:8080`. */
  appOrigin: string;
  /** Whether this browser is signed in to an account (cookie). */
  signedIn(): boolean;
  hostVersion: string;
  now(): number;
  /** Shell aliases (§4.8); without it `respondAlias` is not supported. */
  aliases?: AliasResponder;
}
