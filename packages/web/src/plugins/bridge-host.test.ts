import { describe, expect, it } from "vitest";
import { NOT_INITIALISED } from "./bridge-host.js";
import { FakeFrame, harness, registered } from "./testing.js";

const reader = registered({ id: "t.reader", permissions: ["session.read", "events.subscribe", "ui.panel"] });
const writer = registered({ id: "t.writer", permissions: ["session.read", "terminal.write", "terminal.read", "events.subscribe", "chat.read", "agent.events", "kv.read", "events.broadcast"] });
const integ = registered({ id: "t.integ", permissions: ["integrations.read", "integrations.connect", "integrations.execute"], integrations: ["GitHub"] });

describe("BridgeHost: mounting and the §6.3 validation order", () => {
  it("sends taiku:init with a fresh 32-byte base64url token per mount, and again on taiku:ready", async () => {
    const h = harness([reader]);
    const { win } = h.frame("t.reader", "side");
    expect(win.init).toMatchObject({ type: "taiku:init", pluginId: "t.reader", sessionId: "sess1", panelId: "side", role: "writer", userId: 5, permissions: reader.grantedPermissions, serverManaged: false });
    expect(win.init!.authToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const token = win.init!.authToken;
    h.host.mount(win, "t.reader", "side"); // a reload of the same frame
    const tokens = win.received.filter((m) => m.type === "taiku:init").map((m) => m.authToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).not.toBe(token);
    await h.host.onMessage(win, { type: "taiku:ready" });
    expect(win.received.filter((m) => m.type === "taiku:init")).toHaveLength(3);
  });

  it("drops messages from windows that are not live mounts, and wrong or missing identities", async () => {
    const h = harness([reader, writer]);
    const { win, request } = h.frame("t.reader");
    const stranger = new FakeFrame();
    const token = win.init!.authToken;
    await h.host.onMessage(stranger, { type: "taiku:request", id: "1", pluginId: "t.reader", authToken: token, method: "getSession" });
    expect(stranger.received).toEqual([]);
    expect(await request("getSession", {}, { pluginId: "t.writer" })).toBeUndefined();
    expect(await request("getSession", {}, { authToken: token.slice(1) + "x" })).toBeUndefined();
    expect(await request("getSession", {}, { authToken: undefined })).toBeUndefined();
    expect(await request("getSession", {}, { authToken: 42 })).toBeUndefined();
    h.host.unmount(win);
    expect(await h.frame("t.reader").request("getSession")).toMatchObject({ result: { id: "sess1" } });
    expect(h.host.stats.dropped).toBeGreaterThanOrEqual(5);
  });

  it("allowMissingAuthToken accepts an absent token (never a wrong one)", async () => {
    const h = harness([reader], { host: { allowMissingAuthToken: true } });
    const { request } = h.frame("t.reader");
    expect(await request("getSession", {}, { authToken: undefined })).toMatchObject({ result: { id: "sess1" } });
    expect(await request("getSession", {}, { authToken: "nope" })).toBeUndefined();
  });

  it("answers a request sent before taiku:init (empty identity) with an error instead of running it", async () => {
    const h = harness([reader]);
    const { win } = h.frame("t.reader");
    await h.host.onMessage(win, { type: "taiku:request", id: "early", pluginId: "", authToken: "", method: "getSession" });
    expect(win.responses()).toEqual([{ type: "taiku:response", id: "early", error: NOT_INITIALISED }]);
  });

  it("unknown method, then permission, then params — the method body never runs on failure", async () => {
    const h = harness([reader]);
    const { request } = h.frame("t.reader");
    expect(await request("rm -rf")).toEqual({ error: "Unknown method: rm -rf" });
    expect(await request("__proto__")).toEqual({ error: "Unknown method: __proto__" });
    expect(await request("writeToShell", { shellId: 1, data: "x" })).toEqual({ error: "Permission denied: terminal.write is required for writeToShell" });
    expect(h.session.inputs).toEqual([]);
    expect(await request("getPluginData", [1])).toEqual({ error: "Invalid params" });
    expect(await request("getPluginData", { key: 5 })).toMatchObject({ error: expect.stringMatching(/^Invalid params: key/) });
  });

  it("caps pending requests per mount and request payload size", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness([reader], { signedIn: true, fetch: async () => (await gate, new Response("null", { status: 200 })) });
    const { request } = h.frame("t.reader");
    const all = Array.from({ length: 70 }, (_, i) => request("getUserData", { key: `k${i}` }));
    await new Promise((r) => setTimeout(r, 0));
    release();
    const results = await Promise.all(all);
    expect(results.filter((r) => r?.error === "Too many pending requests")).toHaveLength(6);
    expect(results.filter((r) => r && "result" in r)).toHaveLength(64);
    expect(await request("setSetting", { key: "x", value: "y".repeat(600 * 1024) })).toEqual({ error: "Invalid params: request larger than 1048576 bytes" });
  });

  it("survives 10,000 random malformed messages without throwing; every answer is an error", async () => {
    const h = harness([reader]);
    const { win } = h.frame("t.reader");
    const token = win.init!.authToken;
    const junk = [null, 1, "s", [], {}, { type: "taiku:request" }, { type: "taiku:request", id: {} }, { type: "taiku:response", id: "1" }];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = [undefined, null, 0, -1, 1e308, "", "x".repeat(300), [], [1], {}, { key: "k" }, { shellId: "1" }, true, new Date(0)];
    for (let i = 0; i < 10_000; i++) {
      const m = rnd() < 0.2 ? junk[i % junk.length] : {
        type: "taiku:request", id: rnd() < 0.1 ? 5 : `f${i}`, pluginId: rnd() < 0.1 ? "x" : "t.reader", authToken: rnd() < 0.1 ? "bad" : token,
        method: ["getSession", "getPluginData", "setPluginData", "nope", "writeToShell", "constructor", "integrations.tools"][i % 7],
        params: values[Math.floor(rnd() * values.length)],
      };
      await h.host.onMessage(win, m);
    }
    const responses = win.responses();
    expect(responses.length).toBeGreaterThan(1000);
    for (const r of responses) expect(typeof r.id).toBe("string");
    expect(h.host.stats.ok + h.host.stats.errors).toBe(responses.length);
  });
});

