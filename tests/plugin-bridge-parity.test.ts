/**
 * MockHost (plugin-sdk) and the web host (packages/web/src/plugins) must answer a plugin alike: a plugin
 * tested against MockHost has to behave the same in taiku. Each check below runs unchanged against both,
 * speaking the raw bridge (§6) as a plugin frame does.
 */
import { BRIDGE_ERRORS, type Role } from "@taiku/protocol";
import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import { describe, expect, it } from "vitest";
import { KvEntries } from "../packages/web/src/common/kv-entries.js";
import { routeSessionEvents } from "../packages/web/src/plugins/state-events.js";
import { NOT_INITIALISED } from "../packages/web/src/plugins/bridge-host.js";
import { FakeFrame, harness, registered } from "../packages/web/src/plugins/testing.js";

const PLUGIN = "t.parity";
const OTHER = "t.other";
const ALL = [
  "session.read", "session.write", "terminal.read", "terminal.write", "events.subscribe", "chat.write",
  "workspace.read", "workspace.write", "kv.read", "kv.write",
];

type Answer = { result?: unknown; error?: string };
interface Host {
  call(method: string, params?: unknown): Promise<Answer>;
  /** The host emits an event (the session produced it). */
  emit(type: string, data: unknown): void;
  /** Events the plugin frame received so far (after letting pending deliveries land). */
  events(): Promise<Array<{ type: string; data: Record<string, unknown> }>>;
}
interface Opts { role?: Role; permissions?: string[] }
const settle = () => new Promise((r) => setTimeout(r, 5));

function mockHost(opts: Opts): Host {
  const win = createTestWindow();
  const mock = new MockHost({ pluginId: PLUGIN, sessionId: "s", window: win, role: opts.role ?? "writer", permissions: opts.permissions ?? ALL });
  const got: Array<Record<string, unknown>> = [];
  win.addEventListener("message", (e) => got.push(e.data as Record<string, unknown>));
  let seq = 0;
  return {
    async call(method, params) {
      const id = `m${++seq}`;
      win.postMessage({ type: "taiku:request", id, pluginId: PLUGIN, authToken: mock.authToken, method, ...(params === undefined ? {} : { params }) }, "*");
      for (let i = 0; i < 50; i++) {
        await settle();
        const r = got.find((m) => m.type === "taiku:response" && m.id === id) as Answer | undefined;
        if (r) return "error" in r ? { error: r.error! } : { result: r.result };
      }
      throw new Error(`no answer to ${method}`);
    },
    emit: (type, data) => void mock.emit(type, data),
    async events() {
      await settle();
      return got.filter((m) => m.type === "taiku:event").map((m) => m.event as { type: string; data: Record<string, unknown> });
    },
  };
}

function webHost(opts: Opts): Host {
  const h = harness([registered({ id: PLUGIN, permissions: opts.permissions ?? ALL }), registered({ id: OTHER })]);
  const role = opts.role ?? "writer";
  h.session.setState({ role, canWrite: role !== "reader" });
  // The relay echoes every session KV write to all participants, the writer too (§9.3).
  const send = h.session.send.bind(h.session);
  h.session.send = (m) => {
    send(m);
    if (m.t !== "pluginKvSet" && m.t !== "pluginKvDelete") return;
    const value = m.t === "pluginKvSet" ? m.value : null;
    const before = h.session.state.pluginKv[m.pluginId]?.entries ?? KvEntries.empty;
    const entries = m.t === "pluginKvSet" ? before.with(m.key, value) : before.without(m.key);
    h.session.state = { ...h.session.state, pluginKv: { ...h.session.state.pluginKv, [m.pluginId]: { entries, rev: 1 } } };
    h.session.events.emit("pluginKvDiff", { t: "pluginKvDiff", pluginId: m.pluginId, key: m.key, value: value as never, deleted: m.t === "pluginKvDelete", rev: 1, userId: 5 });
  };
  routeSessionEvents(h.session, h.kv, h.output, h.agents, (t, d, only) => h.host.emit(t, d, only));
  const frame = h.frame(PLUGIN);
  return {
    call: async (method, params) => (await frame.request(method, params)) ?? { error: "dropped" },
    emit: (type, data) => void h.host.emit(type, data),
    async events() {
      await settle();
      return frame.win.events();
    },
  };
}

const HOSTS: Array<[string, (o: Opts) => Host]> = [["MockHost", mockHost], ["web host", webHost]];

