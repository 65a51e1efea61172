/**
 * One execution's state (spec §1.5, §7.2): the instance row, the request budget spent so far, the
 * Network allowlist declared by build(), and the method lookup by tool path and name that callbacks,
 * tasks and webhooks use.
 */
import { BudgetExceededError } from "../sdk/errors.js";
import type { Twist } from "../sdk/twist.js";
import type { RuntimeConfig } from "./config.js";
import { baseFetch, rewriteUrl, urlAllowed } from "./egress.js";
import type { InstanceRow } from "./storage.js";

export interface ExecutionContext {
  id: string;
  instance: InstanceRow;
  requests: number;
  patterns: string[];
  twist?: Twist<unknown>;
  tools?: Record<string, unknown>;
  aborted?: Error;
}

/** Spends one request unit; past the budget the execution is aborted for good. */
export function charge(ctx: ExecutionContext, requestBudget: number): void {
  if (ctx.aborted) throw ctx.aborted;
  ctx.requests += 1;
  if (ctx.requests > requestBudget) {
    ctx.aborted = new BudgetExceededError(`Execution exceeded its budget of ${requestBudget} requests`);
    throw ctx.aborted;
  }
}

/** The `fetch` of an execution: charged, held to the allowlist, rewritten by `egressHosts`, timed out. */
export function egressFetch(ctx: ExecutionContext, config: RuntimeConfig) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    charge(ctx, config.requestBudget);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const scheme = url.split(":")[0]?.toLowerCase();
    if (!urlAllowed(url, ctx.patterns) || (scheme === "http" && !config.allowHttp && !ctx.patterns.includes("*") && !ctx.patterns.some((p) => p.startsWith("http:")))) {
      return new Response(`Outbound request to ${url} is outside this connector's Network allowlist`, { status: 403, headers: { "content-type": "text/plain" } });
    }
    const target = rewriteUrl(url, config.egressHosts);
    const timeout = AbortSignal.timeout(config.fetchTimeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const base = baseFetch();
    if (input instanceof Request) return base(new Request(target, input), { ...init, signal });
    return base(target, { ...init, signal });
  };
}

/** The twist itself (empty path) or the tool at `a/b/...` under it. */
export function resolveTarget(ctx: ExecutionContext, toolPath: string): Record<string, unknown> {
  let target: unknown = ctx.twist;
  if (toolPath) {
    let tools = ctx.tools as Record<string, unknown>;
    for (const part of toolPath.split("/")) {
      target = tools[part];
      tools = (target as { tools?: Record<string, unknown> } | undefined)?.tools ?? {};
    }
  }
  if (!target) throw new Error(`No tool at ${toolPath}`);
  return target as Record<string, unknown>;
}

/** Calls `method` on the target at `toolPath`; a missing method is an error naming it. */
export async function invokeByName(ctx: ExecutionContext, toolPath: string, method: string, args: unknown[]): Promise<unknown> {
  const target = resolveTarget(ctx, toolPath);
  const fn = target[method];
  if (typeof fn !== "function") throw new Error(`Method ${method} does not exist on ${toolPath || ctx.instance.twist_id} (renamed or removed?)`);
  return (fn as (...a: unknown[]) => unknown).apply(target, args);
}
