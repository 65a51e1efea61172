/**
 * Bodies of the bridge methods (spec §7) that run against in-memory session state, the page UI and
 * local storage. Preflight (method lookup, permission, params, toolkit declaration) has already run in
 * the bridge; these do the role checks and the work. HTTP-backed methods are in remote-methods.ts.
 * A capability this server does not have answers `notSupportedError(method)` at once.
 */
import {
  BRIDGE_ACK, BRIDGE_ERRORS, notSupportedError,
  type BridgeMethod, type BridgeMethodParams, type BridgeShellOwnership, type BridgeUser, type PluginShellInfo,
} from "@taiku/protocol";
import { ownerOf } from "../common/session-state.js";
import { createRemoteMethods } from "./remote-methods.js";
import { createInboxMethods } from "./inbox-methods.js";
import type { HostServices, Mount, RegisteredPlugin } from "./types.js";

export interface CallContext {
  plugin: RegisteredPlugin;
  mount: Mount;
  /** The request came over the mount's MessagePort rather than the window. */
  viaPort: boolean;
}

export type MethodTable = { [M in BridgeMethod]: (p: BridgeMethodParams<M>, c: CallContext) => unknown };

/** What the methods need back from the bridge. */
export interface BridgeCallbacks {
  allowBroadcast(mount: Mount): boolean;
}

const CLI_WAIT_MS = 10_000;

