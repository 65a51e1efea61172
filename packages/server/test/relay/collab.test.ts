import { afterEach, describe, expect, it } from "vitest";
import { createdShell, fakeFrame, join, openSession, startRelay, waitFor, type Harness, type HostSession, type Msg, type TestClient } from "./harness.js";
import { KV_QUOTA_MESSAGE } from "../../src/relay/kv.js";

let h: Harness;
afterEach(async () => h?.close());

/** A browser asks for a shell; the fake CLI creates it; returns the ownership token. */
async function browserCreates(host: HostSession, b: TestClient, shellId: number): Promise<Uint8Array> {
  b.send({ t: "create", requestId: 77, rows: 30, cols: 100 });
  const cs = await host.cli.next("createShell");
  expect(cs).toMatchObject({ rows: 30, cols: 100 });
  host.cli.send({ t: "createdShell", shellId, rows: 30, cols: 100, requestId: cs.requestId });
  const tok = await b.next("ownershipToken");
  expect(tok).toMatchObject({ shellId, requestId: 77 });
  return tok.token;
}

const ownerOf = (m: Msg, shellId: number) => m.owners.find((o: Msg) => o.shellId === shellId);

describe("shell ownership", () => {
  it("a browser-created shell is owned by its creator; shells + ownership are broadcast", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const a = await join(h, host, "writer", { name: "Ann" });
    const other = await join(h, host, "writer");
    await browserCreates(host, a.b, 3);
    const shells = await other.b.next("shells", (m) => m.shells.length === 1);
    expect(shells.shells[0]).toEqual({ id: 3, rows: 30, cols: 100, name: null, creatorUserId: a.userId });
    expect(ownerOf(await other.b.next("ownership", (m) => m.owners.length === 1), 3)).toEqual({ shellId: 3, userId: a.userId, name: "Ann" });
    expect(other.b.has("ownershipToken")).toBe(false);
    const ev = await host.cli.next("sessionEvent", (m) => m.kind === "shell_created");
    expect(ev).toMatchObject({ userId: a.userId, userName: "Ann", shellId: 3 });
  });

  it("CLI-created shells go to the first admin who connects; claimShells rebinds after reconnect", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const w = await join(h, host, "writer");
    await createdShell(host, 1);
    expect(ownerOf(await w.b.next("ownership"), 1).userId).toBeNull();
    const admin = await join(h, host, "admin", { name: "Boss" });
    const tok = await admin.b.next("ownershipToken");
    expect(tok.shellId).toBe(1);
    expect(ownerOf(await w.b.next("ownership", (m) => ownerOf(m, 1).userId !== null), 1)).toMatchObject({ userId: admin.userId, name: "Boss" });

    admin.b.ws.close();
    await w.b.next("userDiff", (m) => m.user === null);
    // The owner left but still owns the shell: shown with its last name and no live user.
    expect(ownerOf(await w.b.next("ownership", (m) => ownerOf(m, 1).userId === null), 1)).toEqual({ shellId: 1, userId: null, name: "Boss" });
    // Ownership stays bound to the token after the owner leaves.
    const again = await join(h, host, "admin", { name: "Boss" });
    expect(again.b.has("ownershipToken")).toBe(false);
    again.b.send({ t: "claimShells", claims: [{ shellId: 1, token: new Uint8Array(32) }] });
    again.b.send({ t: "claimShells", claims: [{ shellId: 1, token: tok.token }] });
    const o = await w.b.next("ownership", (m) => ownerOf(m, 1).userId === again.userId);
    expect(ownerOf(o, 1).name).toBe("Boss");
  });

  it("close and setTerminalName need owner or admin; resize rules", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const owner = await join(h, host, "writer");
    const other = await join(h, host, "writer");
    await browserCreates(host, owner.b, 2);
    other.b.send({ t: "close", shellId: 2 });
    expect((await other.b.next("error")).code).toBe("forbidden");
    other.b.send({ t: "setTerminalName", shellId: 2, name: "x" });
    expect((await other.b.next("error")).code).toBe("forbidden");
    other.b.send({ t: "resize", shellId: 2, rows: 10, cols: 10 });
    expect((await other.b.next("error")).code).toBe("forbidden");
    owner.b.send({ t: "resize", shellId: 2, rows: 11, cols: 12 });
    expect(await host.cli.next("resize")).toEqual({ t: "resize", shellId: 2, rows: 11, cols: 12 });
    expect((await other.b.next("shells", (m) => m.shells[0].rows === 11)).shells[0].cols).toBe(12);
    owner.b.send({ t: "setTerminalName", shellId: 2, name: "build" });
    expect((await other.b.next("shells", (m) => m.shells[0].name === "build")).shells[0].id).toBe(2);
    owner.b.send({ t: "close", shellId: 2 });
    expect(await host.cli.next("closeShell")).toEqual({ t: "closeShell", shellId: 2 });
    host.cli.send({ t: "closedShell", shellId: 2 });
    await other.b.next("shells", (m) => m.shells.length === 0);
    // Unowned shell: any writer may resize.
    await createdShell(host, 4);
    await other.b.next("shells", (m) => m.shells.length === 1);
    other.b.send({ t: "resize", shellId: 4, rows: 9, cols: 9 });
    expect((await host.cli.next("resize")).shellId).toBe(4);
  });
});

