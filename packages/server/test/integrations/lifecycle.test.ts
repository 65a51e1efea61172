/** Refresh ahead of expiry (single-flight), EXPIRED and FAILED states, disconnect + revoke, persistence. */
import { describe, expect, it } from "vitest";
import { startGithub } from "./standins/github.js";
import { authorize } from "./standins/oauth-server.js";
import { asApp, CALLBACK, connect, connections, execute, followCallback, newVaultKey, onCleanup, realAs, registerClients, startTaiku } from "./harness.js";

async function setup(opts: { refreshLeadMs?: number; stateTtlMs?: number } = {}) {
  const as = await realAs({ accessTokenTtlSec: 3600 });
  const gh = await startGithub({ verify: (t) => as.verify(t) });
  onCleanup(() => gh.close());
  const clock = { offset: 0 };
  const t = await startTaiku({
    now: () => Date.now() + clock.offset,
    integrations: { apps: { github: asApp(as, "taiku-github", ["repo"]) }, refreshLeadMs: opts.refreshLeadMs ?? 5 * 60_000, ...(opts.stateTtlMs ? { stateTtlMs: opts.stateTtlMs } : {}) },
    egressHosts: { "api.github.com": gh.url },
  });
  registerClients(as, t, ["taiku-github"]);
  return { as, gh, t, clock };
}

const tokenSeen = (gh: { log: Array<{ headers: Record<string, unknown> }> }, i = -1): string =>
  String(gh.log.at(i)!.headers.authorization).replace(/^Bearer /, "");

describe("token lifecycle", () => {
  it("refreshes once ahead of expiry when 50 executes arrive together, then uses the new token", async () => {
    const { as, gh, t, clock } = await setup({ refreshLeadMs: 5 * 60_000 });
    await connect(t, "github");
    const args = { owner: "octo", repo: "hello", title: "warm-up" };
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", args)).status).toBe(200);
    const first = tokenSeen(gh);
    expect(as.grants.refresh_token ?? 0).toBe(0);

    clock.offset = 3600_000 - 60_000; // one minute before expiry: inside the 5-minute lead
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { ...args, title: `issue ${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(as.grants.refresh_token).toBe(1);
    expect(gh.repos.get("octo/hello")).toHaveLength(51);
    const second = tokenSeen(gh);
    expect(second).not.toBe(first);
    const used = new Set(gh.log.slice(-50).map((l) => String(l.headers.authorization)));
    expect(used).toEqual(new Set([`Bearer ${second}`]));

    // The fresh token is good for another hour: no further refresh.
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { ...args, title: "after" })).status).toBe(200);
    expect(as.grants.refresh_token).toBe(1);
    expect(await connections(t)).toEqual([expect.objectContaining({ status: "ACTIVE" })]);
  });

  it("becomes EXPIRED when the authorization server refuses the refresh, and execute says to reconnect", async () => {
    const { as, gh, t, clock } = await setup();
    await connect(t, "github");
    // The AS forgets the client (as when an admin deletes the app): refresh fails with an OAuth error.
    as.setClients([]);
    clock.offset = 3600_000 + 1000;
    const res = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "x" });
    expect(res.status).toBe(409);
    expect(res.text).toBe("The github connection has expired: reconnect github");
    expect(await connections(t)).toEqual([expect.objectContaining({ toolkit: "github", status: "EXPIRED" })]);
    expect(gh.log.filter((l) => l.path.startsWith("/repos"))).toHaveLength(0);
  });

  it("is FAILED when the user denies consent, and when the authorization is not finished in time", async () => {
    const { t, clock } = await setup({ stateTtlMs: 60_000 });
    const denied = await connect(t, "github", { abort: true });
    expect(new URL(denied.callbackUrl).searchParams.get("error")).toBe("access_denied");
    expect(denied.page.status).toBe(400);
    expect(denied.page.text).toContain("access_denied");
    expect(await connections(t)).toEqual([{ id: denied.answer.connectionId, toolkit: "github", status: "FAILED" }]);

    const res = await t.http.post("/api/v1/integrations/connections", { toolkit: "github" }, t.headers);
    const late = res.json();
    // The superseded FAILED attempt is gone; the new one is pending.
    expect(await connections(t)).toEqual([{ id: late.connectionId, toolkit: "github", status: "INITIATED" }]);
    const cb = await authorize(late.redirectUrl, `${t.publicUrl}${CALLBACK}`);
    clock.offset = 61_000;
    const page = await followCallback(t, cb);
    expect(page.status).toBe(400);
    expect(page.text).toContain("took too long");
    expect(await connections(t)).toEqual([{ id: late.connectionId, toolkit: "github", status: "FAILED" }]);
  });

  it("disconnect deletes the connection and revokes the tokens at the authorization server", async () => {
    const { as, gh, t } = await setup();
    const { answer } = await connect(t, "github");
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "a" })).status).toBe(200);
    const token = tokenSeen(gh);
    expect(await as.verify(token)).not.toBeNull();

    const del = await t.http.req("DELETE", `/api/v1/integrations/connections/${answer.connectionId}`, { headers: t.headers });
    expect(del.status).toBe(200);
    expect(del.json()).toEqual({ ok: true });
    expect(await as.verify(token)).toBeNull();
    expect(await connections(t)).toEqual([]);
    const res = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "b" });
    expect(res.status).toBe(409);
    expect(res.text).toBe("No active github connection: connect github first");
    expect((await t.http.req("DELETE", `/api/v1/integrations/connections/${answer.connectionId}`, { headers: t.headers })).status).toBe(404);
  });

  it("a reconnect takes effect on the next execute although the previous connection was cached", async () => {
    const { gh, t } = await setup();
    await connect(t, "github");
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "a" })).status).toBe(200);
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "b" })).status).toBe(200);
    const first = tokenSeen(gh);
    expect(tokenSeen(gh, -2)).toBe(first);
    await connect(t, "github");
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "c" })).status).toBe(200);
    expect(tokenSeen(gh)).not.toBe(first);
    // The audit trail keeps every execute, in order, although execute answers before writing it.
    const audit = (await t.http.get("/api/v1/integrations/audit", t.headers)).json().entries as Array<{ outcome: string; at: number }>;
    expect(audit.map((e) => e.outcome)).toEqual(["ok", "ok", "ok"]);
  });

  it("connections belong to the account and survive a restart", async () => {
    const as = await realAs();
    const gh = await startGithub({ verify: (x) => as.verify(x) });
    onCleanup(() => gh.close());
    const key = newVaultKey();
    const opts = { integrations: { vaultKey: key, apps: { github: asApp(as, "taiku-github", ["repo"]) } }, egressHosts: { "api.github.com": gh.url } };
    const t = await startTaiku(opts);
    registerClients(as, t, ["taiku-github"]);
    await connect(t, "github");
    await t.server.close();

    const again = await startTaiku({ ...opts, home: t.home });
    expect(await connections(again)).toEqual([expect.objectContaining({ toolkit: "github", status: "ACTIVE" })]);
    expect((await execute(again, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "after restart" })).status).toBe(200);

    // Another account sees none of it.
    const other = await again.http.post("/api/v1/auth/signup", { name: "Bob", email: "bob@example.com", password: "correct horse battery" });
    const cookie = /taiku_session=[^;]*/.exec(other.headers.get("set-cookie")!)![0];
    expect(await connections(again, { cookie })).toEqual([]);
    const res = await execute(again, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "x" }, { "x-taiku-token": "", cookie, origin: again.publicUrl });
    expect(res.status).toBe(409);
  });
});
