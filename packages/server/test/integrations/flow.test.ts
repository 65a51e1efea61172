/** The thin end-to-end path: connect GitHub through a real AS, list tools, create an issue in the stand-in. */
import { describe, expect, it } from "vitest";
import { startGithub } from "./standins/github.js";
import { asApp, connections, execute, onCleanup, realAs, registerClients, startTaiku } from "./harness.js";

describe("integrations: GitHub over a real OAuth 2.0 authorization server", () => {
  it("connects (INITIATED → ACTIVE), lists tools and creates an issue that then exists upstream", async () => {
    const as = await realAs();
    const gh = await startGithub({ verify: (t) => as.verify(t) });
    onCleanup(() => gh.close());
    const t = await startTaiku({
      integrations: { apps: { github: asApp(as, "taiku-github", ["repo", "read:user"]) } },
      egressHosts: { "api.github.com": gh.url },
    });
    registerClients(as, t, ["taiku-github"]);

    const created = await t.http.post("/api/v1/integrations/connections", { toolkit: "GitHub" }, t.headers);
    expect(created.status).toBe(200);
    const answer = created.json();
    expect(answer.status).toBe("INITIATED");
    const auth = new URL(answer.redirectUrl);
    expect(auth.origin).toBe(as.issuer);
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("state")).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get("redirect_uri")).toBe(`${t.publicUrl}/api/v1/integrations/callback`);
    expect(await connections(t)).toEqual([{ id: answer.connectionId, toolkit: "github", status: "INITIATED" }]);

    const { authorize } = await import("./standins/oauth-server.js");
    const cb = await authorize(answer.redirectUrl, `${t.publicUrl}/api/v1/integrations/callback`);
    expect(new URL(cb).searchParams.get("code")).toBeTruthy();
    const u = new URL(cb);
    const page = await t.http.get(u.pathname + u.search);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.text).toContain("Connected — you can close this tab");
    expect(await connections(t)).toEqual([{ id: answer.connectionId, toolkit: "github", status: "ACTIVE" }]);
    expect(as.grants.authorization_code).toBe(1);

    const tools = await t.http.get("/api/v1/integrations/toolkits/github/tools?search=create%20an%20issue&limit=5", t.headers);
    expect(tools.status).toBe(200);
    const slugs = tools.json().tools.map((x: { slug: string }) => x.slug);
    expect(slugs).toContain("GITHUB_CREATE_AN_ISSUE");
    const tool = tools.json().tools.find((x: { slug: string }) => x.slug === "GITHUB_CREATE_AN_ISSUE");
    expect(tool.inputParameters.required).toEqual(expect.arrayContaining(["owner", "repo", "title"]));

    const res = await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "Bug: build fails on main", body: "Steps…" }, { "x-taiku-plugin-id": "example.integrations" });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ number: 1, title: "Bug: build fails on main", body: "Steps…", user: { login: "alice" } });
    expect(gh.repos.get("octo/hello")).toEqual([expect.objectContaining({ number: 1, title: "Bug: build fails on main" })]);
    const upstream = gh.log.find((l) => l.method === "POST" && l.path === "/repos/octo/hello/issues")!;
    expect(upstream.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(upstream.headers.authorization).toMatch(/^Bearer /);

    const audit = await t.http.get("/api/v1/integrations/audit", t.headers);
    expect(audit.json().entries).toEqual([
      expect.objectContaining({ pluginId: "example.integrations", toolkit: "github", action: "GITHUB_CREATE_AN_ISSUE", outcome: "ok", status: 200 }),
    ]);
  });

  it("sends the browser to a given callbackUrl on the app origin with the outcome", async () => {
    const gh = await startGithub({ clientId: "Iv1.abc", clientSecret: "gh-secret" });
    onCleanup(() => gh.close());
    const t = await startTaiku({ integrations: { apps: { github: { clientId: "Iv1.abc", clientSecret: "gh-secret" } } }, egressHosts: { "github.com": gh.url, "api.github.com": gh.url } });
    const callbackUrl = `${t.publicUrl}/s/abc?panel=integrations`;
    const res = await t.http.post("/api/v1/integrations/connections", { toolkit: "github", callbackUrl }, t.headers);
    const answer = res.json();
    const { authorize } = await import("./standins/oauth-server.js");
    const cb = await authorize(answer.redirectUrl, `${t.publicUrl}/api/v1/integrations/callback`, { hosts: { "github.com": gh.url } });
    const u = new URL(cb);
    const page = await t.http.get(u.pathname + u.search);
    expect(page.status).toBe(302);
    const to = new URL(page.headers.get("location")!);
    expect(to.origin + to.pathname).toBe(`${t.publicUrl}/s/abc`);
    expect(Object.fromEntries(to.searchParams)).toEqual({ panel: "integrations", toolkit: "github", connectionId: answer.connectionId, status: "ACTIVE" });
  });
});
