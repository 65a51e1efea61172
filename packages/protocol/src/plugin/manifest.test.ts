import { describe, expect, it } from "vitest";
import { parseHotkey, validateManifest, type ManifestResult } from "./manifest.js";

/** §4.10: shape of the official Agent Monitor manifest. */
const agentMonitor = {
  id: "taiku.agent-monitor",
  name: "Agent Monitor",
  version: "1.1.0",
  author: "taiku",
  description: "Track AI agent activity across shells",
  tagline: "See what your AI agents are doing",
  categories: ["ai", "monitoring"],
  permissions: ["events.subscribe", "session.read", "agent.events", "ui.panel", "ui.toolbar.custom", "hotkey.register"],
  panels: [{ id: "agent-monitor-panel", title: "Agent Monitor", position: "sidebar", htmlUrl: "panel.html", defaultWidth: 340 }],
  toolbarActions: [{ id: "open-agents", label: "Agent Monitor", icon: '<svg width="18" height="18"></svg>', panelId: "agent-monitor-panel" }],
  hotkeys: [
    { id: "toggle-agent-monitor", label: "Toggle Agent Monitor", hotkey: "Cmd+Shift+A", category: "Plugins", action: { type: "openPanel", panelId: "agent-monitor-panel" } },
  ],
};

/** Seed 000, "Manifest setup". */
const issueHelper = {
  id: "my-org.issue-helper",
  name: "Issue Helper",
  version: "1.0.0",
  permissions: ["integrations.read", "integrations.connect", "integrations.execute", "ui.panel", "ui.toolbar.custom"],
  integrations: ["github", "linear"],
  panels: [{ id: "issues-panel", title: "Issue Helper", position: "sidebar", htmlUrl: "panel.html", defaultWidth: 360 }],
};

/** Seed 000's Integrations Demo as shipped in the default registry (§15). */
const integrationsDemo = {
  id: "example.integrations",
  name: "Integrations Demo",
  version: "1.0.0",
  permissions: ["integrations.read", "integrations.connect", "integrations.execute", "ui.panel", "ui.toolbar.custom"],
  integrations: ["GitHub"],
  panels: [{ id: "integrations-panel", title: "Integrations", htmlUrl: "panel.html", defaultWidth: 360 }],
  toolbarActions: [{ id: "open-integrations", label: "Integrations", icon: "<svg></svg>", panelId: "integrations-panel" }],
};

/** §4.10 settings/secrets example. */
const settingsExample = {
  id: "my-org.settings",
  name: "Settings",
  version: "0.1.0",
  settings: [
    { key: "refresh_interval", label: "Refresh interval (ms)", type: "number", default: 5000, min: 1000 },
    { key: "theme", label: "Theme", type: "select", default: "dark", options: [{ value: "dark", label: "Dark" }, { value: "light", label: "Light" }] },
    { key: "show_timestamps", label: "Show timestamps", type: "boolean", default: true },
  ],
  secrets: [{ key: "api_key", label: "API key", required: true }],
};

function ok(r: ManifestResult) {
  if (!r.ok) throw new Error(r.error);
  return r;
}
const rejected = (raw: unknown) => {
  const r = validateManifest(raw);
  if (r.ok) throw new Error("expected a rejection");
  return r.error;
};
const withAm = (patch: Record<string, unknown>) => ({ ...agentMonitor, ...patch });

describe("validateManifest: fixtures", () => {
  it("accepts the Agent Monitor manifest unchanged, with no warnings", () => {
    const r = ok(validateManifest(agentMonitor));
    expect(r.warnings).toEqual([]);
    expect(r.manifest.permissions).toEqual(agentMonitor.permissions);
    expect(r.manifest.panels).toEqual(agentMonitor.panels);
    expect(r.manifest.toolbarActions).toEqual(agentMonitor.toolbarActions);
    expect(r.manifest.hotkeys).toEqual(agentMonitor.hotkeys);
    expect(r.manifest.categories).toEqual(["ai", "monitoring"]);
  });

  it("accepts seed 000's Issue Helper and the Integrations Demo, normalising slugs to lowercase", () => {
    expect(ok(validateManifest(issueHelper)).manifest.integrations).toEqual(["github", "linear"]);
    const demo = ok(validateManifest(integrationsDemo));
    expect(demo.manifest.integrations).toEqual(["github"]);
    expect(demo.manifest.panels[0]!.position).toBe("sidebar");
  });

  it("accepts the settings/secrets example", () => {
    const r = ok(validateManifest(settingsExample));
    expect(r.manifest.settings.map((s) => s.key)).toEqual(["refresh_interval", "theme", "show_timestamps"]);
    expect(r.manifest.secrets[0]).toEqual({ key: "api_key", label: "API key", required: true });
  });

  it("accepts the manifest as JSON text and ignores unknown top-level fields", () => {
    const r = ok(validateManifest(JSON.stringify({ ...agentMonitor, futureField: { x: 1 } })));
    expect(r.manifest).not.toHaveProperty("futureField");
  });
});

