/**
 * Runtime conformance (spec §6.4): every semantic of the Store, Tasks, Drain, Callbacks, budgets,
 * webhooks and egress, against the real Kysely/SQLite storage and queue, time driven by a manual clock.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BudgetExceededError, ManualClock, SerializationError, urlAllowed } from "@taiku/connectors";
import Probe from "./fixtures/probe.js";
import { harness, taskRows, type Harness } from "./helpers.js";

let hs: Harness[] = [];
afterEach(async () => {
  for (const h of hs) await h.close();
  hs = [];
});
async function probe(opts: Parameters<typeof harness>[1] = {}) {
  const h = await harness({ probe: Probe }, opts);
  hs.push(h);
  const { instance } = await h.rt.connect({ twistId: "probe", ownerUserId: "u1" });
  const call = <T = unknown>(m: string, ...args: unknown[]) => h.rt.call<T>(instance.id, m, args);
  const log = async () => ((await call<string[] | null>("read", "log")) ?? []);
  return { h, id: instance.id, call, log };
}

describe("Store (§3.2)", () => {
  it("round-trips SuperJSON types and rejects functions and class instances at the call site", async () => {
    const { call } = await probe();
    const value = { d: new Date(5), m: new Map([["a", 1]]), s: new Set([1, 2]), u: undefined, b: 10n, r: /x/g, url: new URL("https://a.example/") };
    await call("put", "k", value);
    const back = await call<typeof value>("read", "k");
    expect(back.d).toBeInstanceOf(Date);
    expect(back.m.get("a")).toBe(1);
    expect([...back.s]).toEqual([1, 2]);
    expect("u" in back).toBe(true);
    expect(back.b).toBe(10n);
    expect(back.url).toBeInstanceOf(URL);
    await expect(call("putFunction")).rejects.toThrow(SerializationError);
    await expect(call("putInstance")).rejects.toThrow(/instance of Foo/);
    expect(await call("read", "missing")).toBeNull();
  });

  it("setMany is atomic under an injected database failure; getMany aligns with keys", async () => {
    const { h, call } = await probe();
    h.sqlite.exec("CREATE TRIGGER boom BEFORE INSERT ON connector_kv WHEN NEW.key = 'k3' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    await expect(call("putMany", [["k1", 1], ["k2", 2], ["k3", 3]])).rejects.toThrow(/injected failure/);
    expect(await call("readMany", ["k1", "k2", "k3"])).toEqual([null, null, null]);
    h.sqlite.exec("DROP TRIGGER boom");
    await call("putMany", [["k1", 1], ["k2", 2], ["k3", 3]]);
    expect(await call("readMany", ["k3", "nope", "k1"])).toEqual([3, null, 1]);
  });

  it("lists sorted by code unit, hides __drain__ keys except under their own prefix, clearAll keeps locks", async () => {
    const { call } = await probe();
    await call("putMany", [["b", 2], ["a", 1], ["B", 0], ["__drain__:x:1", 0], ["ab", 3]]);
    expect(await call("keys", "")).toEqual(["B", "a", "ab", "b"]);
    expect(await call("entries", "a")).toEqual([["a", 1], ["ab", 3]]);
    expect(await call("keys", "__drain__:")).toEqual(["__drain__:x:1"]);
    expect(await call("lock", "L", 1000)).toBe(true);
    await call("wipe");
    expect(await call("keys", "")).toEqual([]);
    expect(await call("lock", "L", 1000)).toBe(false);
  });

  it("namespaces are private per instance", async () => {
    const { h, call } = await probe();
    const other = await h.rt.connect({ twistId: "probe", ownerUserId: "u2" });
    await call("put", "shared", "mine");
    expect(await h.rt.call(other.instance.id, "read", ["shared"])).toBeNull();
  });

  it("locks: one winner among concurrent callers, expiry by TTL, release", async () => {
    const { h, call } = await probe();
    const results = await Promise.all(Array.from({ length: 8 }, () => call<boolean>("lock", "sync", 5000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    h.clock.advance(4999);
    expect(await call("lock", "sync", 5000)).toBe(false);
    h.clock.advance(1);
    expect(await call("lock", "sync", 5000)).toBe(true);
    await call("unlock", "sync");
    expect(await call("lock", "sync", 5000)).toBe(true);
  });
});

describe("Tasks (§3.3, §7.5)", () => {
  it("runTask now and at runAt; cancelTask cancels only the scheduled one", async () => {
    const { h, call, log } = await probe();
    expect(await call("queue", "now")).toBeUndefined();
    const t0 = h.clock.now();
    const token = await call<string>("queue", "later", t0 + 10_000);
    const cancelled = await call<string>("queue", "cancelled", t0 + 5_000);
    expect(token).toMatch(/^tk_/);
    await call("cancel", cancelled);
    await call("cancel", "tk_unknown");
    await h.rt.runDue();
    expect(await log()).toEqual(["now"]);
    h.clock.advance(9_999);
    await h.rt.runDue();
    expect(await log()).toEqual(["now"]);
    h.clock.advance(1);
    await h.rt.runDue();
    expect(await log()).toEqual(["now", "later"]);
  });

  it("scheduleTask replaces without coalesce and keeps the earliest with coalesce", async () => {
    const { h, id, call, log } = await probe();
    const t0 = h.clock.now();
    await call("keyed", "k", "first", t0 + 5000, false);
    await call("keyed", "k", "second", t0 + 8000, false);
    let rows = (await taskRows(h)).filter((r) => r.task_key === "k");
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.run_at)).toBe(t0 + 8000);
    const t1 = await call("keyed", "k", "third", t0 + 3000, true);
    const t2 = await call("keyed", "k", "fourth", t0 + 9000, true);
    expect(t1).toBe(t2);
    rows = (await taskRows(h)).filter((r) => r.task_key === "k");
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.run_at)).toBe(t0 + 3000); // moved earlier, never later
    h.clock.advance(3000);
    await h.rt.runDue();
    expect(await log()).toEqual(["second"]); // coalescing kept the existing callback
    // Discarded callbacks do not linger.
    const cbs = await h.db.selectFrom("connector_callbacks").select("method_name").where("instance_id", "=", id).where("method_name", "=", "log").execute();
    expect(cbs.length).toBeLessThanOrEqual(2);
  });

  it("scheduling a key while its task runs inserts exactly one follow-up", async () => {
    const { h, call, log } = await probe();
    const t0 = h.clock.now();
    await call("keyedSelf", "drainish", t0);
    await h.rt.runDue();
    expect(await log()).toEqual(["running", "follow-up"]);
    expect((await taskRows(h)).filter((r) => r.task_key === "drainish")).toHaveLength(0);
  });

  it("scheduleRecurring clamps firstRunAt, re-arms after a throw, survives a restart, and cancels", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "taiku-conn-")), "rt.db");
    const clock = new ManualClock();
    const h1 = await harness({ probe: Probe }, { file, clock });
    const { instance } = await h1.rt.connect({ twistId: "probe", ownerUserId: "u1" });
    const t0 = clock.now();
    await h1.rt.call(instance.id, "recurring", ["tick", "throw-tick", 60_000, t0 + 10 * 60_000]);
    let row = (await taskRows(h1)).find((r) => r.task_key === "tick")!;
    expect(Number(row.run_at)).toBe(t0 + 60_000); // pulled back to the ceiling
    await h1.rt.call(instance.id, "recurring", ["tick", "throw-tick", 60_000, t0 - 5000]);
    row = (await taskRows(h1)).find((r) => r.task_key === "tick")!;
    expect(Number(row.run_at)).toBe(t0); // a past value fires now
    await h1.rt.runDue();
    const after = (await taskRows(h1)).filter((r) => r.task_key === "tick");
    expect(after).toHaveLength(1); // the throw did not break the chain
    expect(Number(after[0]!.run_at)).toBe(t0 + 60_000);
    await h1.close();

    // Restart: a new process over the same database keeps the cadence.
    const h2 = await harness({ probe: Probe }, { file, clock });
    hs.push(h2);
    await h2.rt.start();
    await h2.rt.stop();
    clock.advance(60_000);
    await h2.rt.runDue();
    clock.advance(60_000);
    await h2.rt.runDue();
    expect(await h2.rt.call(instance.id, "read", ["log"])).toEqual(["throw-tick", "throw-tick", "throw-tick"]);
    await h2.rt.call(instance.id, "unschedule", ["tick"]);
    clock.advance(120_000);
    expect(await h2.rt.runDue()).toBe(0);
  });

  it("cancelAllTasks removes scheduled, keyed and recurring rows but not immediate ones", async () => {
    const { h, call } = await probe();
    const t0 = h.clock.now();
    await call("queue", "imm");
    await call("queue", "sched", t0 + 1000);
    await call("keyed", "k", "keyed", t0 + 1000, false);
    await call("recurring", "r", "rec", 1000);
    await call("cancelAll");
    expect((await taskRows(h)).map((r) => r.kind)).toEqual(["immediate"]);
  });

  it("at-least-once: a failing task is retried with the configured back-off, then marked failed", async () => {
    const { h, call, log } = await probe();
    await call("queueFailing", "twice", 2);
    await call("queueFailing", "always", 99);
    await h.rt.runDue();
    let rows = await taskRows(h);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([["pending", 1], ["pending", 1]]);
    h.clock.advance(999);
    expect(await h.rt.runDue()).toBe(0); // first back-off is 1 s in this config
    h.clock.advance(1);
    await h.rt.runDue();
    h.clock.advance(2000);
    await h.rt.runDue();
    expect(await log()).toEqual(["twice"]);
    for (const d of [4000, 8000, 8000]) { h.clock.advance(d); await h.rt.runDue(); }
    rows = await taskRows(h);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe("failed");
    expect(rows[0]!.attempts).toBe(5);
    expect(rows[0]!.last_error).toMatch(/planned failure 5/);
  });

  it("at-least-once: a lease held by a dead worker is requeued after it expires, and at start", async () => {
    const { h, call, log } = await probe();
    await call("queue", "a");
    const claimed = await h.rt.storage.taskClaim(10, h.rt.config.leaseMs); // a worker claims, then dies
    expect(claimed).toHaveLength(1);
    expect(await h.rt.runDue()).toBe(0);
    h.clock.advance(h.rt.config.leaseMs + 1);
    await h.rt.runDue();
    expect(await log()).toEqual(["a"]);
    await call("queue", "b");
    await h.rt.storage.taskClaim(10, h.rt.config.leaseMs);
    expect(await h.rt.storage.taskRequeueLeases()).toBe(1);
    await h.rt.runDue();
    expect(await log()).toEqual(["a", "b"]);
  });
});

describe("Callbacks and name dispatch (§1.3, §3.1)", () => {
  it("runs private methods by name, rejects arrows and bound functions, fails clearly on a renamed method", async () => {
    const { h, id, call, log } = await probe();
    await call("queueSecret");
    await h.rt.runDue();
    expect(await log()).toEqual(["secret-7"]);
    await expect(call("makeArrow")).rejects.toThrow(/named method/);
    await expect(call("makeBound")).rejects.toThrow(/named method/);
    const token = await call<string>("makeCallback", "log");
    await h.db.updateTable("connector_callbacks").set({ method_name: "renamedAway" }).where("token", "=", token).execute();
    await expect(call("runToken", token)).rejects.toThrow(/renamedAway does not exist/);
    await expect(call("runToken", "cb_doesnotexist")).rejects.toThrow(/does not exist/);
    // A token of another instance is rejected.
    const other = await h.rt.connect({ twistId: "probe", ownerUserId: "u9" });
    const foreign = await h.rt.call<string>(other.instance.id, "makeCallback", ["log"]);
    await expect(call("runToken", foreign)).rejects.toThrow(/does not exist for this instance/);
    void id;
  });
});

describe("Budgets (§1.5)", () => {
  it("the 1,001st request aborts; run shares the budget; runTask gets a fresh one", async () => {
    const { h, call } = await probe();
    await expect(call("spend", 999)).resolves.toBeUndefined();
    await expect(call("spend", 1001)).rejects.toThrow(BudgetExceededError);
    await expect(call("spendInline", 600)).rejects.toThrow(BudgetExceededError);
    await call("spendQueued", 600);
    await h.rt.runDue();
    expect((await taskRows(h)).filter((r) => r.status !== "pending")).toEqual([]);
    expect(h.rt.executions.at(-1)).toMatchObject({ ok: true, method: "spend" });
  });
});

describe("Drain (§3.5)", () => {
  it("a burst of 1,000 ids becomes passes of at most batchSize, with no id lost under concurrent marking", async () => {
    const { h, call } = await probe();
    const ids = Array.from({ length: 1000 }, (_, i) => `id-${String(i).padStart(4, "0")}`);
    await Promise.all([call("notify", "burst", ids.slice(0, 500), 50, 10_000), call("notify", "burst", ids.slice(500), 50, 20_000)]);
    expect((await taskRows(h)).filter((r) => r.task_key === "__drain__:burst")).toHaveLength(1);
    h.clock.advance(9_999);
    expect(await h.rt.runDue()).toBe(0);
    for (let i = 0; i < 30; i++) { h.clock.advance(10_000); await h.rt.runDue(); }
    const seen = await call<string[]>("read", "seen_burst");
    expect(new Set(seen).size).toBe(1000);
    expect(await call("read", "max_burst")).toBe(50);
    expect(await call("read", "passes_burst")).toBe(20);
    expect(await call("keys", "__drain__:")).toEqual([]);
  });

  it("retries ids the handler returns, drops poison after maxAttempts, and cancelDrain clears everything", async () => {
    const { h, call } = await probe();
    await call("notify", "p", ["ok-1", "poison-1"], 20, 1000, 2);
    for (let i = 0; i < 6; i++) { h.clock.advance(1000); await h.rt.runDue(); }
    const seen = await call<string[]>("read", "seen_p");
    expect(seen.filter((s) => s === "poison-1")).toHaveLength(3); // first try + 2 retries, then dropped
    expect(seen.filter((s) => s === "ok-1")).toHaveLength(1);
    expect(await call("keys", "__drain__:")).toEqual([]);
    await call("notify", "q", ["x"], 20, 1000);
    await call("stopDrain", "q");
    expect(await call("keys", "__drain__:")).toEqual([]);
    expect((await taskRows(h)).filter((r) => r.task_key === "__drain__:q")).toHaveLength(0);
    await expect(call("notifyAnonymous")).rejects.toThrow(/named method/);
  });
});

describe("Webhooks (§3.4, §7.6)", () => {
  it("async: 200 queued at once, lower-case headers, exact rawBody, redelivered after a failure", async () => {
    const { h, call } = await probe();
    const url = await call<string>("hook", true);
    expect(url).toMatch(/^https:\/\/taiku\.example\/hook\/wh_[a-z2-7]{26}$/);
    const token = url.split("/hook/")[1]!;
    const raw = '{"failTimes":1,  "x":"é"}';
    const res = await h.rt.handleWebhook(token, { method: "POST", headers: { "X-Hub-Signature-256": "sha256=abc", "Content-Type": "application/json", "X-Multi": ["a", "b"] }, query: { q: "1" }, rawBody: raw });
    expect(res).toEqual({ status: 200, contentType: "application/json", body: '{"queued":true}' });
    await h.rt.runDue();
    h.clock.advance(1000);
    await h.rt.runDue();
    expect(await call("read", "hook_calls")).toBe(2);
    const req = await call<{ headers: Record<string, string>; rawBody: string; params: Record<string, string>; body: unknown; extra: string }>("read", "last_request");
    expect(req.headers["x-hub-signature-256"]).toBe("sha256=abc");
    expect(req.headers["x-multi"]).toBe("a, b");
    expect(req.rawBody).toBe(raw);
    expect(req.params).toEqual({ q: "1" });
    expect(req.body).toEqual({ failTimes: 1, x: "é" });
    expect(req.extra).toBe("extra");
    // The handled delivery's raw body is gone; nothing is kept beyond the retention window.
    expect(await h.db.selectFrom("connector_deliveries").selectAll().execute()).toEqual([]);
  });

  it("sync: the return value is the response; a throw answers 500; deleted hooks answer 404", async () => {
    const { h, call } = await probe();
    const url = await call<string>("hook", false);
    const token = url.split("/hook/")[1]!;
    const send = (body: unknown) => h.rt.handleWebhook(token, { method: "POST", headers: { "content-type": "application/json" }, query: {}, rawBody: JSON.stringify(body) });
    expect(await send({ answer: "validation-token" })).toEqual({ status: 200, contentType: "text/plain", body: "validation-token" });
    expect(await send({ answer: { ok: 1 } })).toEqual({ status: 200, contentType: "application/json", body: '{"ok":1}' });
    expect(await send({})).toEqual({ status: 200, body: "" });
    expect((await send({ fail: true })).status).toBe(500);
    await call("unhook", url);
    expect((await send({})).status).toBe(404);
    expect((await h.rt.handleWebhook("wh_unknown", { method: "GET", headers: {}, query: {}, rawBody: "" })).status).toBe(404);
  });
});

describe("Webhook callbacks", () => {
  it("createWebhook stores its callback as kind \"webhook\" on the hook's tool path", async () => {
    const { h, id, call } = await probe();
    const url = await call<string>("hook", true);
    const hook = await h.db.selectFrom("connector_webhooks").selectAll().where("public_token", "=", url.split("/hook/")[1]!).executeTakeFirstOrThrow();
    const cb = await h.db.selectFrom("connector_callbacks").selectAll().where("token", "=", hook.callback_token).executeTakeFirstOrThrow();
    expect(cb).toMatchObject({ instance_id: id, tool_path: "", method_name: "onHook", kind: "webhook" });
  });
});

describe("Network egress (§3.4)", () => {
  it("matches allowlist patterns per the spec's rules", () => {
    const p = ["https://api.allowed.example/v1/*", "https://*.wild.example", "https://exact.example/path"];
    expect(urlAllowed("https://api.allowed.example/v1/x?y=1", p)).toBe(true);
    expect(urlAllowed("https://api.allowed.example/v2/x", p)).toBe(false);
    expect(urlAllowed("https://a.b.wild.example/anything", p)).toBe(true);
    expect(urlAllowed("https://wild.example/", p)).toBe(false);
    expect(urlAllowed("http://api.allowed.example/v1/x", p)).toBe(false);
    expect(urlAllowed("https://exact.example/path?q", p)).toBe(true);
    expect(urlAllowed("https://exact.example/path/more", p)).toBe(false);
  });

  it("answers 403 outside the allowlist and rewrites allowed hosts through egressHosts", async () => {
    const server = createServer((req, res) => res.end(`stand-in saw ${req.url}`));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const { call } = await probe({ config: { egressHosts: { "api.allowed.example": `http://127.0.0.1:${port}` } } });
      expect(await call("fetchText", "https://api.allowed.example/v1/issues?page=2")).toEqual({ status: 200, text: "stand-in saw /v1/issues?page=2" });
      const denied = await call<{ status: number }>("fetchText", `http://127.0.0.1:${port}/v1/x`);
      expect(denied.status).toBe(403);
      // Outside an execution, fetch is untouched.
      expect(await (await fetch(`http://127.0.0.1:${port}/plain`)).text()).toBe("stand-in saw /plain");
    } finally {
      server.close();
    }
  });
});