describe("focus lock", () => {
  it("holder types, others are dropped with throttled focusLocked, owner overrides, lock expires", async () => {
    let clock = 1_000_000;
    h = await startRelay({ limits: { focusLockMs: 1500 }, now: () => clock });
    const host = await openSession(h);
    const owner = await join(h, host, "writer", { name: "Own" });
    const a = await join(h, host, "writer", { name: "A" });
    const b = await join(h, host, "writer", { name: "B" });
    await browserCreates(host, owner.b, 1);
    a.b.send({ t: "data", shellId: 1, counter: 1, frame: fakeFrame() });
    expect(await host.cli.next("input")).toMatchObject({ shellId: 1, userId: a.userId, counter: 1 });
    b.b.send({ t: "data", shellId: 1, counter: 1, frame: fakeFrame() });
    b.b.send({ t: "data", shellId: 1, counter: 2, frame: fakeFrame() });
    expect(await b.b.next("focusLocked")).toEqual({ t: "focusLocked", shellId: 1, holderUserId: a.userId, holderName: "A" });
    // The owner overrides the lock and takes it.
    owner.b.send({ t: "data", shellId: 1, counter: 1, frame: fakeFrame() });
    expect((await host.cli.next("input")).userId).toBe(owner.userId);
    a.b.send({ t: "data", shellId: 1, counter: 2, frame: fakeFrame() });
    await a.b.next("focusLocked");
    expect(b.b.drain("focusLocked")).toHaveLength(0); // throttled: one per second
    // Lock released by focusing elsewhere.
    owner.b.send({ t: "setFocus", shellId: null });
    await a.b.next("userDiff", (m) => m.userId === owner.userId);
    b.b.send({ t: "data", shellId: 1, counter: 3, frame: fakeFrame() });
    expect((await host.cli.next("input")).userId).toBe(b.userId);
    // Expiry: before it, a is dropped; after it, a takes the lock.
    clock += 1499;
    a.b.send({ t: "data", shellId: 1, counter: 3, frame: fakeFrame() });
    expect((await a.b.next("focusLocked")).holderUserId).toBe(b.userId);
    clock += 1;
    a.b.send({ t: "data", shellId: 1, counter: 3, frame: fakeFrame() });
    expect((await host.cli.next("input")).userId).toBe(a.userId);
    expect(host.cli.drain("input")).toHaveLength(0);
  });
});