describe("BridgeHost: methods against session state", () => {
  it("getSession, getUsers, getShells and getUserRole come from the in-memory state", async () => {
    const h = harness([reader]);
    const { request } = h.frame("t.reader");
    expect((await request("getSession"))?.result).toEqual({ id: "sess1", name: "demo", role: "writer", userId: 5, readersEnabled: false, ownerName: "Ada", cliConnected: true, createdAt: 1 });
    expect((await request("getUsers"))?.result).toEqual([{ userId: 5, name: "Ada", device: "Linux Web", role: "writer", canWrite: true, focus: null, isMe: true }]);
    expect((await request("getShells"))?.result).toEqual([{ id: 1, rows: 24, cols: 80, name: null, ownerName: null, owned: false, agent: null }]);
    expect((await request("getUserRole"))?.result).toEqual({ role: "writer", userId: 5 });
  });

  it("writeToShell: readers get `write auth required`, focus locks and unknown shells are refused", async () => {
    const h = harness([writer]);
    const { request } = h.frame("t.writer");
    expect(await request("writeToShell", { shellId: 1, data: "ls\n" })).toEqual({ result: { ok: true } });
    expect(h.session.inputs).toEqual([{ shellId: 1, data: "ls\n" }]);
    expect(await request("writeToShell", { shellId: 9, data: "x" })).toEqual({ error: "Shell not found: 9" });
    h.session.events.emit("focusLocked", { t: "focusLocked", shellId: 1, holderUserId: 2, holderName: "Bob" });
    expect(await request("writeToShell", { shellId: 1, data: "x" })).toEqual({ error: "Shell is focus-locked by Bob" });
    h.clock.t += 5000;
    h.session.setState({ role: "reader", canWrite: false });
    expect(await request("writeToShell", { shellId: 1, data: "x" })).toEqual({ error: "write auth required" });
  });

  it("session KV: own namespace without permission, quota to the byte, other plugins need kv.read/kv.write", async () => {
    const h = harness([reader, writer]);
    const { request } = h.frame("t.reader");
    expect(await request("setPluginData", { key: "a", value: { x: 1 } })).toEqual({ result: { ok: true } });
    expect(h.session.sent).toContainEqual({ t: "pluginKvSet", pluginId: "t.reader", key: "a", value: { x: 1 } });
    expect((await request("getPluginData", { key: "a" }))?.result).toEqual({ x: 1 });
    expect((await request("getPluginData", { key: "zz" }))?.result).toBeNull();
    await request("deletePluginData", { key: "a" });
    const n = 65536 - 3 - 2;
    expect(await request("setPluginData", { key: "big", value: "a".repeat(n) })).toEqual({ result: { ok: true } });
    expect(await request("setPluginData", { key: "big", value: "a".repeat(n + 1) })).toEqual({ error: "Session KV quota exceeded (64 KiB per plugin per session)" });
    expect(await request("getOtherPluginData", { pluginId: "t.writer", key: "a" })).toEqual({ error: "Permission denied: kv.read is required for getOtherPluginData" });
    expect((await h.frame("t.writer").request("getOtherPluginData", { pluginId: "t.reader", key: "big" }))?.result).toHaveLength(n);
  });

  it("unsupported capabilities answer the documented not-supported error at once", async () => {
    const h = harness([registered({ id: "t.ws", permissions: ["workspace.write", "tunnel.read", "ui.open", "shell.alias"] })]);
    const { request } = h.frame("t.ws");
    expect(await request("splitShell", {})).toEqual({ error: "Permission denied: terminal.write is required for splitShell" });
    expect(await request("respondAlias", { invocationId: 1 })).toEqual({ error: "respondAlias is not supported by this server" });
    expect(await request("openTile", { type: "document", docId: "abc" })).toEqual({ error: 'openTile type "document" is not supported by this server' });
  });

  it("getTunnels lists the published ports with tunnel.read; a change of them is a tunnels_changed event", async () => {
    const h = harness([registered({ id: "t.tun", permissions: ["tunnel.read", "events.subscribe"] }), registered({ id: "t.none", permissions: [] })]);
    const tunnels = [{ port: 3000, url: "http://127.0.0.1:1/t/abc/p/3000/" }];
    h.session.setState({ tunnels });
    expect(await h.frame("t.tun").request("getTunnels")).toEqual({ result: tunnels });
    expect(await h.frame("t.none").request("getTunnels")).toEqual({ error: "Permission denied: tunnel.read is required for getTunnels" });
  });

  it("local settings come with manifest defaults; secrets are read-only for plugins", async () => {
    const p = registered({ id: "t.set", settings: [{ key: "refresh_interval", label: "R", type: "number", default: 5000 }], secrets: [{ key: "api_key", label: "K" }] });
    const h = harness([p]);
    const { request } = h.frame("t.set");
    expect((await request("getSetting", { key: "refresh_interval" }))?.result).toBe(5000);
    await request("setSetting", { key: "refresh_interval", value: 100 });
    expect((await request("getSettings"))?.result).toEqual({ refresh_interval: 100 });
    expect((await request("getSecret", { key: "api_key" }))?.result).toBeNull();
    h.local.setSecret("t.set", "api_key", "s3cret");
    expect((await request("getSecret", { key: "api_key" }))?.result).toBe("s3cret");
    expect(h.local.getSecret("other", "api_key")).toBeNull();
  });
});

