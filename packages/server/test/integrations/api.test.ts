/** §11.3.10 error texts, argument validation, verbatim upstream errors, search/limit, admin, declared toolkits. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { start, tempHome } from "../app/helpers.js";
import { startGithub } from "./standins/github.js";
import { asApp, connect, execute, onCleanup, realAs, registerClients, startTaiku } from "./harness.js";

describe("integrations API", () => {
  it("answers 503 on every route when integrations are off", async () => {
    const s = await start();
    const h = { "x-taiku-token": s.server.ownerToken };
    for (const [method, path] of [
      ["GET", "/api/v1/integrations/connections"],
      ["POST", "/api/v1/integrations/connections"],
      ["DELETE", "/api/v1/integrations/connections/x"],
      ["GET", "/api/v1/integrations/toolkits"],
      ["GET", "/api/v1/integrations/toolkits/github/tools"],
      ["POST", "/api/v1/integrations/execute"],
      ["GET", "/api/v1/integrations/callback?state=x"],
      ["GET", "/api/v1/integrations/audit"],
      ["POST", "/api/v1/mcp"],
    ] as const) {
      const res = await s.http.req(method, path, { headers: h, ...(method === "POST" ? { body: {} } : {}) });
      expect([path, res.status, res.text]).toEqual([path, 503, "Integrations are not enabled on this server"]);
    }
  });

  it("uses the documented texts for auth and params", async () => {
    const t = await startTaiku({});
    expect((await t.http.get("/api/v1/integrations/connections")).text).toBe("Not signed in");
    expect((await t.http.get("/api/v1/integrations/connections")).status).toBe(401);
    expect((await t.http.get("/api/v1/integrations/connections", { "x-taiku-token": "bogus" })).status).toBe(401);
    const bad = await t.http.get("/api/v1/integrations/toolkits/Git%20Hub/tools", t.headers);
    expect([bad.status, bad.text]).toEqual([400, "Invalid toolkit slug"]);
    const post = (body: unknown) => t.http.post("/api/v1/integrations/connections", body, t.headers);
    expect((await post({})).text).toBe("Invalid params: toolkit is required");
    expect((await post({ toolkit: "git hub" })).text).toBe("Invalid toolkit slug");
    expect((await post({ toolkit: "github", callbackUrl: "https://evil.example/cb" })).text).toBe("Invalid params: callbackUrl not allowed");
    const notConfigured = await post({ toolkit: "github" });
    expect([notConfigured.status, notConfigured.text]).toEqual([409, "Toolkit github has no OAuth app configured on this server; ask your taiku admin to register one"]);
    expect((await post({ toolkit: "nope" })).status).toBe(404);
    const ex = (body: unknown) => t.http.post("/api/v1/integrations/execute", body, t.headers);
    expect((await ex({ toolkit: "github" })).text).toBe("Invalid params: action is required");
    expect((await ex({ toolkit: "github", action: "X", arguments: [1] })).text).toBe("Invalid params: arguments must be an object");
    // Cookie-authenticated writes need the app Origin (§2.6.4).
    const signup = await t.http.post("/api/v1/auth/signup", { name: "C", email: "c@example.com", password: "correct horse battery" });
    const cookie = /taiku_session=[^;]*/.exec(signup.headers.get("set-cookie")!)![0];
    expect((await t.http.post("/api/v1/integrations/connections", { toolkit: "github" }, { cookie })).status).toBe(403);
    expect((await t.http.post("/api/v1/integrations/connections", { toolkit: "github" }, { cookie, origin: t.publicUrl })).status).toBe(409);
    // Admin routes: the local owner only.
    const put = await t.http.req("PUT", "/api/v1/integrations/admin/apps/github", { body: { clientId: "x" }, headers: { cookie, origin: t.publicUrl } });
    expect([put.status, put.text]).toEqual([403, "Only the server owner can change integrations settings"]);
  });

  it("lists toolkits and searches tools with the default and clamped limits", async () => {
    const t = await startTaiku({});
    const kits = (await t.http.get("/api/v1/integrations/toolkits", t.headers)).json().toolkits;
    expect(kits.map((k: { slug: string }) => k.slug)).toEqual(["github", "linear", "slack", "gmail"]);
    expect(kits.every((k: { toolCount: number }) => k.toolCount > 10)).toBe(true);
    const tools = async (q: string) => (await t.http.get(`/api/v1/integrations/toolkits/github/tools${q}`, t.headers)).json().tools as Array<{ slug: string; name: string; description: string }>;
    expect(await tools("")).toHaveLength(50);
    expect(await tools("?limit=1000")).toHaveLength(100);
    expect(await tools("?limit=0")).toHaveLength(1);
    expect(await tools("?limit=abc")).toHaveLength(50);
    const hits = await tools("?search=ISSUE%20COMMENT&limit=100");
    expect(hits.length).toBeGreaterThan(3);
    for (const h of hits) expect(`${h.slug} ${h.name} ${h.description}`.toLowerCase().replace(/_/g, " ")).toMatch(/issue[\s\S]*comment|comment[\s\S]*issue/);
    expect(await tools("?search=zzzznothing")).toEqual([]);
  });

  it("validates arguments against the schema before any upstream request, and forwards upstream errors verbatim", async () => {
    const as = await realAs();
    const gh = await startGithub({ verify: (x) => as.verify(x) });
    onCleanup(() => gh.close());
    const t = await startTaiku({ integrations: { apps: { github: asApp(as, "taiku-github", ["repo"]) } }, egressHosts: { "api.github.com": gh.url } });
    registerClients(as, t, ["taiku-github"]);
    await connect(t, "github");
    const before = gh.log.length;
    const missing = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello" });
    expect([missing.status, missing.text]).toEqual([400, 'Invalid arguments for GITHUB_CREATE_AN_ISSUE: missing required argument "title"']);
    const unknown = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "t", colour: "red" });
    expect(unknown.text).toBe('Invalid arguments for GITHUB_CREATE_AN_ISSUE: unknown argument "colour"');
    const wrongType = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "t", labels: "bug" });
    expect(wrongType.text).toBe("Invalid arguments for GITHUB_CREATE_AN_ISSUE: labels must be array");
    const noTool = await execute(t, "github", "GITHUB_DO_MAGIC", {});
    expect([noTool.status, noTool.text]).toEqual([404, "Unknown tool GITHUB_DO_MAGIC in toolkit github"]);
    expect(gh.log.length).toBe(before);

    const notFound = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "missing", title: "t" });
    expect(notFound.status).toBe(502);
    expect(notFound.headers.get("x-taiku-upstream-status")).toBe("404");
    expect(notFound.text).toBe('{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"404"}');
    const invalid = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "" });
    expect(invalid.status).toBe(502);
    expect(JSON.parse(invalid.text)).toEqual({ message: "Validation Failed", errors: [{ resource: "Issue", code: "missing_field", field: "title" }], documentation_url: "https://docs.github.com/rest", status: "422" });

    const list = await execute(t, "github", "GITHUB_LIST_REPOSITORY_ISSUES", { owner: "octo", repo: "hello", per_page: 5 });
    expect(list.status).toBe(200);
    expect(list.json()).toEqual([]);
    expect(gh.log.at(-1)!.path).toBe("/repos/octo/hello/issues?per_page=5");

    const audit = (await t.http.get("/api/v1/integrations/audit", t.headers)).json().entries.map((e: { outcome: string; status: number }) => [e.outcome, e.status]);
    expect(audit).toEqual([["ok", 200], ["upstream_error", 422], ["upstream_error", 404], ["unknown_tool", 404], ["invalid_arguments", 400], ["invalid_arguments", 400], ["invalid_arguments", 400]]);
  });

  it("re-checks the plugin's declared toolkits when the server knows its manifest", async () => {
    const pluginsDir = join(await tempHome(), "plugins");
    await mkdir(join(pluginsDir, "my.slack-only"), { recursive: true });
    await writeFile(
      join(pluginsDir, "my.slack-only", "manifest.json"),
      JSON.stringify({ id: "my.slack-only", name: "S", version: "1.0.0", permissions: ["integrations.read"], integrations: ["Slack"] }),
    );
    const t = await startTaiku({ pluginsDir });
    const res = await t.http.get("/api/v1/integrations/toolkits/github/tools", { ...t.headers, "x-taiku-plugin-id": "my.slack-only" });
    expect([res.status, res.text]).toEqual([403, "Toolkit github is not declared by plugin my.slack-only"]);
    expect((await t.http.get("/api/v1/integrations/toolkits/slack/tools", { ...t.headers, "x-taiku-plugin-id": "my.slack-only" })).status).toBe(200);
    expect((await t.http.get("/api/v1/integrations/toolkits/github/tools", { ...t.headers, "x-taiku-plugin-id": "unknown.plugin" })).status).toBe(200);
  });
});
