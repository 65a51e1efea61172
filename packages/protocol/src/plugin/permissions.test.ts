import { describe, expect, it } from "vitest";
import { BRIDGE_METHODS } from "./methods.js";
import { HIGH_RISK_PERMISSIONS, METHOD_PERMISSIONS, PLUGIN_PERMISSIONS, PLUGIN_PERMISSION_NAMES, missingPermission } from "./permissions.js";

// §17 compatibility-critical names, copied from the spec so that a rename here fails loudly.
const SPEC_PERMISSIONS = `session.read session.write terminal.read terminal.write chat.read chat.write events.subscribe
events.broadcast ui.toolbar ui.toolbar.custom ui.panel ui.open ui.toast ui.notify audio.play tunnel.read workspace.read
workspace.write hotkey.register shell.alias kv.read kv.write storage.read storage.write fs.list fs.read.cwd fs.write
integrations.read integrations.connect integrations.execute agent.events`.split(/\s+/);
// taiku's own permissions and methods beyond §17 (docs/plugin-guide.md "Inbox").
const TAIKU_PERMISSIONS = ["inbox.read", "inbox.write"];
const TAIKU_METHODS = ["inbox.list", "inbox.get", "inbox.reply", "inbox.setStatus", "inbox.setState", "inbox.react", "inbox.connections"];

const SPEC_METHODS = `getSession getShells getTerminalNames getUserRole getShellOutput writeToShell getShellOwnership adoptShell
subscribeEvents showToast sendNotification playSound setBadge resizePanel openFile openAgentOverlay listDir setPluginData
getPluginData getAllPluginData deletePluginData getOtherPluginData getUserData setUserData listUserData deleteUserData
writePluginFile readPluginFile listPluginFiles deletePluginFile getStorageUsage getSecret getSetting getSettings setSetting
integrations.list integrations.connect integrations.tools integrations.execute getUsers renameSession setTerminalName
getPluginInfo createShell closeShell getChatHistory sendChatMessage unsubscribeEvents broadcastEvent setTooltip openPanel
closePanel getWorkspaces getLayout getLayoutTree splitShell createWorkspace switchWorkspace openTile focusTile closeTile
getTunnels readFile getFileUrl writeFile getAgents getAllOtherPluginData setOtherPluginData deleteOtherPluginData
respondAlias`.split(/\s+/);

describe("permissions", () => {
  it("names exactly the permissions of §17, each with a description and risk", () => {
    expect([...PLUGIN_PERMISSION_NAMES].sort()).toEqual([...SPEC_PERMISSIONS, ...TAIKU_PERMISSIONS].sort());
    for (const p of PLUGIN_PERMISSION_NAMES) expect(PLUGIN_PERMISSIONS[p].description.length).toBeGreaterThan(10);
  });
  it("marks taiku's high-risk permissions", () => {
    expect([...HIGH_RISK_PERMISSIONS].sort()).toEqual(["fs.write", "inbox.write", "integrations.execute", "shell.alias", "terminal.write"]);
  });
  it("the catalogue has exactly the methods of §17, each with a permission decision", () => {
    expect([...BRIDGE_METHODS].sort()).toEqual([...SPEC_METHODS, ...TAIKU_METHODS].sort());
    expect(Object.keys(METHOD_PERMISSIONS).sort()).toEqual([...SPEC_METHODS, ...TAIKU_METHODS].sort());
  });
  it("gates per §5 / §7", () => {
    expect(METHOD_PERMISSIONS.writeToShell).toEqual(["terminal.write"]);
    expect(METHOD_PERMISSIONS.getOtherPluginData).toEqual(["kv.read"]);
    expect(METHOD_PERMISSIONS.getAgents).toEqual(["agent.events"]);
    expect(METHOD_PERMISSIONS.openAgentOverlay).toEqual(["agent.events"]);
    for (const m of ["inbox.list", "inbox.get", "inbox.connections"] as const) expect(METHOD_PERMISSIONS[m]).toEqual(["inbox.read"]);
    for (const m of ["inbox.reply", "inbox.setStatus", "inbox.setState", "inbox.react"] as const) expect(METHOD_PERMISSIONS[m]).toEqual(["inbox.write"]);
    // No permission: own session KV, User KV (the official Agent Monitor relies on it), settings, secrets.
    for (const m of ["setPluginData", "getUserData", "setUserData", "getSecret", "getSettings", "getPluginInfo"] as const) {
      expect(METHOD_PERMISSIONS[m]).toEqual([]);
    }
    expect(missingPermission("getSession", new Set(["session.read"]))).toBeNull();
    expect(missingPermission("getSession", [])).toBe("session.read");
  });
});
