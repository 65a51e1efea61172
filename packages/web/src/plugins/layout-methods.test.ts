import { describe, expect, it } from "vitest";
import { routeSessionEvents } from "./state-events.js";
import { harness, registered } from "./testing.js";

const ws = registered({ id: "t.ws", permissions: ["workspace.read", "workspace.write", "terminal.write", "ui.open", "agent.events", "tunnel.read"] });
const readOnly = registered({ id: "t.ro", permissions: ["workspace.read"] });

describe("§7.5 workspace and layout through the page's workspace service", () => {
  it("reads pages and tiles; creates and switches workspaces with clear errors", async () => {
    const h = harness([ws, readOnly]);
    const { request } = h.frame("t.ws");
    expect(await request("getWorkspaces")).toEqual({ result: { pages: [{ index: 0 }], activeIndex: 0 } });
    expect(await request("getLayout")).toEqual({ result: [{ key: 1, type: "shell", active: true, shellId: 1 }] });
    expect(await request("getLayoutTree")).toEqual({ result: { kind: "leaf", tiles: [1], active: 1 } });
    expect(await request("createWorkspace", { name: "logs" })).toEqual({ result: { index: 1 } });
    expect(await request("switchWorkspace", { index: 1 })).toEqual({ result: { ok: true } });
    expect(await request("getWorkspaces")).toEqual({ result: { pages: [{ index: 0 }, { index: 1, name: "logs" }], activeIndex: 1 } });
    expect(await request("getLayout")).toEqual({ result: [] });
    expect(await request("getLayoutTree", { index: 1 })).toEqual({ result: null });
    expect(await request("getLayoutTree", { index: 4 })).toEqual({ error: "Workspace not found: 4" });
    expect(await request("switchWorkspace", { index: 2 })).toEqual({ error: "Workspace not found: 2" });
    expect(await request("switchWorkspace", { index: -1 })).toMatchObject({ error: expect.stringMatching(/^Invalid params/) });
    expect(await h.frame("t.ro").request("createWorkspace", {})).toEqual({ error: "Permission denied: workspace.write is required for createWorkspace" });
  });

  it("splitShell creates a shell and resolves once its tile exists; writers only; clear errors offline", async () => {
    const h = harness([ws]);
    const { request } = h.frame("t.ws");
    const r = await request("splitShell", { direction: "vertical", ratio: 0.3 });
    expect(r).toEqual({ result: { shellId: 2, key: 2 } });
    expect(h.layout().pages[0]!.root).toEqual({
      kind: "split", direction: "vertical", ratio: 0.3, first: { kind: "leaf", tiles: [1], active: 1 }, second: { kind: "leaf", tiles: [2], active: 2 },
    });
    expect((await request("getLayout"))?.result).toEqual([
      { key: 1, type: "shell", active: false, shellId: 1 }, { key: 2, type: "shell", active: true, shellId: 2 },
    ]);
    expect(await request("splitShell", { key: 9 })).toEqual({ error: "Tile not found: 9" });
    // On an empty page the new shell is the page's only tile.
    expect(await request("createWorkspace", {})).toEqual({ result: { index: 1 } });
    await request("switchWorkspace", { index: 1 });
    expect(await request("splitShell", {})).toEqual({ result: { shellId: 3, key: 3 } });
    expect(h.layout().pages[1]!.root).toEqual({ kind: "leaf", tiles: [3], active: 3 });
    h.session.cliCreates = false;
    expect(await request("splitShell", {})).toEqual({ error: "CLI did not respond" });
    h.session.setState({ cli: { connected: false, expiresAt: 5 } });
    expect(await request("splitShell", {})).toEqual({ error: "CLI not connected" });
    h.session.setState({ role: "reader", canWrite: false });
    expect(await request("splitShell", {})).toEqual({ error: "write auth required" });
  });

  it("openTile opens peek, tunnel and https browser tiles, focusTile and closeTile act on keys; a closed shell tile leaves the shell running", async () => {
    const h = harness([ws]);
    const { request } = h.frame("t.ws");
    h.session.setState({ tunnels: [{ port: 3000, url: "http://localhost/t/x/p/3000/" }] });
    const peek = await request("openTile", { type: "peek", shellId: 1, direction: "vertical" });
    expect(peek).toEqual({ result: { key: 2 } });
    expect(await request("openTile", { type: "peek", shellId: 1 })).toEqual({ result: { key: 2 } }); // one peek per shell
    expect(await request("openTile", { type: "tunnel", port: 3000, key: 1 })).toEqual({ result: { key: 3 } });
    expect(await request("openTile", { type: "tunnel", port: 4000 })).toEqual({ error: "No tunnel on port 4000: the host publishes ports with taiku --tunnel" });
    expect(await request("openTile", { type: "browser", url: "https://example.com/docs" })).toEqual({ result: { key: 4 } });
    expect(h.layout().tiles.at(-1)).toEqual({ key: 4, type: "browser", url: "https://example.com/docs" });
    expect(await request("openTile", { type: "browser", url: "http://example.com/" })).toMatchObject({ error: expect.stringMatching(/^Invalid params/) });
    expect(await request("openTile", { type: "browser" })).toEqual({ error: "Invalid params: a browser tile needs an https: url" });
    expect(await request("openTile", { type: "peek", shellId: 8 })).toEqual({ error: "Shell not found: 8" });
    expect(await request("openTile", { type: "peek" })).toEqual({ error: "Invalid params: a peek tile needs shellId" });
    expect(await request("openTile", { type: "shell", shellId: 1, key: 77 })).toEqual({ error: "Tile not found: 77" });
    expect(await request("focusTile", { key: 1 })).toEqual({ result: { ok: true } });
    expect((await request("getLayout"))?.result).toContainEqual({ key: 1, type: "shell", active: true, shellId: 1 });
    expect(await request("focusTile", { key: 12 })).toEqual({ error: "Tile not found: 12" });
    expect(await request("closeTile", { key: 1 })).toEqual({ result: { ok: true } });
    expect(h.session.sent).toEqual([]); // the shell itself is not closed
    expect(h.layout().hidden).toEqual([1]);
    expect(await request("openTile", { type: "shell", shellId: 1 })).toEqual({ result: { key: 5 } }); // shown again
    expect(await request("closeTile", { key: 1 })).toEqual({ error: "Tile not found: 1" });
  });

  it("openFile and openAgentOverlay reach the page UI; the overlay needs a live shell", async () => {
    const h = harness([ws]);
    const { request } = h.frame("t.ws");
    expect(await request("openFile", { path: "src/app.ts" })).toEqual({ result: { ok: true } });
    expect(await request("openAgentOverlay", { shellId: 1, instanceId: "i1" })).toEqual({ result: { ok: true } });
    expect(await request("openAgentOverlay", { shellId: 3 })).toEqual({ error: "Shell not found: 3" });
    expect(h.ui.calls).toEqual(["file:src/app.ts", "agent:1/i1"]);
  });

  it("the agent tracker keeps recent agent.* events per shell for the overlay", () => {
    const h = harness([ws]);
    const stop = routeSessionEvents(h.session, h.kv, h.output, h.agents, () => {});
    const seen: number[] = [];
    h.agents.subscribe(() => seen.push(1));
    h.session.events.emit("agentEvent", { shellId: 1, type: "agent.tool_call", data: { tool_name: "Edit" }, timestamp: 5 });
    h.session.events.emit("agentEvent", { shellId: 1, type: "agent_status", data: { agentType: "claude", status: "running", model: "opus" }, timestamp: 6 });
    expect(h.agents.events(1)).toEqual([{ type: "agent.tool_call", data: { tool_name: "Edit", shellId: 1 }, timestamp: 5 }]);
    expect(h.agents.status(1)).toMatchObject({ model: "opus", shellId: 1 });
    h.session.setState({ shells: [] });
    expect(h.agents.events(1)).toEqual([]);
    expect(seen.length).toBe(3);
    stop();
  });
});
