/**
 * The MessagePort offered with `taiku:init`: requests on it run exactly as window requests of the same
 * mount (identity, token, limits, permissions), answers and subscribed events go back on it, and it
 * dies with its mount. The window protocol is unchanged next to it.
 */
import { describe, expect, it } from "vitest";
import { harness, registered } from "./testing.js";

const reader = registered({ id: "t.reader", permissions: ["session.read", "events.subscribe", "ui.panel"] });
const writer = registered({ id: "t.writer", permissions: ["session.read", "terminal.write", "events.subscribe", "chat.read"] });

describe("BridgeHost: the MessagePort offered with taiku:init", () => {
  it("transfers one port with a mount's first init only; a reload offers a new one and closes the old; unmount closes", async () => {
    const h = harness([reader], { ports: true });
    const { win } = h.frame("t.reader");
    expect(win.ports).toHaveLength(1);
    const first = win.ports[0]!;
    await h.host.onMessage(win, { type: "taiku:ready" });
    h.host.refresh("t.reader");
    expect(win.received.filter((m) => m.type === "taiku:init")).toHaveLength(3);
    expect(win.ports).toHaveLength(1);
    h.host.mount(win, "t.reader", "p"); // a reload of the frame
    expect(win.ports).toHaveLength(2);
    expect(first.closed).toBe(true);
    h.host.unmount(win);
    expect(win.ports[1]!.closed).toBe(true);
  });

  it("answers on the port only, with the same result as on the window", async () => {
    const h = harness([reader], { ports: true });
    const { win, request, portRequest } = h.frame("t.reader");
    const viaWindow = await request("getSession");
    const before = win.received.length;
    expect(await portRequest("getSession")).toEqual(viaWindow);
    expect(win.received).toHaveLength(before);
    expect(win.ports[0]!.responses()).toHaveLength(1);
    expect(await portRequest("setPluginData", { key: "k", value: { n: 1 } })).toEqual({ result: { ok: true } });
    expect(h.session.sent).toContainEqual({ t: "pluginKvSet", pluginId: "t.reader", key: "k", value: { n: 1 } });
  });

  it("checks identity, method, permission and params on the port exactly as on the window", async () => {
    const h = harness([reader, writer], { ports: true });
    const { win, portRequest } = h.frame("t.reader");
    const token = win.init!.authToken;
    const dropped = h.host.stats.dropped;
    expect(await portRequest("getSession", {}, { pluginId: "t.writer" })).toBeUndefined();
    expect(await portRequest("getSession", {}, { authToken: token.slice(1) + "x" })).toBeUndefined();
    expect(await portRequest("getSession", {}, { authToken: undefined })).toBeUndefined();
    expect(h.host.stats.dropped).toBe(dropped + 3);
    expect(await portRequest("nope")).toEqual({ error: "Unknown method: nope" });
    expect(await portRequest("writeToShell", { shellId: 1, data: "x" })).toEqual({ error: "Permission denied: terminal.write is required for writeToShell" });
    expect(h.session.inputs).toEqual([]);
    expect(await portRequest("getPluginData", [1])).toEqual({ error: "Invalid params" });
    expect(await portRequest("getSession", {}, { pluginId: "", authToken: "" })).toMatchObject({ error: expect.stringMatching(/^Bridge not ready/) });
    // Another plugin's frame gets its own port: a request there never runs as t.reader.
    const other = h.frame("t.writer");
    expect(await other.portRequest("getSession", {}, { pluginId: "t.reader", authToken: token })).toBeUndefined();
  });

  it("a message on a port whose mount was reloaded or removed is dropped, even with the new token", async () => {
    const h = harness([reader], { ports: true });
    const { win } = h.frame("t.reader");
    const old = win.ports[0]!;
    const deliver = old.onmessage!;
    h.host.mount(win, "t.reader", "p");
    const fresh = win.received.filter((m) => m.type === "taiku:init").at(-1) as { authToken: string };
    const dropped = h.host.stats.dropped;
    deliver({ data: { type: "taiku:request", id: "late", pluginId: "t.reader", authToken: fresh.authToken, method: "getSession" } } as MessageEvent);
    await new Promise((r) => setTimeout(r, 0));
    expect(h.host.stats.dropped).toBe(dropped + 1);
    expect(old.received).toEqual([]);
    expect(win.responses()).toEqual([]);
  });

  it("shares the per-mount pending limit between the window and the port", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness([reader], { ports: true, signedIn: true, fetch: async () => (await gate, new Response("null", { status: 200 })) });
    const { request, portRequest } = h.frame("t.reader");
    const all = [
      ...Array.from({ length: 40 }, (_, i) => request("getUserData", { key: `w${i}` })),
      ...Array.from({ length: 30 }, (_, i) => portRequest("getUserData", { key: `p${i}` })),
    ];
    await new Promise((r) => setTimeout(r, 0));
    release();
    const results = await Promise.all(all);
    expect(results.filter((r) => r?.error === "Too many pending requests")).toHaveLength(6);
    expect(results.filter((r) => r && "result" in r)).toHaveLength(64);
  });

  it("sends events to the port that subscribed and, the subscription being the mount's (§6.4), to the window too", async () => {
    const h = harness([reader, writer], { ports: true });
    const r = h.frame("t.reader");
    const w = h.frame("t.writer");
    const rPort = r.win.ports[0]!;
    const wPort = w.win.ports[0]!;
    await r.portRequest("subscribeEvents");
    await w.portRequest("subscribeEvents", { types: ["chat"] });
    h.host.emit("chat", { userName: "Bob", message: "hi", mine: false, userId: 2 });
    h.host.emit("user_joined", { userName: "Bob", userId: 2, device: "Web", canWrite: true });
    expect(rPort.events().map((e) => e.type)).toEqual(["user_joined"]); // chat needs chat.read
    expect(wPort.events().map((e) => e.type)).toEqual(["chat"]);
    expect(r.win.events().map((e) => e.type)).toEqual(["user_joined"]);
    expect(w.win.events().map((e) => e.type)).toEqual(["chat"]);
    // A raw client in the same frame subscribes on the window too: each channel gets each event once.
    await r.request("subscribeEvents");
    h.host.emit("user_left", { userName: "Bob", userId: 2 });
    expect(rPort.events().map((e) => e.type)).toEqual(["user_joined", "user_left"]);
    expect(r.win.events().map((e) => e.type)).toEqual(["user_joined", "user_left"]);
    await r.portRequest("unsubscribeEvents");
    h.host.emit("user_joined", { userName: "Cy", userId: 3, device: "Web", canWrite: true });
    expect(rPort.events()).toHaveLength(2);
    expect(r.win.events()).toHaveLength(3); // the window subscription remains
    await r.request("unsubscribeEvents");
    h.host.emit("user_left", { userName: "Cy", userId: 3 });
    expect(r.win.events()).toHaveLength(3);
  });

  it("without MessageChannel (channel: null) nothing is transferred and the window protocol is unchanged", async () => {
    const h = harness([reader]);
    const { win, request } = h.frame("t.reader");
    expect(win.ports).toEqual([]);
    expect(await request("getSession")).toMatchObject({ result: { id: "sess1" } });
  });
});

