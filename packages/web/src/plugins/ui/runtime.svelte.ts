/**
 * The page's plugin runtime: wires the pure host (catalog, bridge, session KV, events) to the DOM —
 * window `message` and `keydown` listeners, toasts, notifications, sounds, popups — and holds the UI
 * state the plugin components render (open panels, badges, tooltips, sizes, dialogs).
 */
import { toast } from "../../ui/session/ui-state.svelte.js";
import { KvEntries } from "../../common/kv-entries.js";
import type { SessionClient } from "../../common/session-client.js";
import type { LayoutControl } from "../../common/layout-control.js";
import type { BridgeFileContent } from "@taiku/protocol";
import { AgentTracker } from "../agents.js";
import { AliasHost } from "../aliases.js";
import { Cleanups } from "../cleanups.js";
import { BridgeHost } from "../bridge-host.js";
import { PluginCatalog } from "../catalog.js";
import { LocalPluginStore } from "../local-store.js";
import { outputTap } from "../output-tap.js";
import { SessionKvView } from "../session-kv.js";
import { routeSessionEvents } from "../state-events.js";
import { InboxEventStream } from "../inbox-events.js";
import { createSessionFiles } from "../remote-methods.js";
import type { HostServices, HostUi, RegisteredPlugin } from "../types.js";
import { bindHotkeys, matchesHotkey, type BoundHotkey } from "../ui-logic.js";

export const HOST_VERSION = "0.1.0";
export const SANDBOX = "allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads";