describe("adoption", () => {
  async function setup(limits = {}) {
    h = await startRelay({ limits });
    const host = await openSession(h);
    const owner = await join(h, host, "writer", { name: "Own" });
    const req = await join(h, host, "writer", { name: "Req" });
    await browserCreates(host, owner.b, 1);
    return { host, owner, req };
  }

  it("unowned shells and admins adopt immediately with a new token; the old token dies", async () => {
    const { host, owner } = await setup();
    const oldTok = (owner.b.log.find((m) => m.t === "ownershipToken") as Msg).token;
    await createdShell(host, 2);
    const w = await join(h, host, "writer");
    w.b.send({ t: "adoptRequest", requestId: 5, shellId: 2 });
    expect(await w.b.next("adoptionResult")).toEqual({ t: "adoptionResult", requestId: 5, shellId: 2, status: "adopted" });
    expect((await w.b.next("ownershipToken")).shellId).toBe(2);
    const admin = await join(h, host, "admin");
    admin.b.send({ t: "adoptRequest", requestId: 6, shellId: 1 });
    expect((await admin.b.next("adoptionResult")).status).toBe("adopted");
    expect(ownerOf(await owner.b.next("ownership", (m) => ownerOf(m, 1).userId === admin.userId), 1).userId).toBe(admin.userId);
    owner.b.drain("ownership");
    owner.b.send({ t: "claimShells", claims: [{ shellId: 1, token: oldTok }] });
    owner.b.send({ t: "ping", ts: 1 });
    await owner.b.next("pong");
    expect(owner.b.drain("ownership")).toEqual([]); // the old token no longer rebinds anything
    const ev = await host.cli.next("sessionEvent", (m) => m.kind === "adoption_result");
    expect(ev.detail).toBe("adopted");
  });

  it("a writer asks the owner: approve transfers, deny refuses", async () => {
    const { host, owner, req } = await setup();
    req.b.send({ t: "adoptRequest", requestId: 9, shellId: 1 });
    const ar = await owner.b.next("adoptionRequest");
    expect(ar).toMatchObject({ shellId: 1, fromUserId: req.userId, fromName: "Req" });
    expect((await host.cli.next("sessionEvent", (m) => m.kind === "adoption_request")).userId).toBe(req.userId);
    owner.b.send({ t: "adoptRespond", requestId: ar.requestId, approve: false });
    expect(await req.b.next("adoptionResult")).toEqual({ t: "adoptionResult", requestId: 9, shellId: 1, status: "denied" });

    req.b.send({ t: "adoptRequest", requestId: 10, shellId: 1 });
    const ar2 = await owner.b.next("adoptionRequest");
    req.b.send({ t: "adoptRespond", requestId: ar2.requestId, approve: true }); // not the owner
    expect((await req.b.next("error")).code).toBe("not_found");
    owner.b.send({ t: "adoptRespond", requestId: ar2.requestId, approve: true });
    expect((await req.b.next("adoptionResult")).status).toBe("adopted");
    expect((await req.b.next("ownershipToken")).shellId).toBe(1);
  });

  it("no answer in time or an offline owner → expired; readers may not adopt", async () => {
    const { host, owner, req } = await setup({ adoptionTimeoutMs: 150 });
    req.b.send({ t: "adoptRequest", requestId: 1, shellId: 1 });
    await owner.b.next("adoptionRequest");
    expect((await req.b.next("adoptionResult")).status).toBe("expired");
    owner.b.ws.close();
    await req.b.next("userDiff", (m) => m.user === null);
    req.b.send({ t: "adoptRequest", requestId: 2, shellId: 1 });
    expect(await req.b.next("adoptionResult")).toMatchObject({ requestId: 2, status: "expired" });
    const ro = await openSession(h, { readersEnabled: true });
    const reader = await join(h, ro, "reader");
    reader.b.send({ t: "adoptRequest", requestId: 1, shellId: 1 });
    expect(await reader.b.next("error")).toMatchObject({ code: "forbidden", message: "write auth required" });
    void host;
  });
});

