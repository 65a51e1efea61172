/** AliasHost (aliases.ts): who registers which names, and who may answer an invocation, once. */
import { describe, expect, it } from "vitest";
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

  it("is not supported without an alias host", async () => {
    const h = harness([music()]);
    expect((await h.frame("a.music", "bg").request("respondAlias", { invocationId: 1 }))?.error).toMatch(/not supported/i);
  });
});
