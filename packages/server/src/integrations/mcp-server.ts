/**
 * `/api/v1/mcp`: each user's connected toolkits as one MCP server (Streamable HTTP, stateless, API-key
 * auth), so coding agents can use them. `tools/list` pages through every tool of every ACTIVE
 * connection (100 per page) after one helper tool, `TAIKU_SEARCH_TOOLS`; `tools/call` runs a tool by
 * slug through the same path as POST /api/v1/integrations/execute (validation, refresh, audit).
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "../http/errors.js";
import { SERVER_VERSION } from "../version.js";
import type { IntegrationsService } from "./service.js";
import { searchTools } from "./toolkits/catalogue.js";

export const MCP_PAGE_SIZE = 100;
export const SEARCH_TOOL = "TAIKU_SEARCH_TOOLS";

const searchTool: Tool = {
  name: SEARCH_TOOL,
  description: "Search the tools of your connected taiku integrations (GitHub, Linear, Slack, Gmail, MCP servers) by words in their slug, name or description.",
  inputSchema: {
    type: "object",
    properties: {
      query: { type: "string", description: "Words to look for, e.g. 'create issue'" },
      toolkit: { type: "string", description: "Only this toolkit, e.g. github" },
      limit: { type: "number", description: "At most this many tools (default 20, max 100)" },
    },
  },
};

function text(t: string, isError = false): CallToolResult {
  return { content: [{ type: "text", text: t }], ...(isError ? { isError: true } : {}) };
}

function buildServer(svc: IntegrationsService, userId: string): Server {
  const server = new Server({ name: "taiku-integrations", version: SERVER_VERSION }, { capabilities: { tools: {} } });

  const allTools = async () => {
    const out: Array<{ toolkit: string; slug: string; name: string; description: string; inputParameters: Record<string, unknown> }> = [];
    for (const toolkit of await svc.activeToolkits(userId)) {
      const tools = await svc.toolsOf(userId, toolkit).catch(() => []);
      for (const t of tools) out.push({ toolkit, ...t });
    }
    return out;
  };

  server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const offset = req.params?.cursor ? Number.parseInt(req.params.cursor, 10) || 0 : 0;
    const tools = await allTools();
    const page: Tool[] = (offset === 0 ? [searchTool] : []).concat(
      tools.slice(offset, offset + MCP_PAGE_SIZE).map((t) => ({
        name: t.slug,
        title: t.name,
        description: t.description,
        inputSchema: { ...t.inputParameters, type: "object" } as Tool["inputSchema"],
      })),
    );
    const next = offset + MCP_PAGE_SIZE;
    return { tools: page, ...(next < tools.length ? { nextCursor: String(next) } : {}) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const args = (req.params.arguments ?? {}) as Record<string, unknown>;
    if (req.params.name === SEARCH_TOOL) {
      const tools = (await allTools()).filter((t) => typeof args.toolkit !== "string" || t.toolkit === args.toolkit.toLowerCase());
      const limit = Math.min(100, Math.max(1, Number(args.limit) || 20));
      const hits = searchTools(tools, typeof args.query === "string" ? args.query : undefined, limit);
      return text(JSON.stringify(hits.map((t) => ({ toolkit: t.toolkit, slug: t.slug, name: t.name, description: t.description }))));
    }
    const tool = (await allTools()).find((t) => t.slug === req.params.name);
    if (!tool) return text(`Unknown tool ${req.params.name}: connect its toolkit first, or search with ${SEARCH_TOOL}`, true);
    let outcome = "error";
    let status: number | null = null;
    try {
      const r = await svc.execute(userId, tool.toolkit, tool.slug, args);
      if (r.kind === "http_error") {
        outcome = "upstream_error";
        status = r.status;
        return text(r.bodyText, true);
      }
      outcome = "ok";
      status = 200;
      // A remote MCP server's own CallToolResult passes through unchanged.
      const body = r.body as Partial<CallToolResult> | null;
      if (svc.isMcp(tool.toolkit) && body && Array.isArray(body.content)) return body as CallToolResult;
      return { content: [{ type: "text", text: JSON.stringify(r.body) }], structuredContent: { result: r.body } };
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        outcome = err.status === 400 ? "invalid_arguments" : err.status === 409 ? "not_connected" : "error";
        return text(err.message, true);
      }
      outcome = "network_error";
      return text(`Upstream request failed: ${(err as Error).message}`, true);
    } finally {
      await svc.audit(userId, { pluginId: "mcp", toolkit: tool.toolkit, action: tool.slug, outcome, status }).catch(() => undefined);
    }
  });
  return server;
}

export async function handleMcpRequest(svc: IntegrationsService, userId: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const server = buildServer(svc, userId);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  reply.hijack();
  reply.raw.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req.raw, reply.raw, req.body);
}
