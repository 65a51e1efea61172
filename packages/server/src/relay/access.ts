/**
 * The relay's side of the session-scoped HTTP routes (`../sessions/`): a `SessionAccess` view of one
 * live session — verifiers, session KV and plugins, CLI filesystem requests and remote commands.
 */
import type { RemoteClient, SessionAccess, SessionHttpSettings } from "../seams.js";
import { limitOr } from "./context.js";
import type { Session } from "./session.js";
import { TUNNEL_DEFAULTS } from "./tunnels.js";

export function settingsOf(s: Session): SessionHttpSettings {
  const d = s.ctx.deps;
  return {
    fsAnswerMs: limitOr(d, "fsAnswerMs", 15_000),
    fsReadsPerUser: limitOr(d, "fsReadsPerUser", 4),
    fsStageMaxBytes: limitOr(d, "fsStageMaxBytes", 512 * 1024 * 1024),
    fsWriteMaxBytes: limitOr(d, "fsWriteMaxBytes", 32 * 1024 * 1024),
    downloadTokenMs: limitOr(d, "downloadTokenMs", 10 * 60 * 1000),
    sessionNonceMs: limitOr(d, "sessionNonceMs", 60_000),
    remoteCommandMs: limitOr(d, "remoteCommandMs", 10_000),
    remoteAmbiguous: limitOr(d, "remoteMostRecent", 0) > 0 ? "mostRecent" : "error",
    tunnelBodyMaxBytes: limitOr(d, "tunnelBodyMaxBytes", TUNNEL_DEFAULTS.tunnelBodyMaxBytes),
  };
}

export function sessionAccess(s: Session): SessionAccess {
  return {
    sessionId: s.id,
    ownerAccountId: s.ownerAccountId,
    readersEnabled: s.readersEnabled,
    get cliConnected() {
      return s.cliConnected;
    },
    verifiers: () => s.verifiers,
    settings: settingsOf(s),

    kvList(pluginId) {
      const store = s.kv.plugins.get(pluginId);
      return store ? [...store.entries].map(([key, value]) => ({ key, value })) : [];
    },
    kvGet(pluginId, key) {
      const store = s.kv.plugins.get(pluginId);
      return store?.entries.has(key) ? { found: true, value: store.entries.get(key) } : { found: false };
    },
    kvSet(pluginId, key, value) {
      const r = s.kv.set(pluginId, key, value);
      if (!r.ok) return r;
      s.dirty = true;
      s.broadcast({ t: "pluginKvDiff", pluginId, key, value: value as never, deleted: false, rev: r.rev, userId: 0 });
      return { ok: true };
    },
    kvDelete(pluginId, key) {
      const r = s.kv.delete(pluginId, key);
      if (!r) return;
      s.dirty = true;
      s.broadcast({ t: "pluginKvDiff", pluginId, key, value: null, deleted: true, rev: r.rev, userId: 0 });
    },

    plugins: () => s.plugins,
    setPluginEnabled(pluginId, enabled) {
      if (!Object.hasOwn(s.plugins, pluginId)) return false;
      s.plugins[pluginId] = { ...s.plugins[pluginId]!, enabled };
      s.dirty = true;
      s.broadcast({ t: "sessionPlugins", plugins: s.plugins });
      return true;
    },

    fs: (call) => s.fs.request(call),
    pluginFile: (pluginId, path, maxBytes) => s.fs.pluginFile(pluginId, path, maxBytes),

    remoteClients(): RemoteClient[] {
      return s.authedPeers().map((p) => ({
        userId: p.userId, name: p.name, device: p.device, role: p.role, focus: p.focus, activeAt: p.activeAt,
      }));
    },
    shellOwner(shellId) {
      const shell = s.shells.get(shellId);
      if (!shell || shell.ownerUserId === null || !shell.ownerTokenHash) return undefined;
      return s.peers.get(shell.ownerUserId)?.authed ? shell.ownerUserId : undefined;
    },
    async remoteCommand(userId, method, params, sourceShellId) {
      const peer = s.peers.get(userId);
      if (!peer?.authed || s.ended) return { ok: false, kind: "gone", error: "No active browser clients responded" };
      return s.remote.send(peer, method, params, sourceShellId);
    },

    tunnelPorts: () => [...s.tunnels.ports],
    tunnel: (call, sink) => s.tunnels.request(call, sink),
  };
}

/** Ids of sessions that ended (bounded, oldest forgotten first) and end listeners. */
export class EndedSessions {
  private readonly ids = new Set<string>();
  private readonly listeners: Array<(id: string) => void> = [];

  constructor(private readonly max = 10_000) {}

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
    for (const l of this.listeners) {
      try {
        l(id);
      } catch {
        // a listener's failure must not break ending a session
      }
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  listen(l: (id: string) => void): void {
    this.listeners.push(l);
  }
}
