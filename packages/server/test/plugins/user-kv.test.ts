import { describe, expect, it } from "vitest";
import { start, tempHome } from "../app/helpers.js";
import { call, twoAccounts } from "./support.js";

const KV = "/api/v1/user-kv";

describe("user KV (user-scoped)", () => {
  it("round-trips JSON values of every type, lists them by key, and 404s a missing key", async () => {
    const s = await start();
    const { owner } = await twoAccounts(s);
    const values: Record<string, unknown> = { s: "text", n: 42.5, b: false, z: null, o: { cost: 1.25, updatedAt: 7 }, a: [1, "x"] };
    for (const [key, value] of Object.entries(values)) {
      const put = await call(s, "PUT", `${KV}/demo.plugin/${key}`, owner, { json: { value } });
      expect([put.status, put.json()]).toEqual([200, { ok: true }]);
    }
    for (const [key, value] of Object.entries(values)) {
      const got = await call(s, "GET", `${KV}/demo.plugin/${key}`, owner);
      expect([got.status, got.headers.get("content-type"), got.json()]).toEqual([200, "application/json; charset=utf-8", value]);
    }
    const list = await call(s, "GET", `${KV}/demo.plugin`, owner);
    expect(list.json()).toEqual(Object.keys(values).sort().map((key) => ({ key, value: values[key] })));

    const overwrite = await call(s, "PUT", `${KV}/demo.plugin/s`, owner, { json: { value: "new" } });
    expect(overwrite.status).toBe(200);
    expect((await call(s, "GET", `${KV}/demo.plugin/s`, owner)).json()).toBe("new");

    const missing = await call(s, "GET", `${KV}/demo.plugin/nope`, owner);
    expect([missing.status, missing.headers.get("content-type"), missing.text]).toEqual([404, "text/plain; charset=utf-8", "Key not found."]);
    expect((await call(s, "DELETE", `${KV}/demo.plugin/s`, owner)).json()).toEqual({ ok: true });
    expect((await call(s, "GET", `${KV}/demo.plugin/s`, owner)).status).toBe(404);
    // Deleting an absent key is idempotent.
    expect((await call(s, "DELETE", `${KV}/demo.plugin/s`, owner)).json()).toEqual({ ok: true });
    expect((await call(s, "GET", `${KV}/other.plugin`, owner)).json()).toEqual([]);
  });

  it("answers 401 with the documented texts: no credential vs. an invalid one", async () => {
    const s = await start();
    const none = await call(s, "GET", `${KV}/demo`, {});
    expect([none.status, none.text]).toEqual([401, "missing authentication"]);
    const badKey = await call(s, "PUT", `${KV}/demo/k`, { "x-taiku-token": "tk_invalid" }, { json: { value: 1 } });
    expect([badKey.status, badKey.text]).toEqual([401, "No authenticated user or invalid user ID."]);
    const badCookie = await call(s, "DELETE", `${KV}/demo/k`, { cookie: "taiku_session=forged" });
    expect([badCookie.status, badCookie.text]).toEqual([401, "No authenticated user or invalid user ID."]);
  });

  it("keeps accounts and plugins apart, and works with a browser cookie", async () => {
    const s = await start();
    const { owner, bob } = await twoAccounts(s);
    await call(s, "PUT", `${KV}/p1/k`, owner, { json: { value: "owner-p1" } });
    await call(s, "PUT", `${KV}/p2/k`, owner, { json: { value: "owner-p2" } });
    expect((await call(s, "PUT", `${KV}/p1/k`, bob, { json: { value: "bob-p1" } })).status).toBe(200);
    expect((await call(s, "GET", `${KV}/p1/k`, owner)).json()).toBe("owner-p1");
    expect((await call(s, "GET", `${KV}/p2/k`, owner)).json()).toBe("owner-p2");
    expect((await call(s, "GET", `${KV}/p1/k`, bob)).json()).toBe("bob-p1");
    expect((await call(s, "GET", `${KV}/p2/k`, bob)).status).toBe(404);
    // A cookie write without the app's Origin (e.g. from a plugin iframe) is refused.
    const noOrigin = await call(s, "PUT", `${KV}/p1/k`, { cookie: bob.cookie }, { json: { value: "x" } });
    expect(noOrigin.status).toBe(403);
  });

  it("rejects bad input with 400 and keeps what was stored", async () => {
    const s = await start({ userKv: { maxKeyChars: 8 } });
    const { owner } = await twoAccounts(s);
    await call(s, "PUT", `${KV}/demo/k`, owner, { json: { value: "kept" } });
    const noValue = await call(s, "PUT", `${KV}/demo/k`, owner, { json: { nothing: 1 } });
    expect([noValue.status, noValue.text]).toEqual([400, "invalid request body: value: required"]);
    const array = await call(s, "PUT", `${KV}/demo/k`, owner, { json: [1] });
    expect(array.status).toBe(400);
    const notJson = await call(s, "PUT", `${KV}/demo/k`, owner, { raw: "{", headers: { "content-type": "application/json" } });
    expect([notJson.status, notJson.text]).toEqual([400, "invalid JSON body"]);
    const longKey = await call(s, "PUT", `${KV}/demo/${"k".repeat(9)}`, owner, { json: { value: 1 } });
    expect([longKey.status, longKey.text]).toEqual([400, "invalid key: must be 1-8 characters"]);
    expect((await call(s, "PUT", `${KV}/demo/${"k".repeat(8)}`, owner, { json: { value: 1 } })).status).toBe(200);
    const badPlugin = await call(s, "GET", `${KV}/..%2Fetc/k`, owner);
    expect([badPlugin.status, badPlugin.text]).toEqual([400, "invalid plugin id"]);
    expect((await call(s, "GET", `${KV}/demo/k`, owner)).json()).toBe("kept");
  });

  it("enforces the value, key-count and total caps to the byte with 413 `User KV quota exceeded.`", async () => {
    // Value cap 10 bytes of JSON; total 30 bytes of key + value per plugin; 3 keys.
    const s = await start({ userKv: { maxValueBytes: 10, maxTotalBytes: 30, maxKeys: 3 } });
    const { owner } = await twoAccounts(s);
    const put = (key: string, value: unknown) => call(s, "PUT", `${KV}/demo/${key}`, owner, { json: { value } });
    expect((await put("a", "12345678")).status).toBe(200); // "12345678" is 10 bytes of JSON; a + 10 = 11
    const tooBig = await put("b", "123456789"); // 11 bytes
    expect([tooBig.status, tooBig.text]).toEqual([413, "User KV quota exceeded."]);
    // Multi-byte characters count as UTF-8 bytes: "éééé" is 2 quotes + 8 bytes = 10.
    expect((await put("b", "éééé")).status).toBe(200); // total 11 + 11 = 22
    expect((await put("cc", "1234")).status).toBe(200); // 2 + 6 = 8, total exactly 30
    const overTotal = await put("d", 1);
    expect([overTotal.status, overTotal.text]).toEqual([413, "User KV quota exceeded."]);
    // Replacing a key counts the new size instead of the old one.
    expect((await put("cc", "12")).status).toBe(200); // total 28
    const fourthKey = await put("e", 1); // 28 + 2 = 30 bytes fits, but it would be the 4th key
    expect([fourthKey.status, fourthKey.text]).toEqual([413, "User KV quota exceeded."]);
    // A body far over the value cap is refused by the parser with the same text.
    const huge = await put("a", "x".repeat(5000));
    expect([huge.status, huge.text]).toEqual([413, "User KV quota exceeded."]);
    expect((await call(s, "GET", `${KV}/demo/a`, owner)).json()).toBe("12345678");
    // Caps are per plugin.
    expect((await call(s, "PUT", `${KV}/other/d`, owner, { json: { value: 1 } })).status).toBe(200);
  });

  it("survives a server restart on the same home", async () => {
    const home = await tempHome();
    const first = await start({ home });
    const owner = { "x-taiku-token": first.server.ownerToken };
    await call(first, "PUT", `${KV}/demo/cumulative_cost`, owner, { json: { value: { cost: 3.5, updatedAt: 1 } } });
    await first.server.close();
    const second = await start({ home });
    expect(second.server.ownerToken).toBe(first.server.ownerToken);
    expect((await call(second, "GET", `${KV}/demo/cumulative_cost`, owner)).json()).toEqual({ cost: 3.5, updatedAt: 1 });
  });
});