describe("chat", () => {
  it("broadcasts with ids, forwards to the CLI with roles, edits by the author, keeps a ring, rate limits", async () => {
    let clock = 1_000_000;
    h = await startRelay({ limits: { chatRing: 5, chatRateCount: 3, chatRateWindowMs: 10_000 }, now: () => clock });
    const host = await openSession(h, { readersEnabled: true });
    const r = await join(h, host, "reader", { name: "Rita" });
    const w = await join(h, host, "writer", { name: "Will" });
    r.b.send({ t: "chat", message: "hello" });
    const c = await w.b.next("chat");
    expect(c).toMatchObject({ userId: r.userId, name: "Rita", message: "hello", id: 1 });
    expect(await host.cli.next("chat")).toMatchObject({ id: 1, userId: r.userId, name: "Rita", role: "reader", message: "hello" });
    w.b.send({ t: "chatEdit", id: 1, message: "hijack" });
    expect((await w.b.next("error")).code).toBe("forbidden");
    r.b.send({ t: "chatEdit", id: 1, message: "hello!" });
    expect(await w.b.next("chatEdit")).toMatchObject({ id: 1, message: "hello!" });
    r.b.send({ t: "chat", message: "2" });
    r.b.send({ t: "chat", message: "3" });
    r.b.send({ t: "chat", message: "4" });
    expect(await r.b.next("error")).toEqual({ t: "error", code: "rate_limited", message: "Rate limit exceeded" });
    // The host is exempt from the rate limit, not from size limits.
    for (let i = 0; i < 6; i++) host.cli.send({ t: "chatSend", requestId: 100 + i, name: "agent", message: `step ${i}` });
    const sent = await host.cli.next("chatSent", (m) => m.requestId === 105);
    expect(sent.id).toBe(9);
    host.cli.send({ t: "chatEdit", id: sent.id, message: "done" });
    expect(await w.b.next("chatEdit", (m) => m.id === 9)).toMatchObject({ message: "done" });
    host.cli.send({ t: "chatSend", requestId: 1, name: "agent", message: "x".repeat(2001) });
    await host.cli.next("error");
    const tuples = h.relay.chatTuples(host.sessionId)!;
    expect(tuples).toHaveLength(5);
    expect(tuples.at(-1)).toEqual([0, "agent", "done"]);
    expect(tuples[0]).toEqual([0, "agent", "step 1"]);
    expect(h.relay.chatTuples("nope")).toBeUndefined();
    clock += 10_000;
    r.b.send({ t: "chat", message: "after window" });
    expect((await w.b.next("chat", (m) => m.message === "after window")).id).toBe(10);
  });
});

