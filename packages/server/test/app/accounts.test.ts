import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiKeyList } from "@taiku/protocol";
import { AccountService, API_KEY_CACHE_MS, DEFAULT_ACCOUNT_TIMERS } from "../../src/accounts/accounts.js";
import { DEFAULT_ARGON2, hashPassword, verifyPassword } from "../../src/accounts/passwords.js";
import { migrate, openDatabase } from "../../src/db/database.js";
import { sessionCookie, signUp, start, tempHome } from "./helpers.js";

describe("passwords", () => {
  it("hashes with Argon2id at the documented cost and verifies only the right password", async () => {
    const stored = await hashPassword("s3cret-pass", DEFAULT_ARGON2);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword("s3cret-pass", stored)).toBe(true);
    expect(await verifyPassword("s3cret-pasS", stored)).toBe(false);
    expect(await verifyPassword("s3cret-pass", stored.replace("t=3", "t=2"))).toBe(false);
    expect(await verifyPassword("s3cret-pass", "not a hash")).toBe(false);
  });
});

describe("sign-up, sign-in, logout", () => {
  it("signs up, reads /me by cookie, signs out, signs back in", async () => {
    const s = await start();
    const up = await s.http.post("/api/v1/auth/signup", { name: "Alice", email: " Alice@Example.com ", password: "correct horse" });
    expect(up.status).toBe(201);
    expect(up.json()).toMatchObject({ name: "Alice", email: "alice@example.com", plan: "self-hosted" });
    const setCookie = up.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^taiku_session=[0-9A-Za-z]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=\d+$/);
    const cookie = sessionCookie(up);

    const me = await s.http.get("/api/v1/auth/me", { cookie });
    expect(me.status).toBe(200);
    expect(me.json()).toEqual(up.json());

    const dup = await s.http.post("/api/v1/auth/signup", { name: "Eve", email: "alice@example.com", password: "whatever123" });
    expect([dup.status, dup.text]).toEqual([409, "email already registered"]);

    const out = await s.http.post("/api/v1/auth/logout", undefined, { cookie, origin: s.server.publicUrl });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toContain("taiku_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    const gone = await s.http.get("/api/v1/auth/me", { cookie });
    expect([gone.status, gone.text, gone.headers.get("content-type")]).toEqual([401, "missing authentication", "text/plain; charset=utf-8"]);

    const bad = await s.http.post("/api/v1/auth/signin", { email: "alice@example.com", password: "wrong horse" });
    expect([bad.status, bad.text]).toEqual([401, "invalid email or password"]);
    const unknown = await s.http.post("/api/v1/auth/signin", { email: "nobody@example.com", password: "wrong horse" });
    expect([unknown.status, unknown.text]).toEqual([401, "invalid email or password"]);
    const ok = await s.http.post("/api/v1/auth/signin", { email: "ALICE@example.com", password: "correct horse" });
    expect(ok.status).toBe(200);
    expect((await s.http.get("/api/v1/auth/me", { cookie: sessionCookie(ok) })).json().id).toBe(up.json().id);
  });

  it("rejects bad bodies with a text/plain 400 that names the field", async () => {
    const s = await start();
    const res = await s.http.post("/api/v1/auth/signup", { name: "A", email: "not-an-email", password: "short" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.text).toMatch(/^invalid request body: email: .+; password: .+/);
    expect(res.text).not.toContain("not-an-email");
    const junk = await s.http.req("POST", "/api/v1/auth/signin", { raw: "{nope", headers: { "content-type": "application/json" } });
    expect([junk.status, junk.text]).toEqual([400, "invalid JSON body"]);
    const big = await s.http.post("/api/v1/auth/signin", { email: "a@b.c", password: "x".repeat(70_000) });
    expect([big.status, big.text]).toEqual([413, "request body too large"]);
    const xml = await s.http.req("POST", "/api/v1/auth/signin", { raw: "<a/>", headers: { "content-type": "application/xml" } });
    expect([xml.status, xml.text]).toEqual([415, "unsupported content type: send application/json"]);
  });

  it("expires browser sessions on the injected clock", async () => {
    let t = 1_000_000;
    const s = await start({ now: () => t, auth: { webSessionTtlMs: 60_000 } });
    const { cookie } = await signUp(s);
    expect((await s.http.get("/api/v1/auth/me", { cookie })).status).toBe(200);
    t += 60_001;
    expect((await s.http.get("/api/v1/auth/me", { cookie })).status).toBe(401);
  });

  it("rate-limits sign-in attempts per IP", async () => {
    const s = await start({ auth: { signInAttempts: 3, signInWindowMs: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await s.http.post("/api/v1/auth/signin", { email: `u${i}@x.io`, password: "nope-nope" })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await s.http.post("/api/v1/auth/signin", { email: "u9@x.io", password: "nope-nope" });
    expect(limited.text).toBe("Rate limit exceeded");
  });

  it("can turn sign-up off", async () => {
    const s = await start({ auth: { allowSignup: false } });
    const res = await s.http.post("/api/v1/auth/signup", { name: "A", email: "a@example.com", password: "long enough" });
    expect([res.status, res.text]).toEqual([403, "sign-up is disabled on this server"]);
  });
});

describe("cookie Origin rule", () => {
  it("requires the app Origin on cookie-authenticated writes, not on reads or API-key writes", async () => {
    const s = await start();
    const { cookie } = await signUp(s);
    const create = (headers: Record<string, string>) => s.http.post("/api/v1/auth/api-keys", { label: "laptop" }, headers);

    const noOrigin = await create({ cookie });
    expect([noOrigin.status, noOrigin.text]).toEqual([403, "cross-origin request rejected: Origin must be the app origin"]);
    expect((await create({ cookie, origin: "null" })).status).toBe(403); // sandboxed plugin iframe
    expect((await create({ cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await create({ cookie, origin: s.server.publicUrl })).status).toBe(201);
    // Loopback spellings of this very server count as the app origin.
    expect((await create({ cookie, origin: `http://127.0.0.1:${s.server.port}` })).status).toBe(201);
    // Reads need no Origin.
    expect((await s.http.get("/api/v1/auth/api-keys", { cookie })).status).toBe(200);
    // Sign-in from another site is refused (login CSRF).
    const foreign = await s.http.post("/api/v1/auth/signin", { email: "alice@example.com", password: "correct horse battery" }, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
  });

  it("honours configured extra origins", async () => {
    const s = await start({ publicUrl: "https://taiku.example.com", allowedOrigins: ["https://alt.example.com"] });
    expect(s.server.publicUrl).toBe("https://taiku.example.com");
    const up = await s.http.post("/api/v1/auth/signup", { name: "A", email: "a@example.com", password: "long enough" });
    // An https public URL makes the cookie Secure even behind a TLS-terminating proxy.
    expect(up.headers.get("set-cookie")).toContain("; Secure");
    const cookie = sessionCookie(up);
    expect((await s.http.post("/api/v1/auth/api-keys", { label: "x" }, { cookie, origin: "https://alt.example.com" })).status).toBe(201);
    expect((await s.http.post("/api/v1/auth/api-keys", { label: "x" }, { cookie, origin: `http://localhost:${s.server.port}` })).status).toBe(201);
    expect((await s.http.post("/api/v1/auth/api-keys", { label: "x" }, { cookie, origin: "https://other.example.com" })).status).toBe(403);
  });
});

describe("API keys", () => {
  it("creates keys, accepts both headers, lists without secrets, revokes", async () => {
    const s = await start();
    const { browser, account } = await signUp(s);
    const created = await s.http.post("/api/v1/auth/api-keys", { label: "ci" }, browser);
    expect(created.status).toBe(201);
    const { id, apiKey } = created.json<{ id: string; apiKey: string }>();
    expect(apiKey).toMatch(/^tk_[0-9A-Za-z]{40}$/);

    for (const headers of [{ "x-taiku-token": apiKey }, { authorization: `Bearer ${apiKey}` }] as Array<Record<string, string>>) {
      const me = await s.http.get("/api/v1/auth/me", headers);
      expect(me.status).toBe(200);
      expect(me.json().id).toBe(account.id);
    }
    // API-key writes need no Origin; a bad key is not rescued by a valid cookie.
    expect((await s.http.post("/api/v1/auth/api-keys", { label: "from-key" }, { "x-taiku-token": apiKey })).status).toBe(201);
    expect((await s.http.get("/api/v1/auth/me", { ...browser, "x-taiku-token": "tk_" + "A".repeat(40) })).status).toBe(401);

    const list = await s.http.get("/api/v1/auth/api-keys", browser);
    expect(list.json().map((k: { label: string }) => k.label)).toEqual(["ci", "from-key"]);
    expect(list.text).not.toContain("tk_");
    expect(list.json()[0].lastUsedAt).toEqual(expect.any(Number));
    expect(apiKeyList.parse(list.json()).map((k) => k.current)).toEqual([false, false]); // a cookie carries no key
    // Listed with a key, that key is marked `current`: what `taiku logout` revokes.
    const byKey = apiKeyList.parse((await s.http.get("/api/v1/auth/api-keys", { "x-taiku-token": apiKey })).json());
    expect(byKey.map((k) => [k.id, k.current])).toEqual([
      [id, true],
      [byKey[1]!.id, false],
    ]);

    const other = await signUp(s, "bob@example.com");
    expect((await s.http.req("DELETE", `/api/v1/auth/api-keys/${id}`, { headers: other.browser })).status).toBe(404);
    const revoked = await s.http.req("DELETE", `/api/v1/auth/api-keys/${id}`, { headers: browser });
    expect([revoked.status, revoked.json()]).toEqual([200, { ok: true }]);
    expect((await s.http.get("/api/v1/auth/me", { "x-taiku-token": apiKey })).status).toBe(401);
    const again = await s.http.req("DELETE", `/api/v1/auth/api-keys/${id}`, { headers: browser });
    expect([again.status, again.text]).toEqual([404, "API key not found."]);
  });
});

describe("local owner", () => {
  it("writes owner-token 0600 on first start and reuses it; re-mints for the same account if lost", async () => {
    const home = await tempHome();
    const a = await start({ home });
    expect(a.server.ownerToken).toMatch(/^tk_[0-9A-Za-z]{40}$/);
    const file = join(home, "owner-token");
    expect((await readFile(file, "utf8")).trim()).toBe(a.server.ownerToken);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const me = (await a.http.get("/api/v1/auth/me", { "x-taiku-token": a.server.ownerToken })).json();
    expect(me.name.length).toBeGreaterThan(0);
    await a.server.close();

    const b = await start({ home });
    expect(b.server.ownerToken).toBe(a.server.ownerToken);
    await b.server.close();

    const { rm } = await import("node:fs/promises");
    await rm(file);
    const c = await start({ home });
    expect(c.server.ownerToken).not.toBe(a.server.ownerToken);
    expect((await c.http.get("/api/v1/auth/me", { "x-taiku-token": c.server.ownerToken })).json().id).toBe(me.id);
  });
});

describe("one-time sign-in code", () => {
  it("mints a code with the API key, signs a browser in once, and expires after 2 minutes", async () => {
    let t = 5_000_000;
    const s = await start({ now: () => t });
    const owner = { "x-taiku-token": s.server.ownerToken };
    const mint = async () => (await s.http.post("/api/v1/auth/one-time-code", undefined, owner)).json<{ code: string }>().code;

    const code = await mint();
    const signedIn = await s.http.post("/api/v1/auth/one-time", { code }, { origin: s.server.publicUrl });
    expect(signedIn.status).toBe(200);
    const me = await s.http.get("/api/v1/auth/me", { cookie: sessionCookie(signedIn) });
    expect(me.json().id).toBe((await s.http.get("/api/v1/auth/me", owner)).json().id);
    const reused = await s.http.post("/api/v1/auth/one-time", { code });
    expect([reused.status, reused.text]).toEqual([401, "invalid or expired code"]);

    const late = await mint();
    t += 2 * 60_000 + 1;
    expect((await s.http.post("/api/v1/auth/one-time", { code: late })).status).toBe(401);

    // Only an API key can mint codes: a cookie (even with Origin) cannot.
    const cookieOnly = await s.http.post("/api/v1/auth/one-time-code", undefined, { cookie: sessionCookie(signedIn), origin: s.server.publicUrl });
    expect([cookieOnly.status, cookieOnly.text]).toEqual([401, "missing authentication"]);
  });
});

describe("API key lookups (cached)", () => {
  it("revoking a key stops it at once, even right after a cached use; other keys keep working; last_used_at still advances", async () => {
    const home = await tempHome();
    await mkdir(home, { recursive: true });
    const db = await openDatabase(join(home, "taiku.db"));
    try {
      await migrate(db);
      let now = 1_000_000;
      const accounts = new AccountService(db, () => now, { memoryKiB: 1024, iterations: 1, parallelism: 1 }, DEFAULT_ACCOUNT_TIMERS);
      const alice = await accounts.create("Alice", null, null);
      const a = await accounts.createApiKey(alice.id, "a");
      const b = await accounts.createApiKey(alice.id, "b");
      const lastUsed = async (id: string) => (await db.selectFrom("api_keys").select("last_used_at").where("id", "=", id).executeTakeFirstOrThrow()).last_used_at;

      expect(await accounts.fromApiKey(a.apiKey)).toEqual(alice);
      expect(await accounts.fromApiKey(b.apiKey)).toEqual(alice);
      expect(await lastUsed(a.id)).toBe(now);
      now += 10;
      expect(await accounts.fromApiKey(a.apiKey)).toEqual(alice); // served from the cache

      // Revoked while cached: refused on the very next lookup, and concurrently started ones never re-cache it.
      const racing = accounts.fromApiKey(a.apiKey);
      expect(await accounts.revokeApiKey(alice.id, a.id)).toBe(true);
      await racing;
      expect(await accounts.fromApiKey(a.apiKey)).toBeNull();
      now += 10;
      expect(await accounts.fromApiKey(a.apiKey)).toBeNull();
      expect(await accounts.fromApiKey(b.apiKey)).toEqual(alice);

      // The touch interval is still honoured with the cache in front of the database.
      now += DEFAULT_ACCOUNT_TIMERS.apiKeyTouchMs + API_KEY_CACHE_MS;
      expect(await accounts.fromApiKey(b.apiKey)).toEqual(alice);
      expect(await lastUsed(b.id)).toBe(now);
      // A key unknown to the database is never cached as valid.
      expect(await accounts.fromApiKey("tk_" + "B".repeat(40))).toBeNull();
    } finally {
      await db.destroy();
    }
  });
});