describe("BridgeHost: batches on the port", () => {
  const envelope = (win: { init?: { authToken: string; pluginId: string } }, id: string, method: string, params?: unknown) =>
    ({ type: "taiku:request", id, pluginId: win.init!.pluginId, authToken: win.init!.authToken, method, ...(params === undefined ? {} : { params }) });
  const turns = async (n = 5) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
  };

  it("runs each envelope of an array as its own request and answers a batching client in one message", async () => {
    const h = harness([reader], { ports: true });
    const { win } = h.frame("t.reader");
    const port = win.ports[0]!;
    port.send(envelope(win, "a", "getSession"));
    await turns();
    expect(port.messages).toMatchObject([{ type: "taiku:response", id: "a" }]); // single in, single out
    port.send([envelope(win, "b", "getSession"), envelope(win, "c", "writeToShell", { shellId: 1, data: "x" }), { ...envelope(win, "d", "getSession"), pluginId: "t.writer" }]);
    await turns();
    expect(port.messages).toHaveLength(2);
    // In any order (§6.2: the error is known before the method runs); "d" claimed another plugin: dropped.
    expect((port.messages[1] as Array<{ id: string }>).toSorted((x, y) => x.id.localeCompare(y.id))).toMatchObject([
      { id: "b", result: { id: "sess1" } },
      { id: "c", error: "Permission denied: terminal.write is required for writeToShell" },
    ]);
    // From now on this client takes arrays; a lone answer still travels alone.
    port.send(envelope(win, "e", "getSession"));
    await turns();
    expect(port.messages[2]).toMatchObject({ id: "e" });
  });

  it("drops an empty or oversized batch whole", async () => {
    const h = harness([reader], { ports: true });
    const { win } = h.frame("t.reader");
    const port = win.ports[0]!;
    const dropped = h.host.stats.dropped;
    port.send([]);
    port.send(Array.from({ length: 65 }, (_, i) => envelope(win, `x${i}`, "getSession")));
    await turns();
    expect(port.messages).toEqual([]);
    expect(h.host.stats.dropped).toBe(dropped + 2);
    port.send(Array.from({ length: 64 }, (_, i) => envelope(win, `y${i}`, "getSession")));
    await turns();
    expect(port.received).toHaveLength(64);
  });
});
