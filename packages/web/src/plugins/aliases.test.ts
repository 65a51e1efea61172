/** AliasHost (aliases.ts): who registers which names, and who may answer an invocation, once. */
import { describe, expect, it, vi } from "vitest";
import { harness, registered } from "./testing.js";

const music = (opts: { granted?: string[]; serverManaged?: boolean } = {}) =>
  registered({ id: "a.music", permissions: ["events.subscribe", "shell.alias"], panels: [{ id: "bg", title: "bg", htmlUrl: "bg.html", background: true }], aliases: [{ name: "music" }, { name: "play" }] }, opts);
const other = registered({ id: "b.other", permissions: ["events.subscribe", "shell.alias"], aliases: [{ name: "todo" }] });
const owned = { owners: [{ shellId: 1, userId: 5, name: "Ada" }] };
const invocation = { invocationId: 9, shellId: 1, name: "music", args: ["x"], cwd: "/w" };

function setup(plugins = [music(), other]) {
  const h = harness(plugins, { aliases: true });
  const stop = h.aliases!.start();
  return { h, stop, registers: () => h.session.sent.filter((m) => m.t === "registerAliases") };
}

/** A shell this client owns and a.music's background frame subscribed to every event: calls reach it. */
async function listening() {
  const { h } = setup();
  h.session.setState(owned);
  const m = h.frame("a.music", "bg");
  await m.request("subscribeEvents");
  return { h, m };
}

