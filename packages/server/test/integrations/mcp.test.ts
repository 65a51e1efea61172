/** MCP both ways: a remote MCP server as a toolkit (discovery + dynamic registration + PKCE), and /api/v1/mcp for agents. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { startGithub } from "./standins/github.js";
import { startMcp } from "./standins/mcp.js";
import { asApp, connect, connections, execute, onCleanup, realAs, registerClients, startTaiku, type Taiku } from "./harness.js";

async function mcpClient(t: Taiku, headers: Record<string, string>) {
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.http.base}/api/v1/mcp`), { requestInit: { headers } }));
  onCleanup(() => client.close());
  return client;
}

describe("MCP", () => {
  it("adds a remote MCP server as a toolkit: discovery, dynamic client registration, PKCE, tools/list and tools/call", async () => {
    const rs: { url?: string } = {};
    const as = await realAs({ resource: () => rs.url });
    const mcp = await startMcp({ issuer: as.issuer, verify: (x) => as.verify(x) });
    rs.url = mcp.mcpUrl;
    onCleanup(() => mcp.close());
    const t = await startTaiku({});
    const add = await t.http.req("PUT", "/api/v1/integrations/admin/mcp/notes", { body: { url: mcp.mcpUrl, name: "Notes" }, headers: t.headers });
    expect(add.status).toBe(200);
    expect((await t.http.get("/api/v1/integrations/toolkits", t.headers)).json().toolkits).toContainEqual({ slug: "notes", name: "Notes", kind: "mcp", configured: true, toolCount: null });

    const { answer, page } = await connect(t, "notes");
    const auth = new URL(answer.redirectUrl);
    expect(auth.origin).toBe(as.issuer);
    expect(auth.searchParams.get("resource")).toBe(mcp.mcpUrl);
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("client_id")).toBeTruthy(); // registered dynamically
    expect(mcp.log.some((l) => l.path.startsWith("/.well-known/oauth-protected-resource"))).toBe(true);
    expect(page.status).toBe(200);
    expect(await connections(t)).toEqual([expect.objectContaining({ toolkit: "notes", status: "ACTIVE" })]);

    const tools = (await t.http.get("/api/v1/integrations/toolkits/notes/tools", t.headers)).json().tools;
    expect(tools.map((x: { slug: string }) => x.slug)).toEqual(["NOTES_CREATE_NOTE", "NOTES_ALWAYS_FAILS"]);
    expect(tools[0]).toMatchObject({ name: "Create note", description: "Create a note with a title", inputParameters: { type: "object", properties: { title: { type: "string" } }, required: ["title"] } });

    const ok = await execute(t, "notes", "NOTES_CREATE_NOTE", { title: "remember the milk" });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ content: [{ type: "text", text: "created note #1: remember the milk" }] });
    expect(mcp.notes).toEqual([{ title: "remember the milk", by: "alice" }]);
    const invalid = await execute(t, "notes", "NOTES_CREATE_NOTE", { title: 42 });
    expect(invalid.status).toBe(400);
    const toolFailure = await execute(t, "notes", "NOTES_ALWAYS_FAILS", {});
    expect(toolFailure.status).toBe(200);
    expect(toolFailure.json()).toEqual({ content: [{ type: "text", text: "quota exceeded for notes" }], isError: true });

    // The server's HTTP refusal (token revoked at the AS) comes back as 502 with its body verbatim.
    const token = String(mcp.log.filter((l) => l.path === "/mcp").at(-1)!.headers.authorization).replace("Bearer ", "");
    await as.provider.AccessToken.find(token).then((at: { destroy(): Promise<void> }) => at.destroy());
    const refused = await execute(t, "notes", "NOTES_CREATE_NOTE", { title: "x" });
    expect(refused.status).toBe(502);
    expect(refused.headers.get("x-taiku-upstream-status")).toBe("401");
    expect(refused.text).toContain('{"error":"invalid_token","error_description":"Missing or invalid access token"}');
  });

  it("exposes the user's connected toolkits as one MCP endpoint for agents (API key)", async () => {
    const as = await realAs();
    const gh = await startGithub({ verify: (x) => as.verify(x) });
    onCleanup(() => gh.close());
    const t = await startTaiku({ integrations: { apps: { github: asApp(as, "taiku-github", ["repo"]) } }, egressHosts: { "api.github.com": gh.url } });
    registerClients(as, t, ["taiku-github"]);

    await expect(mcpClient(t, {})).rejects.toThrow(/401|Not signed in/);
    const before = await mcpClient(t, t.headers);
    expect((await before.listTools()).tools.map((x) => x.name)).toEqual(["TAIKU_SEARCH_TOOLS"]);

    await connect(t, "github");
    const client = await mcpClient(t, t.headers);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      names.push(...page.tools.map((x) => x.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names[0]).toBe("TAIKU_SEARCH_TOOLS");
    expect(names).toContain("GITHUB_CREATE_AN_ISSUE");
    expect(names.length).toBeGreaterThan(1000);
    expect(new Set(names).size).toBe(names.length);

    const found = await client.callTool({ name: "TAIKU_SEARCH_TOOLS", arguments: { query: "create an issue", toolkit: "github", limit: 3 } });
    expect(JSON.parse((found.content as Array<{ text: string }>)[0]!.text)).toContainEqual(expect.objectContaining({ slug: "GITHUB_CREATE_AN_ISSUE", toolkit: "github" }));

    const made = await client.callTool({ name: "GITHUB_CREATE_AN_ISSUE", arguments: { owner: "octo", repo: "hello", title: "from an agent" } });
    expect(made.isError).toBeFalsy();
    expect(JSON.parse((made.content as Array<{ text: string }>)[0]!.text)).toMatchObject({ number: 1, title: "from an agent" });
    expect(gh.repos.get("octo/hello")).toEqual([expect.objectContaining({ title: "from an agent" })]);

    const upstream = await client.callTool({ name: "GITHUB_CREATE_AN_ISSUE", arguments: { owner: "octo", repo: "missing", title: "x" } });
    expect(upstream.isError).toBe(true);
    expect((upstream.content as Array<{ text: string }>)[0]!.text).toBe('{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"404"}');
    const invalid = await client.callTool({ name: "GITHUB_CREATE_AN_ISSUE", arguments: { owner: "octo" } });
    expect(invalid.isError).toBe(true);

    const audit = (await t.http.get("/api/v1/integrations/audit", t.headers)).json().entries;
    expect(audit[0]).toMatchObject({ pluginId: "mcp", action: "GITHUB_CREATE_AN_ISSUE", outcome: "invalid_arguments" });
  });
});
