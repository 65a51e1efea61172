import { describe, expect, it } from "vitest";
import { startEnv } from "./support.js";

describe("session KV over HTTP (§11.3.2)", () => {
  it("puts, gets, lists and deletes, broadcasting pluginKvDiff with userId 0", async () => {
    const env = await startEnv();
    const { b } = await env.browser("reader");
    const base = `/api/v1/sessions/${env.host.sessionId}/kv/demo.plugin`;
    const put = await env.authed("reader", "PUT", `${base}/now_playing`, { body: { value: { track: "a", at: 3 } } });
    expect([put.status, put.json()]).toEqual([200, { ok: true }]);
    const diff = await b.next("pluginKvDiff");
    expect(diff).toMatchObject({ pluginId: "demo.plugin", key: "now_playing", value: { track: "a", at: 3 }, deleted: false, userId: 0, rev: 1 });
    const str = await env.authed("reader", "PUT", `${base}/s`, { body: { value: "text" } });
    expect(str.status).toBe(200);
    const get = await env.authed("reader", "GET", `${base}/s`);
    expect([get.status, get.text]).toEqual([200, '"text"']);
    const list = await env.authed("reader", "GET", base);
    expect(list.json()).toEqual([{ key: "now_playing", value: { track: "a", at: 3 } }, { key: "s", value: "text" }]);
    const del = await env.authed("reader", "DELETE", `${base}/s`);
    expect(del.json()).toEqual({ ok: true });
    await b.next("pluginKvDiff", (m) => m.key === "s" && m.deleted === false);
    expect(await b.next("pluginKvDiff", (m) => m.key === "s" && m.deleted === true)).toMatchObject({ userId: 0, value: null });
    const missing = await env.authed("reader", "GET", `${base}/s`);
    expect([missing.status, missing.text]).toEqual([404, "Key not found."]);
    // A browser's write is visible over HTTP (same store).
    b.send({ t: "pluginKvSet", pluginId: "demo.plugin", key: "fromWs", value: 7 });
    await b.next("pluginKvDiff", (m) => m.key === "fromWs");
    expect((await env.authed("reader", "GET", `${base}/fromWs`)).text).toBe("7");
  });

  it("holds the 64 KiB quota to the byte with the documented 413 text", async () => {
    const env = await startEnv();
    const base = `/api/v1/sessions/${env.host.sessionId}/kv/q`;
    // key "k" (1 byte) + JSON string: 2 quotes + n bytes ≤ 65536 → n = 65533.
    const ok = await env.authed("reader", "PUT", `${base}/k`, { body: { value: "x".repeat(65533) } });
    expect(ok.status).toBe(200);
    const over = await env.authed("reader", "PUT", `${base}/k`, { body: { value: "x".repeat(65534) } });
    expect([over.status, over.text]).toEqual([413, "Session KV quota exceeded (64 KiB per plugin per session)"]);
    const bad = await env.authed("reader", "PUT", `${base}/k`, { body: { nope: 1 } });
    expect(bad.status).toBe(400);
  });

  it("answers 404 Session not found. and 401 without a challenge", async () => {
    const env = await startEnv();
    const r = await env.s.http.get(`/api/v1/sessions/zzzzzzzz/kv/p`);
    expect([r.status, r.text]).toEqual([404, "Session not found."]);
    const u = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/kv/p`);
    expect([u.status, u.text]).toEqual([401, "missing session auth challenge"]);
  });
});

describe("session plugins over HTTP (§11.3.4)", () => {
  it("lists the set, toggles with the admin proof and broadcasts sessionPlugins", async () => {
    const env = await startEnv();
    const { b } = await env.browser("admin");
    b.send({ t: "setSessionPlugin", pluginId: "demo.p", manifestUrl: "/plugins/demo.p/manifest.json", enabled: true });
    await b.next("sessionPlugins", (m) => "demo.p" in m.plugins);
    const list = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/plugins`);
    expect(list.json()["demo.p"]).toEqual({ manifest_url: "/plugins/demo.p/manifest.json", enabled: true });
    const off = await env.authed("admin", "PATCH", `/api/v1/sessions/${env.host.sessionId}/plugins/demo.p`, { body: { enabled: false } });
    expect([off.status, off.json()]).toEqual([200, { ok: true }]);
    expect((await b.next("sessionPlugins", (m) => m.plugins["demo.p"]?.enabled === false)).plugins["demo.p"].enabled).toBe(false);
    const unknown = await env.authed("admin", "PATCH", `/api/v1/sessions/${env.host.sessionId}/plugins/nope.p`, { body: { enabled: true } });
    expect([unknown.status, unknown.text]).toEqual([404, "Plugin not found."]);
    const gone = await env.s.http.req("PATCH", `/api/v1/sessions/zzzzzzzz/plugins/demo.p`, { body: { enabled: true } });
    expect([gone.status, gone.text]).toEqual([404, "Session not found"]);
  });
});
