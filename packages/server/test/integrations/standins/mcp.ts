/**
 * A remote MCP server built with @modelcontextprotocol/sdk on 127.0.0.1 (Streamable HTTP, stateless),
 * protected per the MCP authorization spec: 401 + `WWW-Authenticate: Bearer resource_metadata=…`,
 * RFC 9728 protected-resource metadata naming the real AS, tokens checked against that AS.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { bearer, json, listen, type StandIn } from "./http.js";

export interface McpStandIn extends StandIn {
  mcpUrl: string;
  notes: Array<{ title: string; by: string }>;
}

export async function startMcp(opts: { issuer: string; verify: (token: string) => Promise<{ accountId: string } | null> }): Promise<McpStandIn> {
  const notes: McpStandIn["notes"] = [];
  let base = "";
  const s = await listen(async (req, res, body, url) => {
    if (url.pathname === "/.well-known/oauth-protected-resource/mcp" || url.pathname === "/.well-known/oauth-protected-resource") {
      return json(res, 200, { resource: `${base}/mcp`, authorization_servers: [opts.issuer], scopes_supported: ["mcp"], bearer_methods_supported: ["header"] });
    }
    if (url.pathname !== "/mcp") return json(res, 404, { error: "not found" });
    const token = bearer(req);
    const who = token ? await opts.verify(token) : null;
    if (!who) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` });
      return res.end(JSON.stringify({ error: "invalid_token", error_description: "Missing or invalid access token" }));
    }
    const server = new McpServer({ name: "notes-standin", version: "1.0.0" });
    server.registerTool(
      "create_note",
      { title: "Create note", description: "Create a note with a title", inputSchema: { title: z.string() } },
      async ({ title }) => {
        notes.push({ title, by: who.accountId });
        return { content: [{ type: "text", text: `created note #${notes.length}: ${title}` }] };
      },
    );
    server.registerTool("always_fails", { description: "A tool that reports a tool-level failure", inputSchema: {} }, async () => ({
      content: [{ type: "text", text: "quota exceeded for notes" }],
      isError: true,
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
  });
  base = s.url;
  return Object.assign(s, { mcpUrl: `${s.url}/mcp`, notes });
}