describe("user KV (session-scoped)", () => {
  it("serves the session owner's KV to the owner only, with the documented 404/403 texts", async () => {
    const s = await start();
    const { owner, ownerId, bob } = await twoAccounts(s);
    s.relay.sessions.set("sess1", { owner: ownerId, chat: [] });
    s.relay.sessions.set("anon", { owner: null, chat: [] });
    const base = "/api/v1/sessions/sess1/user-kv/demo";

    expect((await call(s, "PUT", `${base}/k`, owner, { json: { value: [1, 2] } })).json()).toEqual({ ok: true });
    // Same store as the user-scoped routes.
    expect((await call(s, "GET", `${KV}/demo/k`, owner)).json()).toEqual([1, 2]);
    expect((await call(s, "GET", `${base}/k`, owner)).json()).toEqual([1, 2]);
    expect((await call(s, "GET", base, owner)).json()).toEqual([{ key: "k", value: [1, 2] }]);
    expect((await call(s, "GET", `${base}/missing`, owner)).text).toBe("Key not found.");

    for (const [method, path] of [["GET", base], ["GET", `${base}/k`], ["PUT", `${base}/k`], ["DELETE", `${base}/k`]] as const) {
      const body = method === "PUT" ? { json: { value: 0 } } : {};
      const unknown = await call(s, method, path.replace("sess1", "nosuch"), owner, body);
      expect([unknown.status, unknown.text]).toEqual([404, "Session not found."]);
      const notOwner = await call(s, method, path, bob, body);
      expect([notOwner.status, notOwner.text]).toEqual([403, "Not the session owner"]);
      const anonymous = await call(s, method, path.replace("sess1", "anon"), owner, body);
      expect([anonymous.status, anonymous.text]).toEqual([403, "Not the session owner"]);
      const unauthenticated = await call(s, method, path, {}, body);
      expect([unauthenticated.status, unauthenticated.text]).toEqual([401, "missing authentication"]);
    }
    expect((await call(s, "DELETE", `${base}/k`, owner)).json()).toEqual({ ok: true });
    expect((await call(s, "GET", base, owner)).json()).toEqual([]);
  });
});
