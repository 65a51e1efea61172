import { describe, expect, it } from "vitest";
import { PLUGIN_EVENT_CATEGORIES, PLUGIN_EVENT_TYPES, PLUGIN_EVENTS, canReceiveEvent, eventPermission } from "./events.js";

const SPEC_EVENTS = `shell:data shells_changed terminal_title_changed user_joined user_left user_focused user_unfocused chat
agent_status agent.user_message agent.assistant_message agent.thinking agent.tool_call agent.tool_result agent.token_usage
agent.session_start agent.session_end agent.turn_complete agent.file_change agent.interrupt session_renamed shell_adopted
adoption_requested adoption_resolved layout_changed tile_opened tile_closed tile_focused workspace_changed tunnels_changed
plugin_enabled plugin_disabled plugin_data_changed plugin_event settings_changed panel_visibility hotkey alias_invoked`.split(/\s+/);
// taiku's own events beyond §8 (docs/plugin-guide.md "Inbox").
const TAIKU_EVENTS = ["inbox.thread_updated", "inbox.note_added"];

// §17 event data fields, copied from the spec so a renamed key fails loudly.
const SPEC_FIELDS = `shellId shellIds count userName userId device canWrite focus previousFocus message mine instanceId sessionId
agentType status model tokenUsage eventCount agentSessionId agent text tool_name is_error output version duration_ms action
path`.split(/\s+/);

describe("events", () => {
  it("uses every data field name of §17", () => {
    const keys = new Set(PLUGIN_EVENT_TYPES.flatMap((t) => Object.keys((PLUGIN_EVENTS[t].data as unknown as { shape: object }).shape)));
    expect(SPEC_FIELDS.filter((f) => !keys.has(f))).toEqual([]);
    expect(Object.keys(PLUGIN_EVENTS.agent_status.data.shape)).toContain("tokenUsage");
  });

  it("names exactly the events of §8", () => {
    expect([...PLUGIN_EVENT_TYPES].sort()).toEqual([...SPEC_EVENTS, ...TAIKU_EVENTS].sort());
  });
  it("gates content events behind their permission, on top of events.subscribe", () => {
    const base = ["events.subscribe"];
    expect(canReceiveEvent({ type: "shell:data", data: { shellId: 1 } }, base, "p")).toBe(true);
    expect(canReceiveEvent({ type: "shell:data", data: { shellId: 1 } }, [], "p")).toBe(false);
    for (const [type, perm] of [["chat", "chat.read"], ["agent_status", "agent.events"], ["agent.tool_call", "agent.events"],
      ["tunnels_changed", "tunnel.read"], ["alias_invoked", "shell.alias"], ["inbox.thread_updated", "inbox.read"], ["inbox.note_added", "inbox.read"]] as const) {
      expect(canReceiveEvent({ type, data: {} }, base, "p"), type).toBe(false);
      expect(canReceiveEvent({ type, data: {} }, [...base, perm], "p"), type).toBe(true);
    }
  });
  it("gates every agent.* event, even ones newer than this table", () => {
    for (const t of PLUGIN_EVENT_TYPES.filter((t) => t.startsWith("agent"))) expect(eventPermission(t, {}, "p")).toBe("agent.events");
    expect(eventPermission("agent.future_thing", {}, "p")).toBe("agent.events");
    expect(eventPermission("inbox.future_thing", {}, "p")).toBe("inbox.read");
  });
  it("plugin_data_changed: own plugin free, other plugins need kv.read", () => {
    expect(eventPermission("plugin_data_changed", { pluginId: "me" }, "me")).toBeNull();
    expect(eventPermission("plugin_data_changed", { pluginId: "other" }, "me")).toBe("kv.read");
  });
  it("each event name contains its Event Log category", () => {
    const uncategorised = PLUGIN_EVENT_TYPES.filter((t) => !PLUGIN_EVENT_CATEGORIES.some((c) => t.includes(c)));
    expect(uncategorised).toEqual(["session_renamed", "adoption_requested", "adoption_resolved", "settings_changed", "panel_visibility", "hotkey", "alias_invoked"]);
  });
  it("data schemas accept the documented example payloads and keep extra fields", () => {
    const r = PLUGIN_EVENTS.agent_status.data.parse({ shellId: 1, agentType: "claude", status: "running", extra: 1 });
    expect(r).toMatchObject({ extra: 1 });
    expect(PLUGIN_EVENTS.user_joined.data.safeParse({ userName: "a", device: "Mac Web", canWrite: true }).success).toBe(false);
  });
});
