/** GitHub's own OAuth endpoints (stand-in): HTTP-200 token errors, grant revocation, expiring user tokens. */
import { describe, expect, it } from "vitest";
import { startGithub } from "./standins/github.js";
import { connect, connections, execute, onCleanup, startTaiku } from "./harness.js";

async function setup(clientSecret: string) {
  const gh = await startGithub({ clientId: "Iv1.abc", clientSecret: "gh-secret", expiresIn: 28800 });
  onCleanup(() => gh.close());
  const t = await startTaiku({
    integrations: { apps: { github: { clientId: "Iv1.abc", clientSecret } } },
    egressHosts: { "github.com": gh.url, "api.github.com": gh.url },
  });
  return { gh, t };
}

describe("GitHub OAuth quirks, unchanged provider code", () => {
  it("connects with github.com's endpoints, executes, and revokes the grant on disconnect", async () => {
    const { gh, t } = await setup("gh-secret");
    const { answer, page } = await connect(t, "github", { hosts: { "github.com": gh.url } });
    expect(new URL(answer.redirectUrl).href.startsWith("https://github.com/login/oauth/authorize?")).toBe(true);
    expect(page.status).toBe(200);
    expect(await connections(t)).toEqual([{ id: answer.connectionId, toolkit: "github", status: "ACTIVE" }]);
    const token = [...gh.issued.keys()][0]!;
    const tokenReq = gh.log.find((l) => l.path === "/login/oauth/access_token")!;
    expect(tokenReq.headers.accept).toContain("application/json");
    expect(new URLSearchParams(tokenReq.body).get("code_verifier")).toMatch(/^[\w-]{43,}$/);
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "hi" })).json()).toMatchObject({ user: { login: "octocat" } });

    await t.http.req("DELETE", `/api/v1/integrations/connections/${answer.connectionId}`, { headers: t.headers });
    expect(gh.revokedGrants).toEqual([token]);
    const revoke = gh.log.find((l) => l.method === "DELETE")!;
    expect(revoke.path).toBe("/applications/Iv1.abc/grant");
  });

  it("treats an HTTP-200 `{ error }` token answer as a failure: FAILED with GitHub's error text", async () => {
    const { gh, t } = await setup("wrong-secret");
    const { page, answer } = await connect(t, "github", { hosts: { "github.com": gh.url } });
    const tokenRes = gh.log.find((l) => l.path === "/login/oauth/access_token");
    expect(tokenRes).toBeDefined();
    expect(page.status).toBe(400);
    expect(page.text).toContain("incorrect_client_credentials: The client_id and/or client_secret passed are incorrect.");
    expect(await connections(t)).toEqual([{ id: answer.connectionId, toolkit: "github", status: "FAILED" }]);
  });
});
