/** The Linear connector against the Linear GraphQL stand-in: team channels, backfill, signed webhooks, write-back. */
import { describe, expect, it } from "vitest";
import { startLinear } from "../integrations/standins/linear.js";
import { asApp, connect, onCleanup, realAs, registerClients, startTaiku } from "../integrations/harness.js";
import { allThreads, channels, createConnection, setChannel, sign, until } from "./helpers.js";

describe("Linear connector", () => {
  it("backfills a team, applies a signed issue webhook, writes a comment and a state change back", async () => {
    const as = await realAs();
    const lin = await startLinear({ verify: (t) => as.verify(t) });
    onCleanup(() => lin.close());
    const team = lin.teams[0]!.id;
    lin.seed(team, 120);
    const t = await startTaiku({
      integrations: { apps: { linear: asApp(as, "taiku-linear", ["read", "write", "admin"]) } },
      egressHosts: { "api.linear.app": lin.url },
      connectors: { hookBaseUrl: "https://taiku.example", retryJitter: 0, retryDelaysMs: [100, 200, 400, 800], pollIntervalMs: 50 },
    });
    registerClients(as, t, ["taiku-linear"]);
    await connect(t, "linear");
    const { connection, channels: listed } = await createConnection(t, "linear");
    expect(connection.accountName).toBe("Acme Linear");
    expect(listed.map((c) => [c.id, c.title])).toEqual([[team, "Engineering"]]);
    await setChannel(t, connection.id, team, true);
    const done = await until("backfill", async () => {
      const c = (await channels(t, connection.id)).channels[0]!;
      return c.sync === "done" ? c : null;
    });
    expect(done.threads).toBe(120);

    const hook = lin.webhooks[0]!;
    expect(hook).toMatchObject({ teamId: team, resourceTypes: ["Issue", "Comment"] });
    const path = new URL(hook.url).pathname;
    const data = lin.edit("iss-5", { title: "Renamed in Linear", stateId: lin.states[2]!.id });
    const raw = JSON.stringify({ action: "update", type: "Issue", data, createdAt: new Date().toISOString() });
    const res = await t.http.req("POST", path, { raw, headers: { "content-type": "application/json", "linear-signature": sign(hook.secret, raw) } });
    expect(res.status).toBe(200);
    const thread = await until("renamed thread", async () => (await allThreads(t)).find((x) => x.title === "Renamed in Linear"));
    expect(thread.link!.status).toBe(lin.states[2]!.id);
    expect(await allThreads(t)).toHaveLength(120);

    const posted = await t.http.post(`/api/v1/inbox/threads/${thread.id}/notes`, { content: "On it" }, t.headers);
    expect(posted.json().writeBack).toBe(true);
    await until("comment upstream", async () => lin.issues.find((i) => i.id === "iss-5")!.comments?.some((c) => c.body === "On it"));
    const done2 = lin.states.find((s) => s.type === "completed")!.id;
    const detail = (await t.http.get(`/api/v1/inbox/threads/${thread.id}`, t.headers)).json<{ links: Array<{ id: string }> }>();
    await t.http.req("PATCH", `/api/v1/inbox/links/${detail.links[0]!.id}`, { body: { status: done2 }, headers: t.headers });
    await until("state upstream", async () => lin.issues.find((i) => i.id === "iss-5")!.stateId === done2);
  }, 60_000);

  it("polls a team when the hook URL is loopback (the polling query validates against Linear's schema too)", async () => {
    const as = await realAs();
    const lin = await startLinear({ verify: (t) => as.verify(t) });
    onCleanup(() => lin.close());
    const team = lin.teams[0]!.id;
    lin.seed(team, 5);
    const t = await startTaiku({
      integrations: { apps: { linear: asApp(as, "taiku-linear", ["read", "write", "admin"]) } },
      egressHosts: { "api.linear.app": lin.url },
      connectors: { retryJitter: 0, retryDelaysMs: [100, 200, 400, 800], pollIntervalMs: 50, instanceOptions: { linear: { pollIntervalMs: 150 } } },
    });
    registerClients(as, t, ["taiku-linear"]);
    await connect(t, "linear");
    const { connection } = await createConnection(t, "linear");
    await setChannel(t, connection.id, team, true);
    await until("backfill", async () => (await channels(t, connection.id)).channels[0]!.sync === "done");
    expect(lin.webhooks).toEqual([]);
    lin.edit("iss-3", { title: "Changed while nobody listened" });
    await until("poll picked up the edit", async () => (await allThreads(t)).find((x) => x.title === "Changed while nobody listened"), 20_000);
  }, 60_000);
});