describe("validateManifest: rule 1 (object ≤ 256 KiB)", () => {
  it("rejects non-objects and invalid JSON", () => {
    expect(rejected([agentMonitor])).toBe("Plugin <unknown> rejected: manifest: must be a JSON object");
    expect(rejected("{nope")).toBe("Plugin <unknown> rejected: manifest: not valid JSON");
  });
  it("rejects a manifest over 256 KiB", () => {
    expect(rejected(withAm({ description: "x", padding: "y".repeat(256 * 1024) }))).toBe(
      "Plugin taiku.agent-monitor rejected: manifest: larger than 256 KiB",
    );
  });
});

describe("validateManifest: rule 2 (id, name, version)", () => {
  it.each([
    [{ id: "bad id!" }, "Plugin bad id! rejected: id: must match"],
    [{ id: ".leading-dot" }, "rejected: id: must match"],
    [{ id: undefined }, "Plugin <unknown> rejected: id:"],
    [{ name: "" }, "rejected: name:"],
    [{ name: "n".repeat(65) }, "rejected: name:"],
    [{ version: "1.0" }, "rejected: version: must be a semantic version"],
    [{ description: "d".repeat(501) }, "rejected: description:"],
  ])("%j", (patch, message) => {
    expect(rejected(withAm(patch))).toContain(message);
  });
});

describe("validateManifest: rule 3 (permissions)", () => {
  it("ignores unknown permissions with a warning; they grant nothing; duplicates removed", () => {
    const r = ok(validateManifest(withAm({ permissions: [...agentMonitor.permissions, "teleport.read", "session.read"] })));
    expect(r.manifest.permissions).toEqual(agentMonitor.permissions);
    expect(r.warnings).toEqual(['Unknown permission "teleport.read" ignored; it grants nothing']);
  });
  it("rejects a non-array and non-string entries, naming the field", () => {
    expect(rejected(withAm({ permissions: "session.read" }))).toBe("Plugin taiku.agent-monitor rejected: permissions: must be an array");
    expect(rejected(withAm({ permissions: ["session.read", 7] }))).toBe("Plugin taiku.agent-monitor rejected: permissions[1]: must be a string");
  });
});

describe("validateManifest: rules 4–5 (integrations)", () => {
  it("trims, lowercases and de-duplicates toolkit slugs", () => {
    expect(ok(validateManifest({ ...issueHelper, integrations: [" GitHub ", "github", "Linear"] })).manifest.integrations).toEqual(["github", "linear"]);
  });
  it("rejects a slug not matching ^[a-z0-9_-]+$, naming the field", () => {
    expect(rejected({ ...issueHelper, integrations: ["github", "git hub"] })).toBe(
      'Plugin my-org.issue-helper rejected: integrations[1]: toolkit slug "git hub" must match ^[a-z0-9_-]+$',
    );
    expect(rejected({ ...issueHelper, integrations: [""] })).toContain("integrations[0]");
    expect(rejected({ ...issueHelper, integrations: "github" })).toBe("Plugin my-org.issue-helper rejected: integrations: must be an array");
  });
  it.each(["integrations.connect", "integrations.execute"])("rejects %s without a non-empty integrations list", (perm) => {
    const text = 'Plugin my-org.issue-helper rejected: integrations.connect/integrations.execute require a non-empty "integrations" list';
    expect(rejected({ ...issueHelper, permissions: [perm, "ui.panel"], integrations: [] })).toBe(text);
    const { integrations: _omit, ...noList } = issueHelper;
    expect(rejected({ ...noList, permissions: [perm, "ui.panel"] })).toBe(text);
  });
  it("allows integrations.read alone without a list", () => {
    const { integrations: _omit, ...noList } = issueHelper;
    const r = ok(validateManifest({ ...noList, permissions: ["integrations.read", "ui.panel"] }));
    expect(r.manifest.integrations).toBeUndefined();
  });
});

describe("validateManifest: rule 6 (panels)", () => {
  const panel = agentMonitor.panels[0]!;
  it("rejects duplicate panel ids and invalid positions, naming the field", () => {
    expect(rejected(withAm({ panels: [panel, { ...panel, title: "Again" }] }))).toBe(
      'Plugin taiku.agent-monitor rejected: panels[1].id: duplicate panel id "agent-monitor-panel"',
    );
    expect(rejected(withAm({ panels: [{ ...panel, position: "left" }] }))).toContain("rejected: panels[0].position:");
  });
  it("allows https, localhost and relative pages; rejects http elsewhere and script URLs", () => {
    for (const htmlUrl of ["panel.html", "https://plugins.example.com/p.html", "http://localhost:5173/p.html"]) {
      ok(validateManifest(withAm({ panels: [{ ...panel, htmlUrl }] })));
    }
    for (const htmlUrl of ["http://evil.example/p.html", "javascript:alert(1)", "data:text/html,hi", "//evil.example/p.html"]) {
      expect(rejected(withAm({ panels: [{ ...panel, htmlUrl }] }))).toContain("panels[0].htmlUrl: must be an https: URL");
    }
  });
  it("resolves relative pages against the manifest URL, allowing the app's own origin over http", () => {
    const lan = { manifestUrl: "http://192.168.1.5:8080/plugins/x/manifest.json", appOrigin: "http://192.168.1.5:8080" };
    expect(validateManifest(agentMonitor, lan).ok).toBe(true);
    expect(validateManifest(agentMonitor, { manifestUrl: lan.manifestUrl }).ok).toBe(false);
  });
  it("clamps panel sizes", () => {
    const r = ok(validateManifest(withAm({ panels: [{ ...panel, defaultWidth: 5000, defaultHeight: 10 }] })));
    expect(r.manifest.panels[0]).toMatchObject({ defaultWidth: 800, defaultHeight: 120 });
  });
});

