import { describe, expect, it } from "vitest";
import { join, openSession } from "../relay/harness.js";
import { serveFakeFs, startEnv } from "./support.js";

describe("session-scoped HTTP auth (§2.6.3)", () => {
  it("issues single-use nonces bound to the session, and 404s unknown sessions", async () => {
    const env = await startEnv();
    const r = await env.s.http.get(`/api/s/${env.host.sessionId}/auth-challenge`);
    expect(r.status).toBe(200);
    const body = r.json<{ nonce: string; expiresAt: number }>();
    expect(body.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    expect(body.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    const missing = await env.s.http.get(`/api/s/nope1234/auth-challenge`);
    expect([missing.status, missing.text]).toEqual([404, "Session not found."]);
  });

  it("accepts a valid viewer proof once and refuses reuse, missing and wrong proofs with the documented text", async () => {
    const env = await startEnv();
    const path = `/api/v1/sessions/${env.host.sessionId}/plugins`;
    const h = await env.headers("reader");
    expect((await env.s.http.get(path, h)).status).toBe(200);
    const reused = await env.s.http.get(path, h);
    expect([reused.status, reused.text, reused.headers.get("content-type")]).toEqual([401, "missing session auth challenge", "text/plain; charset=utf-8"]);
    const none = await env.s.http.get(path);
    expect([none.status, none.text]).toEqual([401, "missing session auth challenge"]);
    const bad = await env.headers("reader");
    bad["x-taiku-session-key"] = Buffer.alloc(32, 1).toString("base64");
    expect((await env.s.http.get(path, bad)).status).toBe(401);
    // The failed attempt consumed the nonce: the right proof for it is refused afterwards.
    const n = await env.nonce();
    const wrong = { ...(await env.headers("reader", n)), "x-taiku-session-key": Buffer.alloc(32).toString("base64") };
    expect((await env.s.http.get(path, wrong)).status).toBe(401);
    expect((await env.s.http.get(path, await env.headers("reader", n))).status).toBe(401);
  });

  it("binds nonces to their session and expires them", async () => {
    const env = await startEnv({ limits: { sessionNonceMs: 150 } });
    // A nonce issued for another session of the same server does not work here (and is used up).
    const second = await openSession(env.h, { apiKey: env.s.server.ownerToken });
    const foreign = (await env.s.http.get(`/api/s/${second.sessionId}/auth-challenge`)).json<{ nonce: string }>().nonce;
    expect((await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/plugins`, await env.headers("reader", foreign))).status).toBe(401);
    const n = await env.nonce();
    await new Promise((r) => setTimeout(r, 300));
    expect((await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/plugins`, await env.headers("reader", n))).status).toBe(401);
  });

  it("needs a write or admin proof for writer routes on write-protected sessions", async () => {
    const env = await startEnv({ readersEnabled: true });
    serveFakeFs(env.host, { "a.txt": "hi" });
    const ls = `/api/v1/sessions/${env.host.sessionId}/ls`;
    const reader = await env.authed("reader", "GET", ls);
    expect([reader.status, reader.text]).toEqual([403, "write auth required"]);
    expect((await env.authed("writer", "GET", ls)).status).toBe(200);
    expect((await env.authed("admin", "GET", ls)).status).toBe(200);
  });

  it("lets the viewer proof alone reach writer routes when the session is not write-protected", async () => {
    const env = await startEnv();
    serveFakeFs(env.host, { "a.txt": "hi" });
    expect((await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/ls`)).status).toBe(200);
  });

  it("requires the admin proof for PATCH plugins, whatever the session mode", async () => {
    const env = await startEnv();
    const path = `/api/v1/sessions/${env.host.sessionId}/plugins/taiku.agent-monitor`;
    const w = await env.authed("writer", "PATCH", path, { body: { enabled: false } });
    expect([w.status, w.text]).toEqual([403, "tunnel admin auth required"]);
  });

  it("answers 429 once too many nonces are outstanding for a session", async () => {
    const env = await startEnv();
    let last = 0;
    for (let i = 0; i < 260; i++) last = (await env.s.http.get(`/api/s/${env.host.sessionId}/auth-challenge`)).status;
    const r = await env.s.http.get(`/api/s/${env.host.sessionId}/auth-challenge`);
    expect([last, r.status, r.text]).toEqual([429, 429, "Rate limit exceeded"]);
  });
});

describe("the browser socket and the account cookie", () => {
  it("uses the cookie only from the app's Origin: another site (a tunnel host) cannot turn a reader into the owner's admin", async () => {
    // The owner signs in (one-time code from the owner's key, as `taiku` does) and holds the cookie.
    const env = await startEnv({ readersEnabled: true });
    const code = (await env.s.http.post("/api/v1/auth/one-time-code", undefined, { "x-taiku-token": env.s.server.ownerToken })).json<{ code: string }>().code;
    const signedIn = await env.s.http.post("/api/v1/auth/one-time", { code });
    const cookie = /taiku_session=([^;]*)/.exec(signedIn.headers.get("set-cookie") ?? "")![1]!;
    // The app itself: the owner's cookie makes the browser admin (§2.6.2).
    const app = await joinBrowser(env, cookie, env.s.server.publicUrl);
    expect(app.authOk).toMatchObject({ role: "admin" });
    // A page elsewhere (e.g. a tunnel on the same site, which gets the SameSite=Lax cookie) opening the
    // socket in the owner's browser with only a reader link stays a reader.
    const elsewhere = await joinBrowser(env, cookie, "https://3000-attacker.t.example.com");
    expect(elsewhere.authOk).toMatchObject({ role: "reader", canWrite: false });
    expect(elsewhere.authOk.accountId).toBeUndefined();
  });
});

const joinBrowser = (env: Awaited<ReturnType<typeof startEnv>>, cookie: string, origin: string) =>
  join(env.h, env.host, "reader", { cookie, headers: { Origin: origin } });
