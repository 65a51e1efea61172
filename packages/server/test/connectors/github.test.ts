/**
 * The GitHub connector against the GitHub stand-in, through the real OAuth flow and the vault:
 * 5,000-issue backfill, signed webhooks, comment and close write-back, polling fallback.
 */
import { describe, expect, it } from "vitest";
import { startGithub } from "../integrations/standins/github.js";
import { asApp, connect, onCleanup, realAs, registerClients, startTaiku } from "../integrations/harness.js";
import { allThreads, channels, createConnection, setChannel, sign, until } from "./helpers.js";

const REPO = "octo/hello";

async function setup(connectors: Record<string, unknown>, seed = 0) {
  const as = await realAs();
  const gh = await startGithub({ verify: (t) => as.verify(t) });
  onCleanup(() => gh.close());
  if (seed) gh.seed(REPO, seed, { prEvery: 10 });
  const t = await startTaiku({
    integrations: { apps: { github: asApp(as, "taiku-github", ["repo", "read:user"]) } },
    egressHosts: { "api.github.com": gh.url },
    connectors: { retryJitter: 0, retryDelaysMs: [100, 200, 400, 800], pollIntervalMs: 50, ...connectors },
  });
  registerClients(as, t, ["taiku-github"]);
  await connect(t, "github");
  return { as, gh, t };
}

