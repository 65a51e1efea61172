/**
 * Events delivered to plugins as `taiku:event` (spec §8) and which permission gates each (§6.4).
 * Every event needs `events.subscribe` (and a `subscribeEvents` call); some need one more permission.
 * Data schemas describe what hosts send; they are loose objects so that extra fields pass through.
 */
import { z } from "zod";
import type { PluginPermission } from "./permissions.js";
import { inboxNoteAddedData, inboxThreadUpdatedData } from "./inbox.js";

const n = z.number();
const s = z.string();
const data = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

export const PLUGIN_AGENT_TYPES = ["claude", "codex", "opencode"] as const;
export const PLUGIN_AGENT_STATUSES = ["running", "thinking", "waiting", "tool_use", "idle", "done", "stopped"] as const;

export const pluginTokenUsage = z.object({ input: n, output: n, cached: n, cost: n });
/** Also the element type of `getAgents` (§7.8). */
export const agentStatusData = data({
  shellId: n,
  instanceId: s.optional(),
  sessionId: s.optional(),
  agentType: z.enum(PLUGIN_AGENT_TYPES),
  status: z.enum(PLUGIN_AGENT_STATUSES),
  model: s.optional(),
  tokenUsage: pluginTokenUsage.optional(),
  eventCount: n.optional(),
});
export type PluginAgentStatus = z.infer<typeof agentStatusData>;

interface EventSpec {
  readonly data: z.ZodType;
  /** Needed in addition to `events.subscribe`. */
  readonly permission?: PluginPermission;
}

const agent = (shape: z.ZodRawShape): EventSpec => ({ data: data(shape), permission: "agent.events" });

export const PLUGIN_EVENTS = {
  "shell:data": { data: data({ shellId: n }) },
  shells_changed: { data: data({ shellIds: z.array(n), count: n }) },
  terminal_title_changed: { data: data({ shellId: n, title: s.nullable(), customName: s.nullable().optional() }) },
  user_joined: { data: data({ userName: s, userId: n, device: s, canWrite: z.boolean() }) },
  user_left: { data: data({ userName: s, userId: n, device: s }) },
  user_focused: { data: data({ userName: s, device: s, focus: n, userId: n }) },
  user_unfocused: { data: data({ userName: s, device: s, previousFocus: n, userId: n }) },
  chat: { data: data({ userName: s, message: s, mine: z.boolean(), userId: n }), permission: "chat.read" },
  agent_status: { data: agentStatusData, permission: "agent.events" },
  "agent.user_message": agent({ agentSessionId: s, agent: s, text: s, shellId: n.optional() }),
  "agent.assistant_message": agent({ agentSessionId: s, agent: s, text: s, shellId: n.optional() }),
  "agent.thinking": agent({ text: s }),
  "agent.tool_call": agent({ tool_name: s }),
  "agent.tool_result": agent({ is_error: z.boolean(), output: s }),
  "agent.token_usage": agent({ input: n, output: n, cached: n, cost: n }),
  "agent.session_start": agent({ model: s, version: s }),
  "agent.session_end": agent({ duration_ms: n }),
  "agent.turn_complete": agent({ duration_ms: n }),
  "agent.file_change": agent({ action: s, path: s }),
  "agent.interrupt": agent({ tool_name: s.optional() }),
  session_renamed: { data: data({ name: s }) },
  shell_adopted: { data: data({ shellId: n, ownerUserId: n, ownerName: s }) },
  adoption_requested: { data: data({ shellId: n, fromUserId: n, fromName: s }) },
  adoption_resolved: { data: data({ shellId: n, status: z.enum(["adopted", "denied", "expired"]) }) },
  layout_changed: { data: data({ workspaceIndex: n }) },
  tile_opened: { data: data({ key: n, type: s, shellId: n.optional() }) },
  tile_closed: { data: data({ key: n }) },
  tile_focused: { data: data({ key: n }) },
  workspace_changed: { data: data({ activeIndex: n, count: n }) },
  tunnels_changed: { data: data({ tunnels: z.array(z.object({ port: n, url: s })) }), permission: "tunnel.read" },
  plugin_enabled: { data: data({ pluginId: s, serverManaged: z.boolean() }) },
  plugin_disabled: { data: data({ pluginId: s }) },
  /** Own plugin: no extra permission; another plugin's keys need `kv.read` (see `eventPermission`). */
  plugin_data_changed: { data: data({ pluginId: s, key: s, deleted: z.boolean(), userName: s }) },
  /** Custom events sent with `broadcastEvent` (sender needs `events.broadcast`). */
  plugin_event: { data: data({ pluginId: s, name: s, data: z.unknown(), userId: n, userName: s, mine: z.boolean() }) },
  settings_changed: { data: data({ keys: z.array(s) }) },
  panel_visibility: { data: data({ panelId: s, visible: z.boolean() }) },
  hotkey: { data: data({ hotkeyId: s }) },
  "inbox.thread_updated": { data: inboxThreadUpdatedData, permission: "inbox.read" },
  "inbox.note_added": { data: inboxNoteAddedData, permission: "inbox.read" },
  alias_invoked: {
    data: data({ invocationId: n, name: s, args: z.array(s), shellId: n, cwd: s, userName: s }),
    permission: "shell.alias",
  },
} as const satisfies Record<string, EventSpec>;

export type PluginEventType = keyof typeof PLUGIN_EVENTS;
export type PluginEventData<T extends PluginEventType> = z.infer<(typeof PLUGIN_EVENTS)[T]["data"]>;
export const PLUGIN_EVENT_TYPES = Object.keys(PLUGIN_EVENTS) as PluginEventType[];
export const isPluginEventType = (t: unknown): t is PluginEventType => typeof t === "string" && Object.hasOwn(PLUGIN_EVENTS, t);

/** Wildcard accepted by the SDK's `on("*")`. */
export const ANY_EVENT = "*";

/**
 * The permission, beyond `events.subscribe`, that delivery of an event to `receiverPluginId` needs, or
 * null. Any `agent.*` type is gated by `agent.events` even if it is newer than this table, so agent
 * telemetry never leaks through an unknown name.
 */
export function eventPermission(type: string, data: unknown, receiverPluginId: string): PluginPermission | null {
  if (type.startsWith("agent.") || type.startsWith("agent_")) return "agent.events";
  if (type.startsWith("inbox.")) return "inbox.read";
  if (type === "plugin_data_changed") {
    const owner = (data as { pluginId?: unknown } | null)?.pluginId;
    return owner === receiverPluginId ? null : "kv.read";
  }
  return isPluginEventType(type) ? ((PLUGIN_EVENTS[type] as EventSpec).permission ?? null) : null;
}

/** Whether a mount of `receiverPluginId` holding `granted` may receive this event (§6.4). */
export function canReceiveEvent(
  event: { type: string; data: unknown },
  granted: ReadonlySet<string> | readonly string[],
  receiverPluginId: string,
): boolean {
  const has = Array.isArray(granted) ? new Set(granted) : (granted as ReadonlySet<string>);
  if (!has.has("events.subscribe")) return false;
  const extra = eventPermission(event.type, event.data, receiverPluginId);
  return extra === null || has.has(extra);
}

/** Event-name categories of the official Event Log filter (§8 notes): each is a substring of its events. */
export const PLUGIN_EVENT_CATEGORIES = ["agent", "chat", "user", "shell", "terminal", "layout", "tile", "workspace", "tunnel", "plugin", "inbox"] as const;