export function createMethods(s: HostServices, bridge: BridgeCallbacks): MethodTable {
  const st = () => s.session.state;
  const unsupported = (method: BridgeMethod) => (): never => {
    throw new Error(notSupportedError(method));
  };
  const shell = (shellId: number) => {
    const found = st().shells.find((x) => x.id === shellId);
    if (!found) throw new Error(BRIDGE_ERRORS.shellNotFound(shellId));
    return found;
  };
  const requireWriter = () => {
    if (!st().canWrite || st().role === "reader") throw new Error(BRIDGE_ERRORS.writeAuthRequired);
  };
  const requireAdmin = () => {
    if (st().role !== "admin") throw new Error(BRIDGE_ERRORS.adminAuthRequired);
  };
  const mayManageShell = (shellId: number) => {
    const owner = ownerOf(st(), shellId);
    if (st().role !== "admin" && owner?.userId !== st().userId) throw new Error(BRIDGE_ERRORS.notShellOwner);
  };
  const mine = (userId: number) => st().myUserIds.includes(userId);
  const workspace = (method: BridgeMethod) => s.ui.workspace() ?? unsupported(method)();

  // Focus lock (§3.5): the relay tells us when another user holds a shell; remember it briefly.
  const locks = new Map<number, { name: string; at: number }>();
  s.session.events.on("focusLocked", (m) => locks.set(m.shellId, { name: m.holderName, at: s.now() }));

  const kvOwn = (c: CallContext) => c.plugin.manifest.id;

  return {
    // ------------------------------------------------------------ §7.1 session, users, shells
    getSession: () => {
      const x = st();
      return {
        id: x.sessionId,
        name: x.info?.name ?? null,
        role: x.role ?? "reader",
        userId: x.userId ?? 0,
        readersEnabled: x.info?.readersEnabled ?? false,
        ownerName: x.info?.ownerName ?? null,
        cliConnected: x.cli.connected,
        createdAt: x.info?.createdAt ?? 0,
      };
    },
    getShells: (): PluginShellInfo[] =>
      st().shells.map((sh) => {
        const owner = ownerOf(st(), sh.id);
        return {
          id: sh.id, rows: sh.rows, cols: sh.cols, name: sh.name ?? st().titles[sh.id] ?? null,
          ownerName: owner?.name ?? null, owned: owner?.userId != null && owner.userId === st().userId, agent: null,
        };
      }),
    getTerminalNames: () =>
      st().shells.map((sh) => ({
        shellId: sh.id,
        ...(st().titles[sh.id] ? { name: st().titles[sh.id] } : {}),
        ...(sh.name ? { customName: sh.name } : {}),
      })),
    getUsers: (): BridgeUser[] =>
      st().users.map((u) => ({ userId: u.userId, name: u.name, device: u.device, role: u.role, canWrite: u.canWrite, focus: u.focus, isMe: u.userId === st().userId })),
    getUserRole: () => ({ role: st().role ?? "reader", userId: st().userId ?? 0 }),
    renameSession: (p) => {
      requireAdmin();
      s.session.renameSession(p.name);
    },
    setTerminalName: (p) => {
      shell(p.shellId);
      mayManageShell(p.shellId);
      s.session.setTerminalName(p.shellId, p.name);
    },
    getPluginInfo: (_p, c) => ({
      pluginId: c.plugin.manifest.id, panelId: c.mount.panelId, version: c.plugin.manifest.version,
      permissions: [...c.plugin.grantedPermissions], serverManaged: c.plugin.serverManaged, hostVersion: s.hostVersion,
    }),

    // ------------------------------------------------------------ §7.2 terminal I/O and ownership
    getShellOutput: (p) => {
      shell(p.shellId);
      return { chunks: s.output.chunks(p.shellId, p.chunks) };
    },
    writeToShell: (p) => {
      requireWriter();
      shell(p.shellId);
      if (!st().cli.connected) throw new Error(BRIDGE_ERRORS.cliNotConnected);
      const lock = locks.get(p.shellId);
      if (lock && s.now() - lock.at < 1500) throw new Error(BRIDGE_ERRORS.focusLocked(lock.name));
      s.session.sendInput(p.shellId, p.data);
    },
    createShell: (p) => {
      requireWriter();
      if (!st().cli.connected) throw new Error(BRIDGE_ERRORS.cliNotConnected);
      const known = new Set(st().shells.map((x) => x.id));
      const last = st().shells.at(-1);
      s.session.createShell(p.rows ?? last?.rows ?? 24, p.cols ?? last?.cols ?? 80);
      return waitForState(s, (x) => x.shells.find((sh) => !known.has(sh.id) && sh.creatorUserId !== null && mine(sh.creatorUserId)), CLI_WAIT_MS)
        .then((sh) => ({ shellId: sh.id }));
    },
    closeShell: (p) => {
      requireWriter();
      shell(p.shellId);
      mayManageShell(p.shellId);
      s.session.closeShell(p.shellId);
    },
    getShellOwnership: (): BridgeShellOwnership => {
      const out: BridgeShellOwnership = { owned: [], remote: [], unowned: [] };
      for (const sh of st().shells) {
        const o = ownerOf(st(), sh.id);
        if (!o || (o.userId === null && o.name === null)) out.unowned.push(sh.id);
        else if (o.userId === st().userId) out.owned.push(sh.id);
        else out.remote.push({ shellId: sh.id, userName: o.name ?? "someone" });
      }
      return out;
    },
    adoptShell: async (p) => {
      shell(p.shellId);
      if (!st().canWrite) return { status: "denied", message: BRIDGE_ERRORS.writeAuthRequired };
      if (ownerOf(st(), p.shellId)?.userId === st().userId) return { status: "adopted" };
      const requestId = s.session.adoptRequest(p.shellId);
      const status = await new Promise<string | null>((resolve) => {
        const off = s.session.events.on("adoptionResult", (m) => {
          if (m.requestId !== requestId) return;
          off();
          resolve(m.status);
        });
        setTimeout(() => (off(), resolve(null)), 1500);
      });
      return status === "adopted" ? { status: "adopted" } : status === null ? { status: "requested" } : { status: "denied", message: `Adoption ${status}` };
    },

    // ------------------------------------------------------------ §7.3 chat and events
    getChatHistory: (p) => ({
      messages: st().chat.slice(-p.limit).map((m) => ({ userId: m.userId, userName: m.name, message: m.message, timestamp: m.ts, mine: mine(m.userId) })),
    }),
    sendChatMessage: (p) => {
      s.session.chat(p.message);
    },
    // A waiting alias call nobody listens for any more fails at once (AliasHost.unsubscribed).
    subscribeEvents: (p, c) => {
      c.mount.events[c.viaPort ? "port" : "window"] = { types: p.types ? new Set(p.types) : null };
      s.aliases?.unsubscribed(c.plugin.manifest.id);
    },
    unsubscribeEvents: (_p, c) => {
      c.mount.events[c.viaPort ? "port" : "window"] = null;
      s.aliases?.unsubscribed(c.plugin.manifest.id);
    },
    broadcastEvent: (p, c) => {
      if (!bridge.allowBroadcast(c.mount)) throw new Error("Rate limit exceeded");
      s.session.send({ t: "pluginEvent", pluginId: c.plugin.manifest.id, name: p.name, data: p.data ?? null });
    },

    // ------------------------------------------------------------ §7.4 UI
    showToast: (p, c) => s.ui.toast(c.plugin.manifest.id, p.message, p.kind, p.duration),
    sendNotification: async (p) => ({ shown: await s.ui.notify(p.title, p.body, p.tag) }),
    playSound: (p) => s.ui.playSound(p.sound, p.url, p.volume),
    setBadge: (p, c) => {
      action(c, p.actionId);
      s.ui.setBadge(c.plugin.manifest.id, p.actionId, p.count);
    },
    setTooltip: (p, c) => {
      action(c, p.actionId);
      s.ui.setTooltip(c.plugin.manifest.id, p.actionId, p.text);
    },
    resizePanel: (p, c) => {
      panel(c, p.panelId);
      s.ui.resizePanel(c.plugin.manifest.id, p.panelId, p.height, p.width);
    },
    openPanel: (p, c) => {
      panel(c, p.panelId);
      s.ui.openPanel(c.plugin.manifest.id, p.panelId);
    },
    closePanel: (p, c) => {
      panel(c, p.panelId);
      s.ui.closePanel(c.plugin.manifest.id, p.panelId);
    },
    openFile: (p) => s.ui.openFile(p.path),
    openAgentOverlay: (p) => {
      shell(p.shellId);
      s.ui.openAgentOverlay(p.shellId, p.instanceId);
    },

    // ------------------------------------------------------------ §7.5 workspace and layout (the page's pages and tiles)
    getWorkspaces: () => workspace("getWorkspaces").workspaces(),
    getLayout: () => workspace("getLayout").tiles(),
    getLayoutTree: (p) => workspace("getLayoutTree").tree(p.index),
    splitShell: (p) => {
      requireWriter();
      if (!st().cli.connected) throw new Error(BRIDGE_ERRORS.cliNotConnected);
      return workspace("splitShell").splitShell({ direction: p.direction, ratio: p.ratio, ...(p.key !== undefined ? { key: p.key } : {}) });
    },
    createWorkspace: (p) => workspace("createWorkspace").createWorkspace(p.name),
    switchWorkspace: (p) => workspace("switchWorkspace").switchWorkspace(p.index),
    openTile: (p) => workspace("openTile").openTile(p),
    focusTile: (p) => workspace("focusTile").focusTile(p.key),
    closeTile: (p) => workspace("closeTile").closeTile(p.key),

    // ------------------------------------------------------------ §7.6 tunnels, §7.8 agents, §7.14 aliases
    getTunnels: () => st().tunnels.map((t) => ({ port: t.port, url: t.url })),
    getAgents: () => s.agents.list(),
    respondAlias: (p, c) => (s.aliases ? s.aliases.respond(c.plugin.manifest.id, p) : unsupported("respondAlias")()),

    // ------------------------------------------------------------ §7.9 session KV
    setPluginData: (p, c) => s.kv.set(kvOwn(c), p.key, p.value),
    getPluginData: (p, c) => s.kv.get(kvOwn(c), p.key),
    getAllPluginData: (_p, c) => s.kv.entries(kvOwn(c)),
    deletePluginData: (p, c) => s.kv.delete(kvOwn(c), p.key),
    getOtherPluginData: (p) => s.kv.get(p.pluginId, p.key),
    getAllOtherPluginData: (p) => s.kv.entries(p.pluginId),
    setOtherPluginData: (p) => s.kv.set(p.pluginId, p.key, p.value),
    deleteOtherPluginData: (p) => s.kv.delete(p.pluginId, p.key),

    // ------------------------------------------------------------ §7.12 local settings and secrets
    getSecret: (p, c) => s.local.getSecret(c.plugin.manifest.id, p.key),
    getSetting: (p, c) => s.local.getSetting(c.plugin.manifest, p.key),
    getSettings: (_p, c) => s.local.getSettings(c.plugin.manifest),
    setSetting: (p, c) => {
      s.local.setSetting(c.plugin.manifest.id, p.key, p.value);
      return BRIDGE_ACK;
    },

    // ------------------------------------------------------------ HTTP-backed: user KV, files, fs, integrations
    ...createRemoteMethods(s),
    ...createInboxMethods(s),
  };
}

function action(c: CallContext, actionId: string): void {
  if (!c.plugin.manifest.toolbarActions.some((a) => a.id === actionId)) throw new Error(BRIDGE_ERRORS.invalidParams(`unknown toolbar action "${actionId}"`));
}

function panel(c: CallContext, panelId: string): void {
  if (!c.plugin.manifest.panels.some((p) => p.id === panelId && !p.background)) throw new Error(BRIDGE_ERRORS.invalidParams(`unknown panel "${panelId}"`));
}

/** Resolve with `pick(state)` once it is defined; `CLI did not respond` after `ms`. */
function waitForState<T>(s: HostServices, pick: (st: HostServices["session"]["state"]) => T | undefined, ms: number): Promise<T> {
  const now = pick(s.session.state);
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const off = s.session.events.on("state", (st) => {
      const v = pick(st);
      if (v === undefined) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
    const timer = setTimeout(() => (off(), reject(new Error(BRIDGE_ERRORS.cliDidNotRespond))), ms);
  });
}