const key = (pluginId: string, id: string) => `${pluginId}/${id}`;
const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export class PluginRuntime {
  plugins = $state.raw<RegisteredPlugin[]>([]);
  open = $state<Record<string, boolean>>({});
  badges = $state<Record<string, number>>({});
  tooltips = $state<Record<string, string>>({});
  sizes = $state<Record<string, { height?: number | "fit"; width?: number }>>({});
  managerOpen = $state(false);
  settingsFor = $state<string | null>(null);
  /** Bumped when the catalog changes (registry, user list, errors), for the manager UI. */
  version = $state(0);
  /** Path shown in the built-in file viewer (`openFile`), relative to the session directory. */
  fileView = $state<string | null>(null);
  /** Shell (and agent run) whose agent session overlay is shown (`openAgentOverlay`). */
  agentView = $state<{ shellId: number; instanceId?: string } | null>(null);
  /** The session page's pages and tiles (§7.5), set by the page. */
  workspace: LayoutControl | null = null;

  readonly local = new LocalPluginStore(localStorage);
  readonly kv: SessionKvView;
  readonly agents = new AgentTracker();
  readonly catalog: PluginCatalog;
  readonly bridge: BridgeHost;
  /** Shell aliases (§4.8): registration, `alias_invoked`, `respondAlias`. */
  readonly aliases: AliasHost;
  private hotkeys: BoundHotkey[] = [];
  /** `/api/v1/inbox/events` → `inbox.*` plugin events, open while a plugin holds `inbox.read`. */
  private readonly inboxEvents = new InboxEventStream({
    open: (url) => new EventSource(url, { withCredentials: true }),
    emit: (type, data) => this.bridge.emit(type, data),
  });
  private readonly cleanups = new Cleanups();
  /** The CLI-backed filesystem (§11.3.5) for the file viewer: the same calls as `readFile` / `getFileUrl`. */
  readonly files: { read(path: string, maxBytes: number): Promise<BridgeFileContent>; url(path: string): Promise<{ url: string; size: number }> };

  constructor(readonly client: SessionClient) {
    this.kv = new SessionKvView({
      serverEntries: (id) => client.state.pluginKv[id]?.entries ?? KvEntries.empty,
      sendSet: (pluginId, k, value, bytes) => client.kvSet(pluginId, k, value, bytes),
      sendDelete: (pluginId, k) => client.kvDelete(pluginId, k),
    });
    this.aliases = new AliasHost(client, () => this.catalog.plugins, (t, d, only) => this.bridge.emit(t, d, only), (t, only) => this.bridge.subscribers(t, only));
    this.catalog = new PluginCatalog(fetch.bind(window), this.local, location.origin, (added, removed, changed) => this.onCatalogChange(added, removed, changed));
    const services: HostServices = {
      session: client, ui: this.hostUi(), local: this.local, kv: this.kv, output: outputTap, agents: this.agents,
      fetch: fetch.bind(window), appOrigin: location.origin, signedIn: () => client.state.accountId !== null,
      hostVersion: HOST_VERSION, now: () => Date.now(), aliases: this.aliases,
    };
    this.bridge = new BridgeHost(services, () => this.catalog.plugins, { onMountGone: (id) => this.aliases.frameGone(id) });
    const files = createSessionFiles(services);
    this.files = { read: (path, maxBytes) => files.read({ path, encoding: "utf8", maxBytes }), url: files.url };
  }

  async start(): Promise<void> {
    const onMessage = (e: MessageEvent) => void this.bridge.onMessage(e.source, e.data);
    const onKey = (e: KeyboardEvent) => this.onKey(e);
    window.addEventListener("message", onMessage);
    window.addEventListener("keydown", onKey, true);
    this.cleanups.add(
      () => this.inboxEvents.stop(),
      () => window.removeEventListener("message", onMessage),
      () => window.removeEventListener("keydown", onKey, true),
      routeSessionEvents(this.client, this.kv, outputTap, this.agents, (t, d, only) => this.bridge.emit(t, d, only)),
    );
    let lastSet = this.client.state.sessionPlugins;
    this.cleanups.add(
      this.client.events.on("state", (s) => {
        if (s.sessionPlugins !== lastSet) {
          lastSet = s.sessionPlugins;
          this.catalog.setSessionSet(s.sessionPlugins);
        }
      }),
    );
    await this.client.whenOnline().catch(() => undefined);
    if (this.cleanups.stopped) return; // the page went while the session connected
    this.catalog.session = this.client.state.sessionPlugins;
    await this.catalog.init(this.client.state.accountId !== null);
    if (this.cleanups.stopped) return;
    this.inboxEvents.update(this.catalog.plugins.values(), this.client.state.accountId !== null);
    this.cleanups.add(this.aliases.start());
    this.version++;
  }

  stop(): void {
    this.cleanups.stop();
  }

  private onCatalogChange(added: RegisteredPlugin[], removed: string[], changed: RegisteredPlugin[]): void {
    if (this.cleanups.stopped) return; // a catalog load that answered after the page went
    for (const id of removed) {
      this.bridge.unmountPlugin(id);
      this.bridge.emit("plugin_disabled", { pluginId: id });
    }
    this.plugins = [...this.catalog.plugins.values()];
    this.hotkeys = bindHotkeys(this.plugins, isMac());
    for (const p of changed) this.bridge.refresh(p.manifest.id);
    for (const p of added) this.bridge.emit("plugin_enabled", { pluginId: p.manifest.id, serverManaged: p.serverManaged });
    this.inboxEvents.update(this.plugins, this.client.state.accountId !== null);
    this.aliases.sync();
    this.version++;
  }

  // ---------------------------------------------------------------- panels

  isOpen(pluginId: string, panelId: string): boolean {
    return this.open[key(pluginId, panelId)] === true;
  }

  setOpen(pluginId: string, panelId: string, open: boolean): void {
    if (this.isOpen(pluginId, panelId) === open) return;
    this.open[key(pluginId, panelId)] = open;
    this.bridge.emit("panel_visibility", { panelId, visible: open }, pluginId);
  }

  toggle(pluginId: string, panelId: string): void {
    this.setOpen(pluginId, panelId, !this.isOpen(pluginId, panelId));
  }

  size(pluginId: string, panelId: string) {
    return this.sizes[key(pluginId, panelId)] ?? {};
  }

  badge(pluginId: string, actionId: string): number {
    return this.badges[key(pluginId, actionId)] ?? 0;
  }

  tooltip(pluginId: string, actionId: string): string | undefined {
    return this.tooltips[key(pluginId, actionId)];
  }

  /** Settings dialog saved: tell the plugin which keys changed (never the values). */
  settingsChanged(pluginId: string, keys: string[]): void {
    if (keys.length) this.bridge.emit("settings_changed", { keys }, pluginId);
  }

  private onKey(e: KeyboardEvent): void {
    for (const h of this.hotkeys) {
      if (!matchesHotkey(e, h.parsed, isMac())) continue;
      e.preventDefault();
      e.stopPropagation();
      const a = h.hotkey.action;
      if (a.type === "event") this.bridge.emit("hotkey", { hotkeyId: h.hotkey.id }, h.pluginId);
      else if (a.type === "openPanel" && a.panelId) this.setOpen(h.pluginId, a.panelId, true);
      else if (a.type === "togglePanel" && a.panelId) this.toggle(h.pluginId, a.panelId);
      return;
    }
  }

  private hostUi(): HostUi {
    return {
      toast: (_pluginId, message, kind, durationMs) => toast(message, kind === "error" ? "danger" : kind === "warning" ? "warn" : "info", durationMs),
      notify: async (title, body, tag) => {
        if (typeof Notification === "undefined") return false;
        try {
          if (Notification.permission === "default") await Notification.requestPermission();
          if (Notification.permission !== "granted") return false;
          new Notification(title, { body, ...(tag ? { tag } : {}) });
          return true;
        } catch {
          return false;
        }
      },
      playSound: (sound, url) => playSound(sound, url),
      setBadge: (pluginId, actionId, count) => void (this.badges[key(pluginId, actionId)] = count),
      setTooltip: (pluginId, actionId, text) => {
        if (text === null) delete this.tooltips[key(pluginId, actionId)];
        else this.tooltips[key(pluginId, actionId)] = text;
      },
      openPanel: (pluginId, panelId) => this.setOpen(pluginId, panelId, true),
      closePanel: (pluginId, panelId) => this.setOpen(pluginId, panelId, false),
      resizePanel: (pluginId, panelId, height, width) => {
        this.sizes[key(pluginId, panelId)] = { height, ...(width !== undefined ? { width } : {}) };
      },
      openPopup: (url) => {
        // No "noopener" feature: it makes window.open return null (§12.5); cut the opener afterwards.
        const w = window.open(url, "_blank");
        const opened = !!w && !w.closed;
        if (w) w.opener = null;
        return opened;
      },
      workspace: () => this.workspace,
      openFile: (path) => void (this.fileView = path),
      openAgentOverlay: (shellId, instanceId) => void (this.agentView = { shellId, ...(instanceId !== undefined ? { instanceId } : {}) }),
    };
  }
}

let audio: AudioContext | null = null;
const TONES: Record<string, number[]> = { chime: [880, 1320], ping: [1320], pop: [440], success: [660, 880], error: [330, 220] };

function playSound(sound: string | undefined, url: string | undefined): void {
  if (url) {
    const u = new URL(url, location.href);
    if (u.protocol !== "https:" && u.origin !== location.origin) throw new Error("Invalid params: url must be https: or on this server");
    void new Audio(u.href).play().catch(() => undefined);
    return;
  }
  const tones = TONES[sound ?? "chime"];
  if (!tones) throw new Error(`Invalid params: unknown sound "${sound}"`);
  try {
    audio ??= new AudioContext();
    tones.forEach((f, i) => {
      const osc = audio!.createOscillator();
      const gain = audio!.createGain();
      osc.frequency.value = f;
      gain.gain.value = 0.05;
      osc.connect(gain).connect(audio!.destination);
      const t = audio!.currentTime + i * 0.12;
      osc.start(t);
      osc.stop(t + 0.1);
    });
  } catch {
    // No audio device: a sound is best effort.
  }
}
