/**
 * The MessagePort taiku's host transfers with `taiku:init`: the client adopts it (only from the host,
 * only with an init, once) and then sends requests and takes answers and events on it. Without a port
 * (MockHost, other hosts) nothing changes.
 */
import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { TaikuPlugin } from "./plugin.js";

type Listener = (e: MessageEvent) => void;

/** A plugin window whose host (`parent`) records posts; `deliver` plays a message from any source. */
function fakeFrame() {
  const listeners = new Set<Listener>();
  const posted: unknown[] = [];
  const parent = { postMessage: (m: unknown) => void posted.push(m) };
  const win = {
    parent,
    addEventListener: (_t: "message", l: Listener) => void listeners.add(l),
    removeEventListener: (_t: "message", l: Listener) => void listeners.delete(l),
  };
  const deliver = (data: unknown, opts: { source?: unknown; ports?: MessagePort[] } = {}) => {
    const e = { data, source: "source" in opts ? opts.source : parent, ports: opts.ports ?? [] } as unknown as MessageEvent;
    for (const l of [...listeners]) l(e);
  };
  return { win, parent, posted, deliver };
}

const init = { type: "taiku:init", pluginId: "t.p", sessionId: "s1", panelId: "main", authToken: "tok" };
const opened: MessagePort[] = [];
/** A channel whose first end answers getSession like the host, and records every request. */
function hostChannel() {
  const { port1, port2 } = new MessageChannel();
  opened.push(port1, port2);
  const requests: Array<Record<string, unknown>> = [];
  port1.onmessage = (e) => {
    const m = e.data as Record<string, unknown>;
    requests.push(m);
    port1.postMessage({ type: "taiku:response", id: m.id, result: m.method === "getSession" ? { id: "s1" } : { ok: true } });
  };
  return { host: port1, plugin: port2, requests };
}

afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

describe("BridgeClient over the host's MessagePort", () => {
  it("adopts the port from the host's init and sends every request on it", async () => {
    const f = fakeFrame();
    const ch = hostChannel();
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent });
    f.deliver(init, { ports: [ch.plugin] });
    expect(await plugin.getSession()).toEqual({ id: "s1" });
    expect(plugin.transport).toBe("port");
    expect(ch.requests).toMatchObject([{ type: "taiku:request", pluginId: "t.p", authToken: "tok", method: "getSession" }]);
    expect(f.posted).toEqual([{ type: "taiku:ready" }]);
    plugin.destroy();
  });

  it("takes events from the port and ignores window events once on it", async () => {
    const f = fakeFrame();
    const ch = hostChannel();
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent });
    f.deliver(init, { ports: [ch.plugin] });
    const seen: string[] = [];
    plugin.on("chat", (e) => void seen.push(e.data.message));
    await plugin.ready();
    await new Promise((r) => setTimeout(r, 20));
    expect(ch.requests.map((r) => r.method)).toEqual(["subscribeEvents"]);
    f.deliver({ type: "taiku:event", event: { type: "chat", data: { message: "window" }, timestamp: 1 } });
    ch.host.postMessage({ type: "taiku:event", event: { type: "chat", data: { message: "port" }, timestamp: 2 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(["port"]);
    plugin.destroy();
  });

  it("takes a port only from the host, only with an init, and only once", async () => {
    const f = fakeFrame();
    const foreign = hostChannel();
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent });
    f.deliver(init, { source: {}, ports: [foreign.plugin] });
    f.deliver({ type: "taiku:event", event: { type: "x", data: {}, timestamp: 1 } }, { ports: [foreign.plugin] });
    expect(plugin.transport).toBe("window");
    const ch = hostChannel();
    f.deliver(init, { ports: [ch.plugin] });
    const later = hostChannel();
    f.deliver(init, { ports: [later.plugin] });
    await plugin.getSession();
    expect(ch.requests).toHaveLength(1);
    expect(foreign.requests).toEqual([]);
    expect(later.requests).toEqual([]);
    plugin.destroy();
  });

  it("messagePort: false keeps to window.postMessage", async () => {
    const f = fakeFrame();
    const ch = hostChannel();
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent, messagePort: false });
    f.deliver(init, { ports: [ch.plugin] });
    void plugin.getSession().catch(() => {});
    await new Promise((r) => setTimeout(r, 10));
    expect(plugin.transport).toBe("window");
    expect(f.posted).toMatchObject([{ type: "taiku:ready" }, { type: "taiku:request", method: "getSession" }]);
    expect(ch.requests).toEqual([]);
    plugin.destroy();
  });

  it("destroy closes the port: later answers are ignored", async () => {
    const f = fakeFrame();
    const { port1, port2 } = new MessageChannel();
    opened.push(port1, port2);
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent });
    f.deliver(init, { ports: [port2] });
    const pending = plugin.getSession();
    await new Promise((r) => setTimeout(r, 10));
    plugin.destroy();
    await expect(pending).rejects.toThrow("destroyed");
    expect(port2.onmessage).toBeNull();
  });

  it("MockHost offers no port: the window protocol as before", async () => {
    const win = createTestWindow();
    const host = new MockHost({ pluginId: "t.p", sessionId: "s1", window: win });
    const plugin = new TaikuPlugin({ window: win });
    expect((await plugin.getSession()).id).toBe("s1");
    expect(plugin.transport).toBe("window");
    expect(host.requests.map((r) => r.method)).toEqual(["getSession"]);
    plugin.destroy();
  });
});

describe("BridgeClient: batches on the port", () => {
  it("sends the requests of one task as one message (≤ 64 each) and takes arrays of answers", async () => {
    const f = fakeFrame();
    const { port1, port2 } = new MessageChannel();
    opened.push(port1, port2);
    const messages: unknown[] = [];
    port1.onmessage = (e) => {
      messages.push(e.data);
      const batch = e.data as Array<{ id: string }>;
      port1.postMessage(batch.map((m) => ({ type: "taiku:response", id: m.id, result: m.id })));
    };
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent });
    f.deliver(init, { ports: [port2] });
    const results = await Promise.all(Array.from({ length: 70 }, () => plugin.request("getSession")));
    expect(messages.map((m) => (m as unknown[]).length)).toEqual([64, 6]);
    expect(new Set(results).size).toBe(70);
    plugin.destroy();
  });

  it("an uncloneable request in a batch fails alone", async () => {
    const f = fakeFrame();
    const ch = hostChannel();
    const plugin = new TaikuPlugin({ window: f.win, target: f.parent });
    f.deliver(init, { ports: [ch.plugin] });
    await plugin.ready();
    const [a, bad, b] = await Promise.allSettled([
      plugin.request("getSession"),
      plugin.request("setPluginData", { key: "k", value: () => 1 }),
      plugin.request("getSession"),
    ]);
    expect(a).toMatchObject({ status: "fulfilled", value: { id: "s1" } });
    expect(b).toMatchObject({ status: "fulfilled", value: { id: "s1" } });
    expect(bad).toMatchObject({ status: "rejected", reason: { message: expect.stringMatching(/clone/i) } });
    plugin.destroy();
  });
});