describe("BridgeHost: HTTP-backed methods", () => {
  it("integrations: undeclared toolkit and signed-out users are refused before any request", async () => {
    const h = harness([integ]);
    const { request } = h.frame("t.integ");
    expect(await request("integrations.tools", { toolkit: "Slack" })).toEqual({ error: 'Toolkit "slack" is not declared in manifest.integrations' });
    expect(await request("integrations.list")).toEqual({ error: "Not signed in" });
    expect(h.fetches).toEqual([]);
  });

  it("integrations: 503 becomes the documented not-enabled text; connect opens the popup; execute is verbatim", async () => {
    const h = harness([integ], {
      signedIn: true,
      fetch: async (url, init) => {
        if (url.endsWith("/connections") && init?.method === "GET") return new Response("Integrations are not enabled on this server", { status: 503 });
        if (url.endsWith("/connections")) return Response.json({ connectionId: "c1", redirectUrl: "https://auth.example/x", status: "INITIATED" });
        if (url.endsWith("/execute")) return new Response('{"upstream":"error body"}', { status: 502 });
        return Response.json({ tools: [] });
      },
    });
    const { request } = h.frame("t.integ");
    expect(await request("integrations.list")).toEqual({ error: "Integrations are not enabled on this server" });
    expect(await request("integrations.connect", { toolkit: "github" })).toEqual({ result: { connectionId: "c1", redirectUrl: "https://auth.example/x", status: "INITIATED", opened: false } });
    expect(h.ui.calls).toContain("popup:https://auth.example/x");
    expect(await request("integrations.execute", { toolkit: "github", action: "X" })).toEqual({ error: '{"upstream":"error body"}' });
    expect(await request("integrations.connect", { toolkit: "github", callbackUrl: "https://evil.example/cb" })).toEqual({ error: "Invalid params: callbackUrl not allowed" });
    const tools = h.fetches.find((f) => f.url.includes("/tools"));
    expect(tools).toBeUndefined();
    await request("integrations.tools", { toolkit: "github", limit: 500 });
    expect(h.fetches.at(-1)!.url).toBe("/api/v1/integrations/toolkits/github/tools?limit=100");
    expect((h.fetches.at(-1)!.init!.headers as Record<string, string>)["x-taiku-plugin-id"]).toBe("t.integ");
  });

  it("user KV: missing key → null, not signed in → documented text; files pass the server's texts through", async () => {
    const h = harness([registered({ id: "t.kv", permissions: ["storage.write", "storage.read"] })], {
      fetch: async (url) => {
        if (url.includes("/user-kv/t.kv/missing")) return new Response("Key not found.", { status: 404 });
        if (url.includes("/user-kv/")) return new Response("missing authentication", { status: 401 });
        return new Response("File size or user quota exceeded.", { status: 413 });
      },
    });
    const { request } = h.frame("t.kv");
    expect(await request("getUserData", { key: "missing" })).toEqual({ result: null });
    expect(await request("setUserData", { key: "a", value: 1 })).toEqual({ error: "No authenticated user or invalid user ID." });
    expect(await request("writePluginFile", { name: "a.bin", data: new Uint8Array(3).buffer })).toEqual({ error: "File size or user quota exceeded." });
  });
});