describe("session KV", () => {
  it("accepts writes up to the quota to the byte and rejects one byte more, changing nothing", async () => {
    h = await startRelay({ limits: { sessionKvBytes: 100 } });
    const host = await openSession(h);
    const a = await join(h, host, "writer");
    const b = await join(h, host, "writer");
    // key "k1" (2 bytes) + JSON of a 40-char string (42 bytes) = 44; two keys = 88; a third key of 12 bytes hits 100.
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "k1", value: "x".repeat(40) });
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "k2", value: "y".repeat(40) });
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "k3", value: "z".repeat(8) }); // 2 + 10 = 12 → exactly 100
    const d3 = await b.b.next("pluginKvDiff", (m) => m.key === "k3");
    expect(d3).toMatchObject({ rev: 3, deleted: false, userId: a.userId });
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "k3", value: "z".repeat(9) }); // 101
    expect(await a.b.next("error")).toEqual({ t: "error", code: "quota", message: KV_QUOTA_MESSAGE });
    expect(KV_QUOTA_MESSAGE).toBe("Session KV quota exceeded (64 KiB per plugin per session)");
    // Another plugin has its own quota.
    a.b.send({ t: "pluginKvSet", pluginId: "q", key: "k", value: 1 });
    expect((await b.b.next("pluginKvDiff", (m) => m.pluginId === "q")).rev).toBe(1);
    const late = await join(h, host, "writer");
    expect(late.b.log.find((m) => m.t === "pluginKv" && m.pluginId === "p")).toMatchObject({
      entries: { k1: "x".repeat(40), k2: "y".repeat(40), k3: "z".repeat(8) }, rev: 3,
    });
  });

  it("last write in arrival order wins; deletes diff with deleted:true; bad values are refused", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const a = await join(h, host, "writer");
    const b = await join(h, host, "writer");
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "k", value: "from-a" });
    b.b.send({ t: "pluginKvSet", pluginId: "p", key: "k", value: "from-b" });
    const d1 = await a.b.next("pluginKvDiff");
    const d2 = await a.b.next("pluginKvDiff");
    expect(d2.rev).toBe(d1.rev + 1);
    const late = await join(h, host, "reader");
    expect(late.b.log.find((m) => m.t === "pluginKv")!.entries.k).toBe(d2.value);
    a.b.send({ t: "pluginKvDelete", pluginId: "p", key: "k" });
    expect(await b.b.next("pluginKvDiff", (m) => m.deleted)).toMatchObject({ key: "k", value: null, rev: 3 });
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "bin", value: new Uint8Array(3) });
    expect((await a.b.next("error")).code).toBe("bad_request");
    a.b.send({ t: "pluginKvSet", pluginId: "p", key: "__proto__", value: { polluted: true } });
    expect(await a.b.next("error")).toEqual({ t: "error", code: "bad_request", message: "reserved name" });
    a.b.send({ t: "pluginKvSet", pluginId: "__proto__", key: "k", value: 1 });
    expect((await a.b.next("error")).message).toBe("reserved name");
  });

  it("pluginKvBatch: ops in order with the single-op rules, one pluginKvDiffs, refusals after it, bad batches change nothing", async () => {
    h = await startRelay({ limits: { sessionKvBytes: 100 } });
    const host = await openSession(h);
    const a = await join(h, host, "writer");
    const b = await join(h, host, "reader"); // readers may write session KV (§2.2.3), batched too
    a.b.send({ t: "pluginKvBatch", ops: [
      { op: "set", pluginId: "p", key: "k1", value: "x".repeat(40) }, // 2 + 42 = 44
      { op: "set", pluginId: "p", key: "k2", value: "y".repeat(40) }, // 88
      { op: "set", pluginId: "p", key: "k3", value: "z".repeat(9) }, // 88 + 13 = 101: refused, the rest goes on
      { op: "set", pluginId: "p", key: "k3", value: "z".repeat(8) }, // exactly 100
      { op: "delete", pluginId: "p", key: "missing" }, // no change, no diff
      { op: "set", pluginId: "__proto__", key: "k", value: 1 }, // reserved: refused
      { op: "delete", pluginId: "p", key: "k1" },
      { op: "set", pluginId: "q", key: "k", value: { n: 1 } }, // another plugin, its own rev
    ] });
    const batch = await b.b.next("pluginKvDiffs");
    expect(batch).toEqual({ t: "pluginKvDiffs", userId: a.userId, diffs: [
      { pluginId: "p", key: "k1", value: "x".repeat(40), deleted: false, rev: 1 },
      { pluginId: "p", key: "k2", value: "y".repeat(40), deleted: false, rev: 2 },
      { pluginId: "p", key: "k3", value: "z".repeat(8), deleted: false, rev: 3 },
      { pluginId: "p", key: "k1", value: null, deleted: true, rev: 4 },
      { pluginId: "q", key: "k", value: { n: 1 }, deleted: false, rev: 1 },
    ] });
    // The writer gets the same broadcast first, then one error per refused op, in order.
    await a.b.next("pluginKvDiffs");
    const errors = [await a.b.next("error"), await a.b.next("error", (m) => m.message === "reserved name")];
    expect(errors.map((e) => e.message)).toEqual([KV_QUOTA_MESSAGE, "reserved name"]);
    expect(a.b.log.map((m) => m.t).slice(-3)).toEqual(["pluginKvDiffs", "error", "error"]);
    expect(b.b.log.filter((m) => m.t === "error")).toEqual([]);

    // A reader's batch; then malformed batches: refused whole by the schema, nothing applied.
    b.b.send({ t: "pluginKvBatch", ops: [{ op: "set", pluginId: "p", key: "k1", value: 1 }] });
    expect((await a.b.next("pluginKvDiffs", (m) => m.userId === b.userId)).diffs).toEqual([{ pluginId: "p", key: "k1", value: 1, deleted: false, rev: 5 }]);
    const bad = [
      { t: "pluginKvBatch", ops: [] },
      { t: "pluginKvBatch", ops: Array.from({ length: 257 }, () => ({ op: "set", pluginId: "p", key: "n", value: 1 })) },
      { t: "pluginKvBatch", ops: [{ op: "set", pluginId: "p", key: "ok", value: 1 }, { op: "set", pluginId: "p", key: "", value: 1 }] },
      { t: "pluginKvBatch", ops: [{ op: "rename", pluginId: "p", key: "k1" }] },
    ];
    for (const m of bad) {
      a.b.send(m);
      expect((await a.b.next("error")).code).toBe("bad_request");
    }
    // A non-JSON value in a batch is refused like pluginKvSet's, the other ops apply.
    a.b.send({ t: "pluginKvBatch", ops: [{ op: "set", pluginId: "p", key: "bin", value: new Uint8Array(3) }, { op: "set", pluginId: "p", key: "k1", value: 2 }] });
    expect((await b.b.next("pluginKvDiffs", (m) => m.diffs[0].value === 2)).diffs).toEqual([{ pluginId: "p", key: "k1", value: 2, deleted: false, rev: 6 }]);
    expect((await a.b.next("error", (m) => m.message === "value must be JSON")).code).toBe("bad_request");
    const late = await join(h, host, "writer");
    expect(late.b.log.find((m) => m.t === "pluginKv" && m.pluginId === "p")).toMatchObject({ entries: { k1: 2, k2: "y".repeat(40), k3: "z".repeat(8) }, rev: 6 });
  });

  it("plugin events are broadcast with the sender; oversized events refused; session plugins admin-only", async () => {
    h = await startRelay({ limits: { pluginEventBytes: 64 } });
    const host = await openSession(h);
    const a = await join(h, host, "writer", { name: "Ann" });
    const admin = await join(h, host, "admin");
    a.b.send({ t: "pluginEvent", pluginId: "p", name: "ev", data: { x: 1 } });
    expect(await admin.b.next("pluginEvent")).toMatchObject({ pluginId: "p", name: "ev", data: { x: 1 }, userId: a.userId, userName: "Ann" });
    a.b.send({ t: "pluginEvent", pluginId: "p", name: "ev", data: "x".repeat(100) });
    expect((await a.b.next("error")).code).toBe("bad_request");
    a.b.send({ t: "setSessionPlugin", pluginId: "p", manifestUrl: "/plugins/p/manifest.json", enabled: true });
    expect((await a.b.next("error")).message).toBe("admin auth required");
    admin.b.send({ t: "setSessionPlugin", pluginId: "p", manifestUrl: "/plugins/p/manifest.json", enabled: true });
    expect((await a.b.next("sessionPlugins")).plugins).toEqual({ p: { manifest_url: "/plugins/p/manifest.json", enabled: true } });
  });
});