describe("GitHub connector", () => {
  it("backfills 5,000 issues and PRs into exactly 5,000 threads, then applies webhooks and writes back", async () => {
    const { gh, t } = await setup({ hookBaseUrl: "https://taiku.example" }, 5000);
    const { connection, channels: listed } = await createConnection(t, "github");
    expect(listed.map((c) => c.id)).toEqual([REPO]);
    expect(connection.accountName).toBeTruthy();
    await setChannel(t, connection.id, REPO, true);
    const done = await until("backfill done", async () => {
      const c = (await channels(t, connection.id)).channels[0]!;
      expect(c.lastError).toBeNull();
      return c.sync === "done" ? c : null;
    }, 120_000, 100);
    expect(done.threads).toBe(5000);
    const threads = await allThreads(t);
    expect(threads).toHaveLength(5000);
    expect(new Set(threads.map((x) => x.link!.source)).size).toBe(5000);
    expect(threads.filter((x) => x.link!.type === "pull_request")).toHaveLength(500);

    // The repository hook was registered upstream with a secret; GitHub delivers an edit, signed.
    const hooks = gh.hooks.get(REPO)!;
    expect(hooks).toHaveLength(1);
    const hook = hooks[0]!;
    expect(hook.config.url).toMatch(/^https:\/\/taiku\.example\/hook\/wh_/);
    expect(hook.events).toEqual(["issues", "issue_comment", "pull_request"]);
    const hookPath = new URL(hook.config.url).pathname;
    const edited = gh.edit(REPO, 42, { title: "Edited upstream" });
    const raw = JSON.stringify({ action: "edited", issue: edited, repository: { full_name: REPO } });
    const forged = await t.http.req("POST", hookPath, { raw, headers: { "content-type": "application/json", "x-github-event": "issues", "x-hub-signature-256": sign("wrong", raw, "sha256=") } });
    expect(forged.status).toBe(200);
    const res = await t.http.req("POST", hookPath, { raw, headers: { "content-type": "application/json", "x-github-event": "issues", "x-hub-signature-256": sign(hook.config.secret!, raw, "sha256=") } });
    expect([res.status, res.text]).toEqual([200, '{"queued":true}']);
    const thread = await until("edited thread", async () => (await allThreads(t)).find((x) => x.title === "Edited upstream"));
    expect(thread.link!.source).toBe(`github:issue:${REPO}/42`);
    expect(await allThreads(t)).toHaveLength(5000);

    // A note written in taiku becomes a comment upstream; its key links the two.
    const posted = await t.http.post(`/api/v1/inbox/threads/${thread.id}/notes`, { content: "Ship it" }, t.headers);
    expect(posted.json().writeBack).toBe(true);
    const comment = await until("comment upstream", async () => gh.comments.get(`${REPO}#42`)?.[0]);
    expect(comment.body).toBe("Ship it");
    const view = await until("note key", async () => {
      const v = (await t.http.get(`/api/v1/inbox/threads/${thread.id}`, t.headers)).json<{ notes: Array<{ key: string | null; content: string }> }>();
      return v.notes.some((n) => n.key === `comment-${comment.id}`) ? v : null;
    });
    // GitHub echoes the comment back by webhook: still one note, no duplicate.
    const echoRaw = JSON.stringify({ action: "created", issue: gh.repos.get(REPO)![41], comment });
    await t.http.req("POST", hookPath, { raw: echoRaw, headers: { "content-type": "application/json", "x-github-event": "issue_comment", "x-hub-signature-256": sign(hook.config.secret!, echoRaw, "sha256=") } });
    await until("echo processed", async () => (await t.http.get(`/api/v1/connectors/connections`, t.headers)).status === 200 && gh.log.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    const after = (await t.http.get(`/api/v1/inbox/threads/${thread.id}`, t.headers)).json<{ notes: Array<{ content: string }>; links: Array<{ id: string }> }>();
    expect(after.notes.filter((n) => n.content === "Ship it")).toHaveLength(1);
    expect(after.notes).toHaveLength(view.notes.length);

    // Closing in taiku closes upstream.
    const closed = await t.http.req("PATCH", `/api/v1/inbox/links/${after.links[0]!.id}`, { body: { status: "closed" }, headers: t.headers });
    expect(closed.json().writeBack).toBe(true);
    await until("closed upstream", async () => gh.repos.get(REPO)![41]!.state === "closed");
    await t.http.req("PATCH", `/api/v1/inbox/links/${after.links[0]!.id}`, { body: { status: "open" }, headers: t.headers });
    await until("reopened upstream", async () => gh.repos.get(REPO)![41]!.state === "open");
  }, 180_000);

  it("falls back to polling with a visible 'webhooks unreachable' status when the hook URL is loopback", async () => {
    const { gh, t } = await setup({ instanceOptions: { github: { pollIntervalMs: 150 } } }, 30);
    const { connection } = await createConnection(t, "github");
    await setChannel(t, connection.id, REPO, true);
    await until("backfill", async () => (await channels(t, connection.id)).channels[0]!.sync === "done");
    const status = await channels(t, connection.id);
    expect(status.connection.webhooks).toBe("unreachable");
    const list = (await t.http.get("/api/v1/connectors/connections", t.headers)).json();
    expect(list.connections[0]).toMatchObject({ connector: "github", webhooks: "unreachable", needsReauth: false, channels: { enabled: 1, syncing: 0 } });
    expect(gh.hooks.get(REPO) ?? []).toEqual([]); // nothing registered upstream
    gh.edit(REPO, 7, { title: "Changed while nobody listened" });
    await until("poll picked up the edit", async () => (await allThreads(t)).find((x) => x.title === "Changed while nobody listened"), 20_000);
    expect(await allThreads(t)).toHaveLength(30);
  }, 60_000);

  it("lists every repository as a channel, following /user/repos pagination past the first 100", async () => {
    const { gh, t } = await setup({});
    for (let i = 1; i <= 130; i++) gh.repos.set(`octo/repo-${String(i).padStart(3, "0")}`, []);
    const { channels: listed } = await createConnection(t, "github");
    expect(listed).toHaveLength(131);
    expect(new Set(listed.map((c) => c.id)).size).toBe(131);
  }, 30_000);

  it("a 403 access error is retried with backoff, not parked until the rate-limit window resets (GitHub sends x-ratelimit-* on every answer)", async () => {
    const { gh, t } = await setup({ instanceOptions: { github: { pollIntervalMs: 60_000 } } }, 30);
    gh.forbidden.add(REPO);
    const { connection } = await createConnection(t, "github");
    const pages = () => gh.log.filter((l) => l.path.startsWith(`/repos/${REPO}/issues?`)).length;
    await setChannel(t, connection.id, REPO, true);
    await until("first page refused", async () => pages() > 0);
    await new Promise((r) => setTimeout(r, 250));
    gh.forbidden.delete(REPO);
    await until("backfill after the retry", async () => (await channels(t, connection.id)).channels[0]!.sync === "done", 10_000);
    expect(await allThreads(t)).toHaveLength(30);
  }, 30_000);

  it("flags the connection for re-auth when its integration is gone, and disabling stops the sync", async () => {
    const { t } = await setup({ instanceOptions: { github: { pollIntervalMs: 100 } } }, 10);
    const { connection } = await createConnection(t, "github");
    await setChannel(t, connection.id, REPO, true);
    await until("backfill", async () => (await channels(t, connection.id)).channels[0]!.sync === "done");
    const integ = (await t.http.get("/api/v1/integrations/connections", t.headers)).json<{ connections: Array<{ id: string }> }>().connections[0]!;
    expect((await t.http.req("DELETE", `/api/v1/integrations/connections/${integ.id}`, { headers: t.headers })).status).toBeLessThan(300);
    await until("needs re-auth", async () => (await channels(t, connection.id)).connection.needsReauth, 10_000);
    await setChannel(t, connection.id, REPO, false);
    expect((await channels(t, connection.id)).channels[0]).toMatchObject({ enabled: false, sync: "off" });
    const other = await t.http.get(`/api/v1/connectors/connections/${connection.id}/channels`, {});
    expect(other.status).toBe(401);
  }, 60_000);

  it("writes reactions back as the reacting user and polls upstream reactions into the note", async () => {
    const { gh, t } = await setup({ instanceOptions: { github: { pollIntervalMs: 60_000, reactionPollMs: 100 } } }, 3);
    const { connection } = await createConnection(t, "github");
    await setChannel(t, connection.id, REPO, true);
    await until("backfill", async () => (await channels(t, connection.id)).channels[0]!.sync === "done");
    const thread = (await allThreads(t)).find((x) => x.link!.source === `github:issue:${REPO}/2`)!;
    type View = { notes: Array<{ id: string; key: string | null; reactions: Record<string, string[]>; myReactions: string[] }> };
    const view = async () => (await t.http.get(`/api/v1/inbox/threads/${thread.id}`, t.headers)).json<View>();
    const description = (await view()).notes.find((n) => n.key === "description")!;
    const react = (noteId: string, body: unknown) => t.http.req("PUT", `/api/v1/inbox/notes/${noteId}/reactions`, { body, headers: t.headers });

    // Add on the issue itself (the description note): stored on the note, then posted upstream.
    const added = await react(description.id, { emoji: "🎉", on: true });
    expect(added.status, added.text).toBe(200);
    expect(added.json()).toMatchObject({ writeBack: true, reactions: { "🎉": [expect.any(String)] } });
    expect((await view()).notes.find((n) => n.id === description.id)!.myReactions).toEqual(["🎉"]);
    const upstream = await until("reaction upstream", async () => gh.reactions.get(`${REPO}#2`)?.[0]);
    expect(upstream.content).toBe("hooray");
    expect((await react(description.id, { emoji: "🎉", on: true })).json().writeBack).toBe(false); // no transition
    expect((await react(description.id, { emoji: "😀", on: true })).json().writeBack).toBe(false); // GitHub has no 😀
    expect((await react(description.id, { emoji: "😀", on: false })).json().reactions).toEqual({ "🎉": [expect.any(String)] });
    expect((await react(description.id, { emoji: "🎉", on: false })).json()).toEqual({ writeBack: true, reactions: {} });
    await until("reaction removed upstream", async () => gh.reactions.get(`${REPO}#2`)?.length === 0);
    expect((await react(description.id, { emoji: "🎉" })).status).toBe(400);
    expect((await react("00000000-0000-7000-8000-000000000000", { emoji: "🎉", on: true })).status).toBe(404);

    // A comment written in taiku, then reacted to in taiku: the comment's reaction endpoint.
    await t.http.post(`/api/v1/inbox/threads/${thread.id}/notes`, { content: "Repro attached" }, t.headers);
    const comment = await until("comment upstream", async () => gh.comments.get(`${REPO}#2`)?.[0]);
    const note = await until("comment key", async () => (await view()).notes.find((n) => n.key === `comment-${comment.id}`));
    expect((await react(note.id, { emoji: "👀", on: true })).json().writeBack).toBe(true);
    const eyes = await until("comment reaction upstream", async () => gh.reactions.get(`${REPO}/comments/${comment.id}`)?.[0]);
    expect([eyes.content, eyes.user.login]).toEqual(["eyes", comment.user.login]);

    // Someone reacts on github.com; the poll replaces the note's reactions with the snapshot, and
    // that sync write is not dispatched back (no reaction request beyond the ones above).
    gh.reactions.set(`${REPO}/comments/${comment.id}`, [{ id: 99_999, content: "rocket", user: { login: "hubot" }, created_at: new Date().toISOString() }]);
    const writesBefore = gh.log.filter((l) => l.path.includes("/reactions") && l.method !== "GET").length;
    const polled = await until("poll snapshot", async () => {
      const n = (await view()).notes.find((x) => x.id === note.id)!;
      return Object.keys(n.reactions).join() === "🚀" ? n : null;
    }, 20_000);
    expect(polled.reactions["🚀"]).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(gh.log.filter((l) => l.path.includes("/reactions") && l.method !== "GET").length).toBe(writesBefore);
    expect(gh.reactions.get(`${REPO}/comments/${comment.id}`)!.map((r) => r.content)).toEqual(["rocket"]);
  }, 60_000);
});
