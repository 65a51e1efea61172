/** AliasBroker (relay/aliases.ts): the name union pushed to the CLI, routing, deadlines, who may answer. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CliDown, ServerMessage } from "@taiku/protocol";
import { ALIAS_DEFAULTS, AliasBroker, type AliasLimits } from "../../src/relay/aliases.js";

const frame = { n: new Uint8Array(12), c: new Uint8Array(20) };

function setup(limits: Partial<AliasLimits> = {}) {
  const cli: CliDown[] = [];
  const inbox = new Map<number, ServerMessage[]>();
  const online = new Set([1, 2, 3]);
  const owners = new Map<number, number>([[1, 1]]);
  const broker = new AliasBroker({
    sendCli: (m) => void cli.push(m),
    peer: (userId) => (online.has(userId) ? { userId, send: (m) => void (inbox.get(userId) ?? inbox.set(userId, []).get(userId)!).push(m) } : undefined),
    ownerOf: (shellId) => owners.get(shellId) ?? null,
    limits: () => ({ ...ALIAS_DEFAULTS, ...limits }),
  });
  const call = (invocationId: number, shellId = 1, name?: string) =>
    broker.onCall({ t: "aliasCall", invocationId, shellId, frame, ...(name ? { name } : {}) });
  const got = (userId: number) => inbox.get(userId) ?? [];
  return { broker, cli, online, owners, call, got };
}

afterEach(() => vi.useRealTimers());

describe("AliasBroker", () => {
  it("pushes the union of names on change only, and again to a re-attached CLI", () => {
    const { broker, cli } = setup();
    expect(broker.register(1, "a.p", ["music", "play"])).toBeNull();
    expect(broker.register(2, "b.p", ["play", "todo"])).toBeNull();
    expect(broker.register(2, "b.p", ["todo", "play"])).toBeNull(); // same set: nothing sent
    expect(cli).toEqual([{ t: "aliases", names: ["music", "play"] }, { t: "aliases", names: ["music", "play", "todo"] }]);
    broker.cliAttached();
    expect(cli.at(-1)).toEqual({ t: "aliases", names: ["music", "play", "todo"] });
    broker.register(1, "a.p", []);
    expect(cli.at(-1)).toEqual({ t: "aliases", names: ["play", "todo"] });
  });

  it("refuses invalid names and changes nothing", () => {
    const { broker, cli } = setup();
    expect(broker.register(1, "a.p", ["ok", "Bad Name"])).toMatch(/invalid alias name/);
    expect(broker.register(1, "a.p", ["-x"])).toMatch(/invalid alias name/);
    expect(broker.names()).toEqual([]);
    expect(cli).toEqual([]);
  });

  it("bounds the plugins one client may register", () => {
    const { broker } = setup({ aliasPluginsPerPeer: 2 });
    expect(broker.register(1, "a", ["a"])).toBeNull();
    expect(broker.register(1, "b", ["b"])).toBeNull();
    expect(broker.register(1, "c", ["c"])).toMatch(/too many/);
    expect(broker.register(1, "a", ["a2"])).toBeNull(); // replacing is fine
  });

  it("routes to the owner of the calling shell when it registered the name, else to a client that did", () => {
    const { broker, call, got, owners } = setup();
    broker.register(2, "b.p", ["music"]);
    broker.register(1, "a.p", ["music"]);
    call(7, 1, "music");
    expect(got(1)).toEqual([{ t: "aliasInvocation", invocationId: 7, shellId: 1, frame }]);
    owners.set(1, 3); // owner 3 registered nothing: fallback
    call(8, 1, "music");
    expect(got(2)).toEqual([{ t: "aliasInvocation", invocationId: 8, shellId: 1, frame }]);
    broker.register(1, "a.p", ["other"]);
    owners.set(1, 1); // the owner has aliases, but not this one
    call(9, 1, "music");
    expect(got(2).map((m) => (m as { invocationId: number }).invocationId)).toEqual([8, 9]);
    expect(broker.inFlight).toBe(3);
  });

  it("answers timeout at once without a client, and after the deadline", () => {
    vi.useFakeTimers();
    const { broker, call, cli } = setup({ aliasAnswerMs: 50 });
    call(1, 1, "music");
    expect(cli).toEqual([{ t: "aliasResult", invocationId: 1, frame: null, timeout: true }]);
    broker.register(2, "b.p", ["music"]);
    call(2, 1, "music");
    vi.advanceTimersByTime(49);
    expect(cli.filter((m) => m.t === "aliasResult")).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(cli.at(-1)).toEqual({ t: "aliasResult", invocationId: 2, frame: null, timeout: true });
    expect(broker.onResult(2, 2, frame)).toMatch(/no such/); // too late
  });

  it("relays only the invoked client's answer, once", () => {
    const { broker, call, cli } = setup();
    broker.register(2, "b.p", ["music"]);
    broker.register(3, "c.p", ["music"]);
    call(4, 1, "music");
    expect(broker.onResult(3, 4, frame)).toMatch(/no such/);
    expect(broker.onResult(2, 4, frame)).toBeNull();
    expect(broker.onResult(2, 4, frame)).toMatch(/no such/);
    expect(cli.filter((m) => m.t === "aliasResult")).toEqual([{ t: "aliasResult", invocationId: 4, frame, timeout: false }]);
  });

  it("relays a client's answer sent at once, while the invocation is being delivered, and drops the deadline", () => {
    vi.useFakeTimers();
    const cli: CliDown[] = [];
    const answered: Array<string | null> = [];
    const broker = new AliasBroker({ sendCli: (m) => void cli.push(m), peer: () => peer, ownerOf: () => 2, limits: () => ({ ...ALIAS_DEFAULTS, aliasAnswerMs: 50 }) });
    // A plugin host with no listening frame answers (sealed: "no plugin client responded", 124) from within `send`.
    const peer = { userId: 2, send: (m: ServerMessage) => void answered.push(broker.onResult(2, (m as { invocationId: number }).invocationId, frame)) };
    broker.register(2, "b.p", ["music"]);
    broker.onCall({ t: "aliasCall", invocationId: 6, shellId: 1, frame, name: "music" });
    expect(answered).toEqual([null]);
    expect(broker.inFlight).toBe(0);
    vi.advanceTimersByTime(100);
    expect(cli.filter((m) => m.t === "aliasResult")).toEqual([{ t: "aliasResult", invocationId: 6, frame, timeout: false }]);
  });

  it("drops a leaving client's names and fails its invocations at once", () => {
    const { broker, call, cli, online } = setup();
    broker.register(2, "b.p", ["music"]);
    call(5, 1, "music");
    online.delete(2);
    broker.peerLeft(2);
    expect(cli.slice(-2)).toEqual([
      { t: "aliasResult", invocationId: 5, frame: null, timeout: true },
      { t: "aliases", names: [] },
    ]);
    expect(broker.inFlight).toBe(0);
  });

  it("bounds pending invocations and refuses duplicate ids", () => {
    const { broker, call, cli } = setup({ aliasMaxPending: 2 });
    broker.register(2, "b.p", ["music"]);
    call(1, 1, "music");
    call(1, 1, "music");
    expect(cli.at(-1)).toEqual({ t: "error", message: "duplicate alias invocation id" });
    call(2, 1, "music");
    call(3, 1, "music");
    expect(cli.at(-1)).toEqual({ t: "aliasResult", invocationId: 3, frame: null, timeout: true });
    expect(broker.inFlight).toBe(2);
    broker.stop();
    expect(broker.inFlight).toBe(0);
  });
});
