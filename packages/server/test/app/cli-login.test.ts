import { describe, expect, it } from "vitest";
import { signUp, start } from "./helpers.js";

const device = { deviceName: "work laptop", hostname: "box.local", os: "linux" };

describe("CLI device login", () => {
  it("start → pending → approve in the browser → API key once → expired", async () => {
    const s = await start();
    const started = await s.http.post("/api/v1/auth/cli/start", device);
    expect(started.status).toBe(200);
    const login = started.json<{ code: string; verifyUrl: string; pollToken: string; expiresIn: number; interval: number }>();
    expect(login.code).toMatch(/^[BCDFGHJKMNPQRSTVWXZ2-9]{8}$/);
    expect(login.verifyUrl).toBe(`${s.server.publicUrl}/verify?code=${login.code}`);
    expect([login.expiresIn, login.interval]).toEqual([600, 2]);

    const pending = await s.http.post("/api/v1/auth/cli/poll", { pollToken: login.pollToken });
    expect([pending.status, pending.text]).toEqual([202, "authorization pending"]);

    const { browser, account } = await signUp(s);
    const anon = await s.http.post("/api/v1/auth/cli/approve", { code: login.code });
    expect([anon.status, anon.text]).toEqual([401, "missing authentication"]);
    const noOrigin = await s.http.post("/api/v1/auth/cli/approve", { code: login.code }, { cookie: browser.cookie });
    expect(noOrigin.status).toBe(403);
    const wrong = await s.http.post("/api/v1/auth/cli/approve", { code: "BBBBBBBB" }, browser);
    expect([wrong.status, wrong.text]).toEqual([404, "invalid or expired code"]);
    // People type codes loosely: lower case and a dash are fine.
    const typed = `${login.code.slice(0, 4)}-${login.code.slice(4)}`.toLowerCase();
    const approved = await s.http.post("/api/v1/auth/cli/approve", { code: typed }, browser);
    expect([approved.status, approved.json()]).toEqual([200, { ok: true }]);

    const done = await s.http.post("/api/v1/auth/cli/poll", { pollToken: login.pollToken });
    expect(done.status).toBe(200);
    const creds = done.json<{ apiKey: string; user: { id: string; name: string }; deviceId: string; deviceToken: string }>();
    expect(creds.apiKey).toMatch(/^tk_[0-9A-Za-z]{40}$/);
    expect(creds.user).toEqual({ id: account.id, name: "Alice" });
    expect(creds.deviceId).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(creds.deviceToken).toMatch(/^[0-9A-Za-z]{43}$/);
    expect((await s.http.get("/api/v1/auth/me", { authorization: `Bearer ${creds.apiKey}` })).json().id).toBe(account.id);
    const keys = await s.http.get("/api/v1/auth/api-keys", browser);
    expect(keys.json().map((k: { label: string }) => k.label)).toContain("taiku login on work laptop");

    const again = await s.http.post("/api/v1/auth/cli/poll", { pollToken: login.pollToken });
    expect([again.status, again.text]).toEqual([410, "expired"]);
    const reapprove = await s.http.post("/api/v1/auth/cli/approve", { code: login.code }, browser);
    expect(reapprove.status).toBe(404);
  });

  it("expires unapproved logins on the injected clock and rejects unknown poll tokens", async () => {
    let t = 10_000_000;
    const s = await start({ now: () => t, auth: { cliLoginTtlMs: 30_000, cliLoginPollIntervalMs: 500 } });
    const login = (await s.http.post("/api/v1/auth/cli/start", device)).json<{ code: string; pollToken: string; expiresIn: number; interval: number }>();
    expect([login.expiresIn, login.interval]).toEqual([30, 1]);
    const { browser } = await signUp(s);
    t += 30_001;
    expect((await s.http.post("/api/v1/auth/cli/approve", { code: login.code }, browser)).status).toBe(404);
    expect((await s.http.post("/api/v1/auth/cli/poll", { pollToken: login.pollToken })).status).toBe(410);
    expect((await s.http.post("/api/v1/auth/cli/poll", { pollToken: "x".repeat(43) })).status).toBe(410);
    const bad = await s.http.post("/api/v1/auth/cli/start", { deviceName: 3 });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^invalid request body: deviceName: /);
  });

  it("lets only one of two racing polls mint a key", async () => {
    const s = await start();
    const login = (await s.http.post("/api/v1/auth/cli/start", device)).json<{ code: string; pollToken: string }>();
    const { browser } = await signUp(s);
    await s.http.post("/api/v1/auth/cli/approve", { code: login.code }, browser);
    const results = await Promise.all([1, 2, 3].map(() => s.http.post("/api/v1/auth/cli/poll", { pollToken: login.pollToken })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410]);
  });
});