describe.each(HOSTS)("%s", (_name, make) => {
  it("delivers events only after subscribeEvents, within its types, and not after unsubscribeEvents (§6.4)", async () => {
    const host = make({});
    host.emit("shell:data", { shellId: 1 });
    expect(await host.events()).toEqual([]);
    expect(await host.call("subscribeEvents", { types: ["session_renamed"] })).toEqual({ result: { ok: true } });
    host.emit("shell:data", { shellId: 1 });
    host.emit("session_renamed", { name: "x" });
    expect((await host.events()).map((e) => e.type)).toEqual(["session_renamed"]);
    await host.call("unsubscribeEvents");
    host.emit("session_renamed", { name: "y" });
    expect((await host.events()).map((e) => e.type)).toEqual(["session_renamed"]);
  });

  it("refuses shell writes to a reader and renaming to a non-admin, with the host's texts (§6.3 step 6, §7.1)", async () => {
    const reader = make({ role: "reader" });
    for (const [method, params] of [["writeToShell", { shellId: 1, data: "ls\n" }], ["createShell", {}], ["closeShell", { shellId: 1 }], ["splitShell", {}]] as const) {
      expect(await reader.call(method, params), method).toEqual({ error: BRIDGE_ERRORS.writeAuthRequired });
    }
    expect(await reader.call("adoptShell", { shellId: 1 })).toEqual({ result: { status: "denied", message: BRIDGE_ERRORS.writeAuthRequired } });
    expect(await make({ role: "writer" }).call("renameSession", { name: "n" })).toEqual({ error: BRIDGE_ERRORS.adminAuthRequired });
    expect(await make({ role: "admin" }).call("renameSession", { name: "n" })).toEqual({ result: { ok: true } });
  });

  it("keeps session KV values as JSON and refuses what JSON cannot hold (§9.3)", async () => {
    const host = make({});
    expect(await host.call("setPluginData", { key: "k", value: { at: new Date(0), gone: undefined } })).toEqual({ result: { ok: true } });
    expect(await host.call("getPluginData", { key: "k" })).toEqual({ result: { at: "1970-01-01T00:00:00.000Z" } });
    expect(await host.call("setPluginData", { key: "b", value: 10n })).toEqual({ error: BRIDGE_ERRORS.invalidParams("value must be JSON") });
    expect(await host.call("getPluginData", { key: "missing" })).toEqual({ result: null });
    expect(await host.call("deletePluginData", { key: "missing" })).toEqual({ result: { ok: true } });
  });

  it("tells the plugin about its own session KV writes with plugin_data_changed (§8)", async () => {
    const host = make({});
    await host.call("subscribeEvents");
    await host.call("setPluginData", { key: "k", value: 1 });
    await host.call("deletePluginData", { key: "k" });
    await host.call("deletePluginData", { key: "never-set" });
    await host.call("setOtherPluginData", { pluginId: OTHER, key: "o", value: 2 });
    const changes = (await host.events()).filter((e) => e.type === "plugin_data_changed").map((e) => e.data);
    expect(changes).toEqual([
      { pluginId: PLUGIN, key: "k", deleted: false, userName: expect.any(String) },
      { pluginId: PLUGIN, key: "k", deleted: true, userName: expect.any(String) },
      { pluginId: OTHER, key: "o", deleted: false, userName: expect.any(String) },
    ]);
    // Another plugin's keys need kv.read.
    const blind = make({ permissions: ["events.subscribe", "kv.write"] });
    await blind.call("subscribeEvents");
    await blind.call("setOtherPluginData", { pluginId: OTHER, key: "o", value: 3 });
    expect(await blind.events()).toEqual([]);
  });
});

/** A frame whose page sends requests before it has `taiku:init` (the documented raw clients may). */
interface LoadingFrame {
  send(data: Record<string, unknown>): void;
  /** The frame finished loading: the host sends `taiku:init`. */
  load(): void;
  authToken(): string;
  answers(): Promise<Array<Record<string, unknown>>>;
}

function mockLoading(): LoadingFrame {
  const win = createTestWindow();
  const mock = new MockHost({ pluginId: PLUGIN, sessionId: "s", window: win, autoInit: false });
  const got: Array<Record<string, unknown>> = [];
  win.addEventListener("message", (e) => got.push(e.data as Record<string, unknown>));
  return {
    send: (data) => win.postMessage(data, "*"),
    load: () => mock.init(),
    authToken: () => mock.authToken,
    answers: async () => (await settle(), got.filter((m) => m.type === "taiku:response")),
  };
}

function webLoading(): LoadingFrame {
  const h = harness([registered({ id: PLUGIN, permissions: ALL })]);
  const win = new FakeFrame();
  h.host.mount(win, PLUGIN, "p", { loading: true });
  return {
    send: (data) => void h.host.onMessage(win, structuredClone(data)),
    load: () => void h.host.mount(win, PLUGIN, "p"),
    authToken: () => win.init!.authToken,
    answers: async () => (await settle(), win.responses() as unknown as Array<Record<string, unknown>>),
  };
}

describe.each([["MockHost", mockLoading], ["web host", webLoading]] as const)("%s, requests before taiku:init", (_name, make) => {
  it("runs the first page's pre-init requests as the frame's, and refuses later anonymous ones (§6.3)", async () => {
    const frame = make();
    const anonymous = (id: string) => ({ type: "taiku:request", id, pluginId: "", authToken: "", method: "getPluginInfo" });
    frame.send(anonymous("early"));
    await settle();
    expect(await frame.answers()).toEqual([]);
    frame.load();
    expect(await frame.answers()).toEqual([{ type: "taiku:response", id: "early", result: expect.objectContaining({ pluginId: PLUGIN }) }]);
    frame.send({ type: "taiku:request", id: "known", pluginId: PLUGIN, authToken: frame.authToken(), method: "getPluginInfo" });
    await settle();
    frame.send(anonymous("late"));
    expect((await frame.answers()).find((m) => m.id === "late")).toEqual({ type: "taiku:response", id: "late", error: BRIDGE_ERRORS.notInitialised });
  });

  it("drops a wrong token before answering its bad params", async () => {
    const frame = make();
    frame.load();
    await settle();
    frame.send({ type: "taiku:request", id: "bad", pluginId: PLUGIN, authToken: "stolen", method: "getSession", params: [1] });
    frame.send({ type: "taiku:request", id: "good", pluginId: PLUGIN, authToken: frame.authToken(), method: "getSession", params: [1] });
    expect(await frame.answers()).toEqual([{ type: "taiku:response", id: "good", error: BRIDGE_ERRORS.invalidParams() }]);
  });
});

it("the host's not-initialised text is the shared one", () => {
  expect(NOT_INITIALISED).toBe(BRIDGE_ERRORS.notInitialised);
});