describe("BridgeHost: events", () => {
  it("delivers only to subscribed mounts holding the extra permission an event needs", async () => {
    const h = harness([reader, writer]);
    const r = h.frame("t.reader");
    const w = h.frame("t.writer");
    const unsubscribed = h.frame("t.writer");
    await r.request("subscribeEvents");
    await w.request("subscribeEvents");
    h.host.emit("chat", { userName: "Bob", message: "hi", mine: false, userId: 2 });
    h.host.emit("agent.tool_call", { tool_name: "bash" });
    h.host.emit("plugin_data_changed", { pluginId: "t.writer", key: "k", deleted: false, userName: "Bob" });
    h.host.emit("user_joined", { userName: "Bob", userId: 2, device: "Web", canWrite: true });
    expect(r.win.events().map((e) => e.type)).toEqual(["user_joined"]);
    expect(w.win.events().map((e) => e.type)).toEqual(["chat", "agent.tool_call", "plugin_data_changed", "user_joined"]);
    expect(unsubscribed.win.events()).toEqual([]);
  });

  it("subscribers() counts one plugin's mounts that would get an event, posting nothing", async () => {
    const h = harness([reader, writer]);
    const w1 = h.frame("t.writer");
    const w2 = h.frame("t.writer");
    const r = h.frame("t.reader");
    expect(h.host.subscribers("chat", "t.writer")).toBe(0);
    await w1.request("subscribeEvents", { types: ["chat"] });
    await w2.request("subscribeEvents", { types: ["user_joined"] });
    await r.request("subscribeEvents");
    expect(h.host.subscribers("chat", "t.writer")).toBe(1);
    expect(h.host.subscribers("user_joined", "t.writer")).toBe(1);
    expect(h.host.subscribers("chat", "t.reader")).toBe(0); // subscribed to all, but lacks chat.read
    expect(h.host.subscribers("user_joined", "t.reader")).toBe(1);
    expect([w1, w2, r].flatMap((f) => f.win.events())).toEqual([]);
    h.plugins.set("t.writer", { ...writer, enabled: false });
    expect(h.host.subscribers("chat", "t.writer")).toBe(0);
  });

  it("reports every mount that goes away: unmount, unmountPlugin, a reload of the frame", () => {
    const gone: string[] = [];
    const h = harness([reader, writer], { host: { onMountGone: (id) => void gone.push(id) } });
    const r = h.frame("t.reader");
    h.frame("t.writer");
    h.frame("t.writer");
    h.host.mount(r.win, "t.reader", "p"); // reloaded: the old mount is replaced
    expect(gone).toEqual(["t.reader"]);
    h.host.unmount(r.win);
    h.host.unmount(r.win); // not mounted any more: nothing to report
    expect(gone).toEqual(["t.reader", "t.reader"]);
    h.host.unmountPlugin("t.writer");
    h.host.unmountPlugin("t.writer");
    expect(gone).toEqual(["t.reader", "t.reader", "t.writer"]);
  });

  it("coalesces shell:data to 10 per second per shell per mount", async () => {
    const h = harness([reader]);
    const r = h.frame("t.reader");
    await r.request("subscribeEvents");
    for (let i = 0; i < 50; i++) {
      h.host.emit("shell:data", { shellId: 1 });
      h.clock.t += 10;
    }
    expect(r.win.events()).toHaveLength(5);
  });

  it("broadcastEvent goes through the session as pluginEvent, rate-limited per mount", async () => {
    const h = harness([writer]);
    const { request } = h.frame("t.writer");
    const results = [];
    for (let i = 0; i < 25; i++) results.push(await request("broadcastEvent", { name: "tick", data: i }));
    expect(results.filter((r) => r?.error === "Rate limit exceeded")).toHaveLength(5);
    expect(h.session.sent.filter((m) => m.t === "pluginEvent")).toHaveLength(20);
    expect(h.session.sent[0]).toEqual({ t: "pluginEvent", pluginId: "t.writer", name: "tick", data: 0 });
  });
});

