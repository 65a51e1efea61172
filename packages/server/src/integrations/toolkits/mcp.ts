/**
 * Remote MCP servers as toolkits. OAuth per the MCP authorization spec: protected-resource metadata
 * (RFC 9728) → authorization-server metadata (RFC 8414 / OIDC discovery) → dynamic client
 * registration (RFC 7591) when no client is configured → authorization code + PKCE with the
 * `resource` indicator. Tools come from `tools/list`; `tools/call` executes.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { discoverOAuthServerInfo, registerClient } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Fetch } from "../egress.js";
import type { McpToolkitConfig } from "../providers/index.js";
import type { PublicTool } from "./catalogue.js";
import type { ExecuteResult } from "./execute.js";

export interface DiscoveredMcpApp {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  tokenAuth: "client_secret_post" | "client_secret_basic" | "none";
  scopes: string[];
  resource: string;
}

export async function discoverMcpApp(cfg: McpToolkitConfig, redirectUri: string, fetchFn: Fetch): Promise<DiscoveredMcpApp> {
  const info = await discoverOAuthServerInfo(cfg.url, { fetchFn });
  const md = info.authorizationServerMetadata;
  if (!md) throw new Error(`MCP server ${cfg.url}: no authorization server metadata found`);
  const scopes = cfg.scopes ?? info.resourceMetadata?.scopes_supported ?? [];
  let clientId = cfg.clientId;
  let clientSecret = cfg.clientSecret;
  let tokenAuth: DiscoveredMcpApp["tokenAuth"] = clientSecret ? "client_secret_post" : "none";
  if (!clientId) {
    if (!md.registration_endpoint) throw new Error(`MCP server ${cfg.url}: the authorization server offers no dynamic client registration; configure clientId`);
    const reg = await registerClient(info.authorizationServerUrl, {
      metadata: md,
      clientMetadata: {
        client_name: "taiku",
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
        ...(scopes.length ? { scope: scopes.join(" ") } : {}),
      },
      fetchFn,
    });
    clientId = reg.client_id;
    clientSecret = reg.client_secret;
    tokenAuth = (reg.token_endpoint_auth_method as DiscoveredMcpApp["tokenAuth"] | undefined) ?? (clientSecret ? "client_secret_basic" : "none");
  }
  const resource = info.resourceMetadata?.resource ?? cfg.url;
  return {
    issuer: md.issuer,
    authorizationEndpoint: md.authorization_endpoint,
    tokenEndpoint: md.token_endpoint,
    ...(typeof (md as { revocation_endpoint?: unknown }).revocation_endpoint === "string"
      ? { revocationEndpoint: (md as { revocation_endpoint: string }).revocation_endpoint }
      : {}),
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    tokenAuth,
    scopes,
    resource: String(resource),
  };
}

async function withClient<T>(url: string, accessToken: string, fetchFn: Fetch, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: "taiku-integrations", version: "0.1.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
    fetch: fetchFn as typeof fetch,
  });
  await client.connect(transport);
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** An upstream HTTP failure of the MCP server (e.g. 401 with its body), forwarded verbatim. */
export class McpHttpError extends Error {
  constructor(
    readonly status: number,
    readonly bodyText: string,
  ) {
    super(bodyText);
  }
}

function httpError(err: unknown): never {
  const e = err as { code?: number; message?: string };
  // The SDK reports non-2xx answers as StreamableHTTPError with the status as `code` and the body in the message.
  if (e && typeof e.code === "number" && e.code >= 400 && e.code < 600) {
    const m = /^Streamable HTTP error: Error POSTing to endpoint: ([\s\S]*)$/.exec(e.message ?? "");
    throw new McpHttpError(e.code, m ? m[1]! : (e.message ?? ""));
  }
  throw err;
}

export async function listMcpTools(url: string, accessToken: string, fetchFn: Fetch, prefix: string): Promise<Array<PublicTool & { mcpName: string }>> {
  return withClient(url, accessToken, fetchFn, async (c) => {
    const out: Array<PublicTool & { mcpName: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await c.listTools(cursor ? { cursor } : {});
      for (const t of page.tools) {
        out.push({
          slug: `${prefix}_${t.name.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}`,
          name: t.title ?? t.name,
          description: t.description ?? "",
          inputParameters: t.inputSchema as Record<string, unknown>,
          mcpName: t.name,
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }).catch(httpError);
}

export async function callMcpTool(url: string, accessToken: string, fetchFn: Fetch, name: string, args: Record<string, unknown>): Promise<ExecuteResult> {
  try {
    const result = await withClient(url, accessToken, fetchFn, (c) => c.callTool({ name, arguments: args }));
    return { kind: "result", body: result };
  } catch (err) {
    if (err instanceof McpHttpError) return { kind: "http_error", status: err.status, bodyText: err.bodyText };
    try {
      httpError(err);
    } catch (e) {
      if (e instanceof McpHttpError) return { kind: "http_error", status: e.status, bodyText: e.bodyText };
      throw e;
    }
    throw err;
  }
}