describe("AliasHost", () => {
  it("registers only while this client owns a shell, and unregisters when it stops", () => {
    const { h, registers } = setup();
    expect(registers()).toEqual([]);
    h.session.setState(owned);
    expect(registers()).toEqual([
      { t: "registerAliases", pluginId: "a.music", aliases: ["music", "play"] },
      { t: "registerAliases", pluginId: "b.other", aliases: ["todo"] },
    ]);
    h.session.setState({ owners: [{ shellId: 1, userId: 5, name: "Ada" }, { shellId: 2, userId: 5, name: "Ada" }] });
    expect(registers()).toHaveLength(2); // nothing changed
    h.plugins.delete("b.other");
    h.aliases!.sync();
    expect(registers().at(-1)).toEqual({ t: "registerAliases", pluginId: "b.other", aliases: [] });
    h.session.setState({ status: "reconnecting" });
    h.session.setState({ status: "online" }); // a new connection: the relay forgot our names
    expect(registers().at(-1)).toEqual({ t: "registerAliases", pluginId: "a.music", aliases: ["music", "play"] });
  });

  it("needs shell.alias granted; session-managed plugins register for an admin without a shell", () => {
    const { h, registers } = setup([music({ granted: ["events.subscribe"] })]);
    h.session.setState(owned);
    expect(registers()).toEqual([]);
    const admin = setup([music({ serverManaged: true })]);
    admin.h.session.setState({ role: "admin" });
    expect(admin.registers()).toEqual([{ t: "registerAliases", pluginId: "a.music", aliases: ["music", "play"] }]);
  });

  it("delivers alias_invoked to the registering plugin; only it may answer, once", async () => {
    const { h } = setup();
    h.session.setState(owned);
    const m = h.frame("a.music", "bg");
    const o = h.frame("b.other", "bg");
    await m.request("subscribeEvents");
    await o.request("subscribeEvents");
    h.session.events.emit("aliasInvocation", invocation);
    expect(m.win.events()).toEqual([
      expect.objectContaining({ type: "alias_invoked", data: { invocationId: 9, name: "music", args: ["x"], shellId: 1, cwd: "/w", userName: "Ada" } }),
    ]);
    expect(o.win.events()).toEqual([]);
    expect((await o.request("respondAlias", { invocationId: 9, stdout: "no" }))?.error).toMatch(/unknown or answered invocation 9/);
    expect(await m.request("respondAlias", { invocationId: 9, stdout: "ok\n" })).toEqual({ result: { ok: true } });
    expect((await m.request("respondAlias", { invocationId: 9 }))?.error).toMatch(/unknown or answered/);
    expect(h.session.aliasAnswers).toEqual([{ invocationId: 9, shellId: 1, stdout: "ok\n", stderr: "", exitCode: 0 }]);
  });

  it("answers at once for a name no plugin here registered", () => {
    const { h } = setup();
    h.session.setState(owned);
    h.session.events.emit("aliasInvocation", { ...invocation, name: "nope" });
    expect(h.session.aliasAnswers).toEqual([expect.objectContaining({ invocationId: 9, exitCode: 127, stderr: expect.stringContaining('"nope"') })]);
  });

  it("answers at once, as unanswered (124), when no frame of the registering plugin listens", async () => {
    const { h } = setup();
    h.session.setState(owned);
    const refused = (invocationId: number) =>
      expect.objectContaining({ invocationId, shellId: 1, stdout: "", exitCode: 124, stderr: 'taiku: no plugin client responded: no plugin frame is listening for "music" in this browser\n' });
    h.session.events.emit("aliasInvocation", invocation); // enabled and registered, but no frame loaded
    expect(h.session.aliasAnswers).toEqual([refused(9)]);
    const m = h.frame("a.music", "bg"); // loaded, not subscribed
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 10 });
    expect(h.session.aliasAnswers).toEqual([refused(9), refused(10)]);
    await m.request("subscribeEvents", { types: ["plugin_event"] }); // subscribed, but not to alias_invoked
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 11 });
    expect(h.session.aliasAnswers).toHaveLength(3);
    expect(m.win.events()).toEqual([]);
    expect((await m.request("respondAlias", { invocationId: 11 }))?.error).toMatch(/unknown or answered/);
    const o = h.frame("b.other", "bg"); // another plugin's subscribed frame does not count
    await o.request("subscribeEvents");
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 12 });
    expect(h.session.aliasAnswers.at(-1)).toEqual(refused(12));
    expect(o.win.events()).toEqual([]);
    const back = h.frame("a.music", "bg");
    await back.request("subscribeEvents");
    h.host.unmountPlugin("a.music"); // unloaded again
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 13 });
    expect(h.session.aliasAnswers.at(-1)).toEqual(refused(13));
    expect(back.win.events()).toEqual([]);
  });

  it("answers a waiting call at once when its plugin is disabled", async () => {
    const { h } = await listening();
    h.session.events.emit("aliasInvocation", invocation);
    expect(h.session.aliasAnswers).toEqual([]);
    h.plugins.set("a.music", { ...h.plugins.get("a.music")!, enabled: false });
    h.host.unmountPlugin("a.music");
    h.aliases!.sync();
    expect(h.session.aliasAnswers).toEqual([expect.objectContaining({ invocationId: 9, exitCode: 124, stderr: expect.stringContaining('the plugin for "music" was disabled') })]);
    expect(h.session.sent.at(-1)).toEqual({ t: "registerAliases", pluginId: "a.music", aliases: [] });
  });

  it("answers a waiting call at once when the frame that got it is closed or reloaded", async () => {
    const { h, m } = await listening();
    const closed = (invocationId: number) =>
      expect.objectContaining({ invocationId, shellId: 1, stdout: "", exitCode: 124, stderr: 'taiku: no plugin client responded: the plugin frame for "music" was closed before it answered\n' });
    h.session.events.emit("aliasInvocation", invocation);
    expect(m.win.events()).toHaveLength(1);
    expect(h.session.aliasAnswers).toEqual([]);
    h.host.unmount(m.win); // panel closed
    expect(h.session.aliasAnswers).toEqual([closed(9)]);
    expect(h.session.sent.filter((x) => x.t === "registerAliases" && x.aliases.length === 0)).toEqual([]); // still registered

    const again = h.frame("a.music", "bg");
    await again.request("subscribeEvents");
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 10 });
    h.host.mount(again.win, "a.music", "bg"); // the frame reloaded: the new document never saw the call
    expect(h.session.aliasAnswers).toEqual([closed(9), closed(10)]);
  });

  it("answers a waiting call at once when the frame that got it stops listening (unsubscribeEvents)", async () => {
    const { h, m } = await listening();
    const stopped = (invocationId: number) =>
      expect.objectContaining({ invocationId, shellId: 1, stdout: "", exitCode: 124, stderr: 'taiku: no plugin client responded: the plugin frame for "music" stopped listening before it answered\n' });
    h.session.events.emit("aliasInvocation", invocation);
    expect(m.win.events()).toHaveLength(1);
    await m.request("unsubscribeEvents"); // the frame stays loaded
    expect(h.session.aliasAnswers).toEqual([stopped(9)]);
    expect((await m.request("respondAlias", { invocationId: 9 }))?.error).toMatch(/unknown or answered/);

    await m.request("subscribeEvents");
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 10 });
    await m.request("subscribeEvents", { types: ["plugin_event"] }); // re-subscribed without alias_invoked
    expect(h.session.aliasAnswers).toEqual([stopped(9), stopped(10)]);

    const b = h.frame("a.music", "side"); // another frame of the plugin still listens: keep waiting
    await m.request("subscribeEvents");
    await b.request("subscribeEvents", { types: ["alias_invoked"] });
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 11 });
    await m.request("unsubscribeEvents");
    expect(h.session.aliasAnswers).toHaveLength(2);
    expect(await b.request("respondAlias", { invocationId: 11, stdout: "ok\n" })).toEqual({ result: { ok: true } });
    expect(h.session.aliasAnswers.at(-1)).toEqual({ invocationId: 11, shellId: 1, stdout: "ok\n", stderr: "", exitCode: 0 });
  });

  it("keeps waiting while another subscribed frame of the plugin is still there; that frame may answer", async () => {
    const { h } = setup();
    h.session.setState(owned);
    const a = h.frame("a.music", "bg");
    const b = h.frame("a.music", "side");
    const o = h.frame("b.other", "bg");
    await a.request("subscribeEvents");
    await b.request("subscribeEvents", { types: ["alias_invoked"] });
    await o.request("subscribeEvents");
    h.session.events.emit("aliasInvocation", invocation);
    h.host.unmount(a.win);
    h.host.unmount(o.win); // another plugin's frame: not this call's business
    expect(h.session.aliasAnswers).toEqual([]);
    expect(await b.request("respondAlias", { invocationId: 9, stdout: "ok\n" })).toEqual({ result: { ok: true } });
    expect(h.session.aliasAnswers).toEqual([{ invocationId: 9, shellId: 1, stdout: "ok\n", stderr: "", exitCode: 0 }]);

    const c = h.frame("a.music", "bg");
    await c.request("subscribeEvents", { types: ["plugin_event"] }); // loaded, but not listening for calls
    h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 10 });
    h.host.unmount(b.win);
    expect(h.session.aliasAnswers.at(-1)).toEqual(expect.objectContaining({ invocationId: 10, exitCode: 124, stderr: expect.stringContaining("was closed before it answered") }));
  });

  it("ignores the same invocation delivered again while it waits: the first stays answerable", async () => {
    const { h, m } = await listening();
    h.session.events.emit("aliasInvocation", invocation);
    h.session.events.emit("aliasInvocation", invocation); // a resend of call 9
    expect(h.session.aliasAnswers).toEqual([]);
    expect(m.win.events()).toHaveLength(1);
    expect(await m.request("respondAlias", { invocationId: 9, stdout: "ok\n" })).toEqual({ result: { ok: true } });
    expect(h.session.aliasAnswers).toEqual([{ invocationId: 9, shellId: 1, stdout: "ok\n", stderr: "", exitCode: 0 }]);
  });

  it("logs an answer that cannot be sent instead of leaving the rejection unhandled", async () => {
    const { h } = setup();
    h.session.setState(owned);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      h.session.answerAlias = () => Promise.reject(new Error("session not started"));
      h.session.events.emit("aliasInvocation", { ...invocation, name: "nope" }); // 127 at once
      h.session.events.emit("aliasInvocation", { ...invocation, invocationId: 10 }); // 124 at once: no frame
      await new Promise((r) => setTimeout(r, 10));
      expect(unhandled).not.toHaveBeenCalled();
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        "taiku: could not answer alias invocation 9",
        "taiku: could not answer alias invocation 10",
      ]);
    } finally {
      process.off("unhandledRejection", unhandled);
      warn.mockRestore();
    }
  });

  it("is not supported without an alias host", async () => {
    const h = harness([music()]);
    expect((await h.frame("a.music", "bg").request("respondAlias", { invocationId: 1 }))?.error).toMatch(/not supported/i);
  });
});