describe("routeSessionEvents (session client → plugin events)", async () => {
  const { routeSessionEvents } = await import("./state-events.js");

  it("routes agent telemetry, KV diffs and custom events; getAgents follows agent_status", async () => {
    const h = harness([writer, reader]);
    routeSessionEvents(h.session, h.kv, h.output, h.agents, (t, d, only) => h.host.emit(t, d, only));
    const w = h.frame("t.writer");
    const r = h.frame("t.reader");
    await w.request("subscribeEvents");
    await r.request("subscribeEvents");
    h.session.events.emit("agentEvent", { shellId: 1, type: "agent_status", data: { agentType: "claude", status: "running", instanceId: "i1" }, timestamp: 5 });
    h.session.events.emit("agentEvent", { shellId: 1, type: "agent.tool_call", data: { tool_name: "bash" }, timestamp: 6 });
    expect(w.win.events()).toEqual([
      { type: "agent_status", data: { agentType: "claude", status: "running", instanceId: "i1", shellId: 1 } },
      { type: "agent.tool_call", data: { tool_name: "bash", shellId: 1 } },
    ].map((e) => expect.objectContaining(e)));
    expect((await w.request("getAgents"))?.result).toEqual([{ agentType: "claude", status: "running", instanceId: "i1", shellId: 1 }]);
    h.session.setState({ shells: [] });
    expect((await w.request("getAgents"))?.result).toEqual([]);

    h.session.events.emit("pluginKvDiff", { t: "pluginKvDiff", pluginId: "t.reader", key: "k", value: 1, deleted: false, rev: 1, userId: 5 });
    h.session.events.emit("pluginEvent", { t: "pluginEvent", pluginId: "t.writer", name: "hello", data: { x: 1 }, userId: 9, userName: "Bob", ts: 1 });
    expect(r.win.events().map((e) => e.type)).toEqual(["shells_changed", "plugin_data_changed", "plugin_event"]);
    expect(r.win.events()[2]!.data).toEqual({ pluginId: "t.writer", name: "hello", data: { x: 1 }, userId: 9, userName: "Bob", mine: false });
    // Another plugin's KV change needs kv.read: the writer (kv.read) sees it, with the writer's name.
    expect(w.win.events().find((e) => e.type === "plugin_data_changed")?.data).toEqual({ pluginId: "t.reader", key: "k", deleted: false, userName: "Ada" });
  });
});