describe("presence", () => {
  it("userDiff on join, rename, focus, cursor (throttled), layout, leave; CLI hears joins and leaves", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const a = await join(h, host, "writer");
    const b = await join(h, host, "writer", { name: "Bo" });
    expect((await a.b.next("userDiff")).user).toMatchObject({ name: "Bo", device: "Test Web", role: "writer", canWrite: true });
    expect(await host.cli.next("sessionEvent", (m) => m.kind === "user_joined" && m.userId === b.userId)).toMatchObject({ userName: "Bo", device: "Test Web" });
    b.b.send({ t: "setName", name: "Bob" });
    expect((await a.b.next("userDiff")).user.name).toBe("Bob");
    // The CLI hears the old name too ("[session] Bo is now Bob").
    expect(await host.cli.next("sessionEvent", (m) => m.kind === "user_renamed")).toMatchObject({ userId: b.userId, userName: "Bob", detail: "Bo" });
    b.b.send({ t: "setFocus", shellId: 3 });
    expect((await a.b.next("userDiff")).user.focus).toBe(3);
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) b.b.send({ t: "setCursor", cursor: { shellId: 3, x: i / 10, y: 0 } });
    await waitFor(() => a.b.log.some((m) => m.t === "userDiff" && m.user?.cursor?.x === 0.9));
    const cursors = a.b.drain("userDiff");
    expect(cursors.length).toBeLessThanOrEqual(2 + (Date.now() - t0) / 50); // ≤ 20 per second
    expect(cursors.at(-1)!.user.cursor).toEqual({ shellId: 3, x: 0.9, y: 0 });
    b.b.send({ t: "layoutMeta", meta: { pages: 1, activeIndex: 0, tiles: [{ key: 1, type: "shell", shellId: 3 }] } });
    expect((await a.b.next("userDiff")).user.layout.tiles).toHaveLength(1);
    b.b.ws.close();
    expect(await a.b.next("userDiff")).toEqual({ t: "userDiff", userId: b.userId, user: null });
    expect(await host.cli.next("sessionEvent", (m) => m.kind === "user_left")).toMatchObject({ userId: b.userId, userName: "Bob", device: "Test Web" });
  });
});

