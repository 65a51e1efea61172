/**
 * Session state changes → plugin events (spec §8). `diffEvents` is pure: given the previous and next
 * state it lists the events to emit. `routeSessionEvents` wires a session client, the output tap and the
 * session KV view to a bridge's `emit`.
 */
import type { SessionState } from "../common/session-state.js";
import type { AgentTracker } from "./agents.js";
import type { SessionKvView } from "./session-kv.js";
import type { OutputTap } from "./output-tap.js";
import type { SessionLike } from "./types.js";

export interface PluginEventOut {
  type: string;
  data: Record<string, unknown>;
  /** Deliver to this plugin only (e.g. per-plugin events). */
  only?: string;
}

export function diffEvents(prev: SessionState, next: SessionState): PluginEventOut[] {
  const out: PluginEventOut[] = [];
  // Nothing before the initial state is complete: late-joining hosts must not see everyone "join".
  if (prev.status !== "online" && next.status !== "online") return out;
  const firstSync = prev.status !== "online" && next.status === "online";
  if (firstSync) return out;

  if (prev.users !== next.users) {
    const before = new Map(prev.users.map((u) => [u.userId, u]));
    const after = new Map(next.users.map((u) => [u.userId, u]));
    for (const [id, u] of after) {
      const old = before.get(id);
      if (!old) out.push({ type: "user_joined", data: { userName: u.name, userId: id, device: u.device, canWrite: u.canWrite } });
      else if (old.focus !== u.focus) {
        if (old.focus !== null) out.push({ type: "user_unfocused", data: { userName: u.name, device: u.device, previousFocus: old.focus, userId: id } });
        if (u.focus !== null) out.push({ type: "user_focused", data: { userName: u.name, device: u.device, focus: u.focus, userId: id } });
      }
    }
    for (const [id, u] of before) if (!after.has(id)) out.push({ type: "user_left", data: { userName: u.name, userId: id, device: u.device } });
  }

  if (prev.shells !== next.shells) {
    const a = prev.shells.map((s) => s.id).join(",");
    const b = next.shells.map((s) => s.id).join(",");
    if (a !== b) out.push({ type: "shells_changed", data: { shellIds: next.shells.map((s) => s.id), count: next.shells.length } });
    const names = new Map(prev.shells.map((s) => [s.id, s.name]));
    for (const s of next.shells) {
      if (names.has(s.id) && names.get(s.id) !== s.name) {
        out.push({ type: "terminal_title_changed", data: { shellId: s.id, title: next.titles[s.id] ?? null, customName: s.name } });
      }
    }
  }
  if (prev.titles !== next.titles) {
    for (const [id, title] of Object.entries(next.titles)) {
      if (prev.titles[Number(id)] !== title) {
        const shell = next.shells.find((s) => s.id === Number(id));
        out.push({ type: "terminal_title_changed", data: { shellId: Number(id), title, customName: shell?.name ?? null } });
      }
    }
  }

  if (prev.tunnels !== next.tunnels && JSON.stringify(prev.tunnels) !== JSON.stringify(next.tunnels)) {
    out.push({ type: "tunnels_changed", data: { tunnels: next.tunnels.map((t) => ({ port: t.port, url: t.url })) } });
  }

  if (prev.info?.name !== next.info?.name && next.info?.name) out.push({ type: "session_renamed", data: { name: next.info.name } });

  if (prev.owners !== next.owners) {
    const before = new Map(prev.owners.map((o) => [o.shellId, o.userId]));
    for (const o of next.owners) {
      if (o.userId !== null && before.has(o.shellId) && before.get(o.shellId) !== o.userId) {
        out.push({ type: "shell_adopted", data: { shellId: o.shellId, ownerUserId: o.userId, ownerName: o.name ?? "" } });
      }
    }
  }

  if (prev.chat !== next.chat) {
    const seen = new Set(prev.chat.map((m) => m.id));
    for (const m of next.chat) {
      if (seen.has(m.id)) continue;
      out.push({ type: "chat", data: { userName: m.name, message: m.message, mine: next.myUserIds.includes(m.userId), userId: m.userId } });
    }
  }

  if (prev.adoptionPrompts !== next.adoptionPrompts) {
    const seen = new Set(prev.adoptionPrompts.map((p) => p.requestId));
    for (const p of next.adoptionPrompts) {
      if (!seen.has(p.requestId)) out.push({ type: "adoption_requested", data: { shellId: p.shellId, fromUserId: p.fromUserId, fromName: p.fromName } });
    }
  }
  return out;
}

export type Emit = (type: string, data: unknown, onlyPluginId?: string) => void;

/** Subscribe everything; returns a function that stops routing. */
export function routeSessionEvents(session: SessionLike, kv: SessionKvView, output: OutputTap, agents: AgentTracker, emit: Emit): () => void {
  let prev = session.state;
  const offs = [
    session.events.on("state", (next) => {
      const events = diffEvents(prev, next);
      if (prev.shells !== next.shells) agents.retain(next.shells.map((s) => s.id));
      prev = next;
      for (const e of events) emit(e.type, e.data, e.only);
    }),
    session.events.on("pluginKvDiff", (m) => {
      const mine = session.state.myUserIds.includes(m.userId);
      kv.onDiff(m.pluginId, m.key, mine);
      const userName = session.state.users.find((u) => u.userId === m.userId)?.name ?? (m.userId === 0 ? "server" : "");
      emit("plugin_data_changed", { pluginId: m.pluginId, key: m.key, deleted: m.deleted, userName });
    }),
    session.events.on("pluginEvent", (m) => {
      emit("plugin_event", { pluginId: m.pluginId, name: m.name, data: m.data, userId: m.userId, userName: m.userName, mine: session.state.myUserIds.includes(m.userId) });
    }),
    session.events.on("agentEvent", (e) => {
      // Events of a shell carry its id (§8 "+ shellId"), whatever the CLI put in the payload.
      const data = { ...e.data, shellId: typeof e.data.shellId === "number" ? e.data.shellId : e.shellId };
      if (e.type === "agent_status") agents.update(data as never);
      else if (e.type.startsWith("agent.")) agents.record(e.type, data, e.timestamp);
      emit(e.type, data);
    }),
    session.events.on("adoptionResult", (m) => emit("adoption_resolved", { shellId: m.shellId, status: m.status })),
    session.events.on("error", (e) => {
      // The relay refused a session KV write (quota, reserved name): drop our optimistic copy.
      if (e.code === "quota" || /session kv|reserved name/i.test(e.message)) kv.reset();
    }),
    output.onData((shellId) => emit("shell:data", { shellId })),
  ];
  return () => offs.forEach((off) => off());
}