describe("validateManifest: rule 7 (elements without their permission are skipped)", () => {
  it("skips non-background panels without ui.panel but keeps background panels", () => {
    const r = ok(validateManifest({
      id: "taiku.chat-notifier", name: "Chat Notifier", version: "1.1.0",
      permissions: ["events.subscribe", "chat.read", "ui.toast", "ui.notify", "audio.play"],
      panels: [{ id: "bg", title: "bg", htmlUrl: "bg.html", background: true }, { id: "fg", title: "fg", htmlUrl: "fg.html" }],
    }));
    expect(r.manifest.panels.map((p) => p.id)).toEqual(["bg"]);
    expect(r.warnings).toEqual(['panel "fg" skipped: the ui.panel permission is not declared']);
  });
  it("skips toolbar actions, hotkeys and aliases whose permission is missing", () => {
    const r = ok(validateManifest(withAm({ permissions: ["ui.panel"], aliases: [{ name: "music" }] })));
    expect(r.manifest.toolbarActions).toEqual([]);
    expect(r.manifest.hotkeys).toEqual([]);
    expect(r.manifest.aliases).toEqual([]);
    expect(r.warnings).toEqual([
      "toolbarActions skipped: the ui.toolbar.custom permission is not declared",
      "hotkeys skipped: the hotkey.register permission is not declared",
      "aliases skipped: the shell.alias permission is not declared",
    ]);
  });
  it("skips toolbar actions and hotkeys pointing at a missing panel, bad key combinations and unknown action types", () => {
    const hk = agentMonitor.hotkeys[0]!;
    const r = ok(validateManifest(withAm({
      toolbarActions: [{ id: "x", label: "X", panelId: "nope" }],
      hotkeys: [
        { ...hk, id: "a", hotkey: "Cmd+Shift+Banana" },
        { ...hk, id: "b", action: { type: "launchRocket" } },
        { ...hk, id: "c", hotkey: "Ctrl+E", action: { type: "event" } },
      ],
    })));
    expect(r.manifest.toolbarActions).toEqual([]);
    expect(r.manifest.hotkeys.map((h) => h.id)).toEqual(["c"]);
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toBe('toolbar action "x" skipped: panel "nope" does not exist');
  });
  it("rejects a malformed toolbar action, naming the field", () => {
    expect(rejected(withAm({ toolbarActions: [{ id: "x", panelId: "agent-monitor-panel" }] }))).toContain("rejected: toolbarActions[0].label:");
  });
});

describe("validateManifest: rule 8 (settings and secrets)", () => {
  it("rejects duplicate keys across settings and secrets", () => {
    expect(rejected({ ...settingsExample, secrets: [{ key: "theme", label: "T" }] })).toBe(
      'Plugin my-org.settings rejected: secrets[0].key: duplicate key "theme"',
    );
  });
  it("rejects invalid keys and defaults that do not match the type", () => {
    expect(rejected({ ...settingsExample, settings: [{ key: "Bad-Key", label: "x", type: "string" }] })).toContain("settings[0].key: must match");
    expect(rejected({ ...settingsExample, settings: [{ key: "n", label: "x", type: "number", default: "5" }] })).toBe(
      "Plugin my-org.settings rejected: settings[0].default: must be a number for a number setting",
    );
    expect(rejected({ ...settingsExample, settings: [{ key: "s", label: "x", type: "select", default: "red", options: [{ value: "blue", label: "B" }] }] }))
      .toBe("Plugin my-org.settings rejected: settings[0].default: must be one of options[].value");
    expect(rejected({ ...settingsExample, settings: [{ key: "s", label: "x", type: "select" }] })).toContain("settings[0].options: required");
  });
});

describe("parseHotkey", () => {
  it("parses the documented grammar", () => {
    expect(parseHotkey("Cmd+Shift+A")).toEqual({ cmd: true, ctrl: false, alt: false, shift: true, key: "A" });
    expect(parseHotkey("Ctrl+Alt+F12")?.key).toBe("F12");
    expect(parseHotkey("Shift+Slash")?.key).toBe("Slash");
    expect(parseHotkey("Cmd+Cmd+A")).toBeNull();
    expect(parseHotkey("Hyper+A")).toBeNull();
    expect(parseHotkey("Cmd+F13")).toBeNull();
  });
});
