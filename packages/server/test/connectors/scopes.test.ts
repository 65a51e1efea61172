/**
 * Scopes shared by connectors and their integrations connection (issue 6): the connect flow asks for
 * the union of the app's and the connectors' scopes; enabling a connector whose scopes the connection
 * was not granted answers a re-consent URL, and after consent the enable proceeds and syncs; a
 * connection becoming ACTIVE again clears the connector's needs-re-auth state by itself.
 * All against the real authorization server (oidc-provider), which reports granted scopes.
 */
import { describe, expect, it } from "vitest";
import { startGithub } from "../integrations/standins/github.js";
import { asApp, CALLBACK, connect, followCallback, onCleanup, realAs, registerClients, startTaiku } from "../integrations/harness.js";
import { authorize } from "../integrations/standins/oauth-server.js";
import { allThreads, channels, createConnection, until } from "./helpers.js";

const REPO = "octo/hello";

async function setup(appScopes: string[], pollIntervalMs = 60_000) {
  const as = await realAs();
  const used: string[] = [];
  const gh = await startGithub({
    verify: async (token) => {
      const v = await as.verify(token);
      if (v) used.push(v.scope);
      return v;
    },
  });
  onCleanup(() => gh.close());
  gh.seed(REPO, 12);
  const t = await startTaiku({
    integrations: { apps: { github: asApp(as, "taiku-github", appScopes) } },
    egressHosts: { "api.github.com": gh.url },
    connectors: { retryJitter: 0, retryDelaysMs: [100, 200, 400, 800], pollIntervalMs: 50, instanceOptions: { github: { pollIntervalMs } } },
  });
  registerClients(as, t, ["taiku-github"]);
  await connect(t, "github");
  return { as, gh, t, used };
}

const scopeOf = (redirectUrl: string) => (new URL(redirectUrl).searchParams.get("scope") ?? "").split(" ").sort();

describe("connector scopes and consent", () => {
  it("asks for the union, re-consents when a connector needs more, then enables and syncs", async () => {
    const { t, used } = await setup(["read:user"]);
    const { connection } = await createConnection(t, "github");
    expect(used.at(-1)!.split(" ")).not.toContain("repo");

    // Enabling the repository needs `repo`, which the connection was not granted.
    const res = await t.http.req("PUT", `/api/v1/connectors/connections/${connection.id}/channels/${encodeURIComponent(REPO)}`, { body: { enabled: true }, headers: t.headers });
    expect(res.status, res.text).toBe(200);
    const answer = res.json<{ needsConsent: boolean; redirectUrl: string; missingScopes: string[]; channel: { enabled: boolean } }>();
    expect(answer).toMatchObject({ needsConsent: true, missingScopes: ["repo"], channel: { enabled: false } });
    expect(scopeOf(answer.redirectUrl)).toEqual(["read:user", "repo"]);
    expect((await channels(t, connection.id)).channels[0]).toMatchObject({ enabled: false, sync: "off" });

    // Any later authorization for the toolkit asks for the union too.
    const plain = await t.http.post("/api/v1/integrations/connections", { toolkit: "github" }, t.headers);
    expect(scopeOf(plain.json<{ redirectUrl: string }>().redirectUrl)).toEqual(["read:user", "repo"]);
    // (that attempt superseded the re-consent one; ask again)
    const again = (await t.http.req("PUT", `/api/v1/connectors/connections/${connection.id}/channels/${encodeURIComponent(REPO)}`, { body: { enabled: true }, headers: t.headers })).json<{ redirectUrl: string }>();

    // Consent at the AS; the callback makes the connection ACTIVE with `repo` and the enable proceeds.
    const cb = await authorize(again.redirectUrl, `${t.publicUrl}${CALLBACK}`);
    expect((await followCallback(t, cb)).status).toBe(200);
    const done = await until("synced after consent", async () => {
      const c = (await channels(t, connection.id)).channels[0]!;
      return c.enabled && c.sync === "done" ? c : null;
    }, 30_000, 50);
    expect(done.threads).toBe(12);
    expect(await allThreads(t)).toHaveLength(12);
    expect(used.at(-1)!.split(" ")).toEqual(expect.arrayContaining(["read:user", "repo"]));

    // Enabling again needs nothing more: no consent.
    const off = await t.http.req("PUT", `/api/v1/connectors/connections/${connection.id}/channels/${encodeURIComponent(REPO)}`, { body: { enabled: false }, headers: t.headers });
    expect(off.status).toBe(200);
    const on = await t.http.req("PUT", `/api/v1/connectors/connections/${connection.id}/channels/${encodeURIComponent(REPO)}`, { body: { enabled: true }, headers: t.headers });
    expect(on.json()).not.toHaveProperty("needsConsent");
  }, 60_000);

  it("clears needs-re-auth and resumes syncing when the integration is connected again", async () => {
    const { t } = await setup(["repo", "read:user"], 100);
    const { connection } = await createConnection(t, "github");
    const res = await t.http.req("PUT", `/api/v1/connectors/connections/${connection.id}/channels/${encodeURIComponent(REPO)}`, { body: { enabled: true }, headers: t.headers });
    expect(res.json()).not.toHaveProperty("needsConsent");
    await until("backfill", async () => (await channels(t, connection.id)).channels[0]!.sync === "done", 30_000);
    const integ = (await t.http.get("/api/v1/integrations/connections", t.headers)).json<{ connections: Array<{ id: string }> }>().connections[0]!;
    expect((await t.http.req("DELETE", `/api/v1/integrations/connections/${integ.id}`, { headers: t.headers })).status).toBeLessThan(300);
    await until("needs re-auth", async () => (await channels(t, connection.id)).connection.needsReauth, 10_000);

    await connect(t, "github");
    const view = await until("re-auth cleared", async () => {
      const v = await channels(t, connection.id);
      return !v.connection.needsReauth && v.channels[0]!.sync === "done" ? v : null;
    }, 20_000);
    expect(view.channels[0]).toMatchObject({ enabled: true, threads: 12 });
  }, 60_000);
});