describe("admin actions", () => {
  it("kick closes the user's socket 4403 'removed by admin'", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const admin = await join(h, host, "admin");
    const w = await join(h, host, "writer");
    w.b.send({ t: "kick", userId: admin.userId });
    expect((await w.b.next("error")).message).toBe("admin auth required");
    admin.b.send({ t: "kick", userId: w.userId });
    expect(await w.b.closed).toEqual({ code: 4403, reason: "removed by admin" });
  });

  it("rotateLinks: CLI rekeys; admins get linksRotated; rings cleared; everyone closed 4403; new keys work", async () => {
    h = await startRelay();
    const host = await openSession(h);
    await createdShell(host, 1);
    host.cli.send({ t: "data", shellId: 1, seq: 0, frame: fakeFrame() });
    const admin = await join(h, host, "admin");
    const w = await join(h, host, "writer");
    admin.b.send({ t: "rotateLinks" });
    expect(await host.cli.next("rotateLinks")).toEqual({ t: "rotateLinks", userId: admin.userId });
    const fresh = await openSession(h); // borrow fresh verifiers of another id just to get new secrets
    const { deriveSessionKeys, verifiersOf } = await import("@taiku/crypto");
    const newKeys = await deriveSessionKeys(host.sessionId, fresh.secrets, { memorySize: 64 });
    const v = verifiersOf(newKeys);
    const notice = fakeFrame(40, 5);
    host.cli.send({ t: "rekey", viewVerifier: v.view, writeVerifier: v.write, adminVerifier: v.admin, notice });
    const lr = await admin.b.next("linksRotated");
    expect(Buffer.from(lr.frame.c).equals(Buffer.from(notice.c))).toBe(true);
    expect(w.b.log.some((m) => m.t === "linksRotated")).toBe(false);
    expect(await admin.b.closed).toEqual({ code: 4403, reason: "links rotated" });
    expect((await w.b.closed).code).toBe(4403);
    await expect(join(h, host, "admin")).rejects.toThrow("authentication refused: invalid key"); // old link is dead
    const rotated = { ...host, secrets: fresh.secrets };
    const nb = await join(h, rotated, "admin");
    nb.b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    host.cli.send({ t: "data", shellId: 1, seq: 1, frame: fakeFrame() });
    expect((await nb.b.next("chunks")).frames.map((f: Msg) => f.seq)).toEqual([1]); // old-key frame 0 is gone
  });

  it("endSession: CLI gets closed; browsers sessionClosed + 4410; snapshot deleted", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const admin = await join(h, host, "admin");
    const w = await join(h, host, "writer");
    await h.snapshots.save(host.sessionId, null, new Uint8Array([1]));
    w.b.send({ t: "endSession" });
    expect((await w.b.next("error")).message).toBe("admin auth required");
    admin.b.send({ t: "endSession" });
    expect(await host.cli.next("closed")).toEqual({ t: "closed", reason: "ended by admin" });
    expect(await w.b.next("sessionClosed")).toEqual({ t: "sessionClosed", reason: "ended by admin" });
    expect((await w.b.closed).code).toBe(4410);
    await waitFor(() => !h.snapshots.data.has(host.sessionId));
  });

  it("renameSession broadcasts sessionInfo", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const admin = await join(h, host, "admin");
    const w = await join(h, host, "writer");
    admin.b.send({ t: "renameSession", name: "Deploy" });
    expect(await w.b.next("sessionInfo")).toMatchObject({ name: "Deploy", readersEnabled: false, cwdLabel: "proj" });
  });
});

describe("shell aliases over both links (§4.8)", () => {
  it("relays an alias answer larger than a terminal frame to the CLI (respondAlias output ≤ 1 MiB, §7.14)", async () => {
    h = await startRelay();
    const host = await openSession(h);
    const a = await join(h, host, "admin");
    await createdShell(host, 1); // CLI-created: owned by the first admin
    await a.b.next("ownershipToken");
    a.b.send({ t: "registerAliases", pluginId: "music.player", aliases: ["music"] });
    await host.cli.next("aliases", (m) => m.names.includes("music"));
    host.cli.send({ t: "aliasCall", invocationId: 5, shellId: 1, frame: fakeFrame(64), name: "music" });
    const inv = await a.b.next("aliasInvocation");
    expect(inv).toMatchObject({ invocationId: 5, shellId: 1 });
    const big = fakeFrame(300 * 1024, 9); // a 300 KiB sealed {stdout, stderr, exitCode}
    a.b.send({ t: "aliasResult", invocationId: 5, frame: big });
    const res = await host.cli.next("aliasResult");
    expect(res).toMatchObject({ invocationId: 5, timeout: false });
    expect(res.frame.c.byteLength).toBe(big.c.byteLength);
    expect(a.b.log.filter((m) => m.t === "error")).toEqual([]);
  });
});
