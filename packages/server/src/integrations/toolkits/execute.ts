/**
 * Calls the upstream API for one tool with the user's access token, and hands back what it answered:
 * `result` with the parsed body on success (including tool-level failures such as Slack's HTTP-200
 * `ok: false` or GraphQL `errors`), `http_error` with the upstream status and body text, unchanged,
 * when the API answered with an HTTP error (§12.7).
 */
import type { Fetch } from "../egress.js";
import type { ApiStyle } from "../providers/index.js";
import type { CatalogueTool } from "./catalogue.js";

export type ExecuteResult = { kind: "result"; body: unknown } | { kind: "http_error"; status: number; bodyText: string };

/** Upstream bodies are forwarded up to this size (§12.7: 4 MiB). */
export const MAX_UPSTREAM_BODY = 4 * 1024 * 1024;

async function readBody(res: Response): Promise<string> {
  const buf = Buffer.from(await res.arrayBuffer());
  return buf.subarray(0, MAX_UPSTREAM_BODY).toString("utf8");
}

async function finish(res: Response): Promise<ExecuteResult> {
  const text = await readBody(res);
  if (!res.ok) return { kind: "http_error", status: res.status, bodyText: text };
  if (text === "") return { kind: "result", body: null };
  try {
    return { kind: "result", body: JSON.parse(text) };
  } catch {
    return { kind: "result", body: text };
  }
}

const queryValue = (v: unknown): string => (typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : JSON.stringify(v));

export async function executeTool(
  api: ApiStyle,
  tool: CatalogueTool,
  args: Record<string, unknown>,
  accessToken: string,
  fetchFn: Fetch,
): Promise<ExecuteResult> {
  if (api.kind === "rest") {
    const h = tool.http;
    if (!h) throw new Error(`tool ${tool.slug} has no HTTP binding`);
    let path = h.path;
    // A path parameter left out takes its schema default (Gmail's userId "me").
    const props = (tool.inputParameters.properties ?? {}) as Record<string, { default?: unknown }>;
    for (const p of h.pathParams) path = path.replace(`{${p}}`, encodeURIComponent(String(args[p] ?? props[p]?.default ?? "")));
    const url = new URL(api.baseUrl.replace(/\/+$/, "") + path);
    for (const q of h.queryParams) if (args[q] !== undefined) url.searchParams.set(q, queryValue(args[q]));
    let body: string | undefined;
    if (h.body !== undefined) {
      if (args[h.body] !== undefined) body = JSON.stringify(args[h.body]);
    } else if (h.bodyParams.length) {
      const obj: Record<string, unknown> = {};
      for (const b of h.bodyParams) if (args[b] !== undefined) obj[b] = args[b];
      if (Object.keys(obj).length || h.method !== "GET") body = JSON.stringify(obj);
    }
    const res = await fetchFn(url.href, {
      method: h.method,
      headers: { ...api.headers, authorization: `Bearer ${accessToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    return finish(res);
  }
  if (api.kind === "slack") {
    if (!tool.method) throw new Error(`tool ${tool.slug} has no Slack method`);
    // Slack accepts form encoding on every method; structured values (blocks, attachments) go as JSON strings.
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(args)) if (v !== undefined) form.set(k, typeof v === "string" ? v : JSON.stringify(v));
    const res = await fetchFn(`${api.baseUrl.replace(/\/+$/, "")}/${tool.method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    return finish(res);
  }
  if (api.kind === "graphql") {
    if (!tool.graphql) throw new Error(`tool ${tool.slug} has no GraphQL document`);
    const variables: Record<string, unknown> = {};
    for (const v of tool.graphql.variables) if (args[v] !== undefined) variables[v] = args[v];
    const res = await fetchFn(api.url, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: tool.graphql.query, variables }),
    });
    return finish(res);
  }
  throw new Error("MCP tools are executed by the MCP client");
}