describe("BridgeHost: frames still loading", () => {
  it("holds requests the first document sends before taiku:init and runs them once it is mounted", async () => {
    const h = harness([reader]);
    const win = new FakeFrame();
    h.host.mount(win, "t.reader", "p", { loading: true });
    await h.host.onMessage(win, { type: "taiku:ready" });
    expect(win.received).toEqual([]); // no init (and no token) before load
    await h.host.onMessage(win, { type: "taiku:request", id: "early1", pluginId: "", panelId: "", authToken: "", method: "getSession" });
    await h.host.onMessage(win, { type: "taiku:request", id: "early2", pluginId: "t.reader", authToken: "", method: "getSession" }); // claims an id: dropped
    expect(win.responses()).toEqual([]);
    h.host.mount(win, "t.reader", "p"); // load
    await new Promise((r) => setTimeout(r, 0));
    expect(win.responses()).toEqual([expect.objectContaining({ id: "early1", result: expect.objectContaining({ id: "sess1" }) })]);
  });

  it("runs a pre-init request of the first document that arrives after its load, until the frame uses its identity", async () => {
    const h = harness([reader]);
    const win = new FakeFrame();
    h.host.mount(win, "t.reader", "p", { loading: true });
    const mount = h.host.mount(win, "t.reader", "p")!; // load, before the frame's request arrived
    await h.host.onMessage(win, { type: "taiku:request", id: "late", pluginId: "", panelId: "", authToken: "", method: "getSession" });
    expect(win.responses()).toEqual([expect.objectContaining({ id: "late", result: expect.objectContaining({ id: "sess1" }) })]);
    await h.host.onMessage(win, { type: "taiku:request", id: "own", pluginId: "t.reader", authToken: mount.authToken, method: "getSession" });
    await h.host.onMessage(win, { type: "taiku:request", id: "after", pluginId: "", panelId: "", authToken: "", method: "getSession" });
    expect(win.responses().slice(1)).toEqual([
      expect.objectContaining({ id: "own", result: expect.objectContaining({ id: "sess1" }) }),
      { type: "taiku:response", id: "after", error: NOT_INITIALISED },
    ]);
    // A reload is not the first document: its pre-init requests are answered, not run.
    h.host.mount(win, "t.reader", "p");
    await h.host.onMessage(win, { type: "taiku:request", id: "reload", pluginId: "", panelId: "", authToken: "", method: "getSession" });
    expect(win.responses().at(-1)).toEqual({ type: "taiku:response", id: "reload", error: NOT_INITIALISED });
  });
});
