/**
 * Instance construction (spec §1.1 steps 2–6, §7.2): a fresh connector object per execution, its
 * build() run against a recording builder, and every declared tool resolved by identity to the
 * runtime's implementation (built-ins) or constructed and built in turn (custom tools).
 */
import { ToolNotAvailableError } from "../sdk/errors.js";
import { isConnectorClass } from "../sdk/connector.js";
import type { ToolShed } from "../sdk/tool-shed.js";
import { Tool } from "../sdk/tool.js";
import type { Twist } from "../sdk/twist.js";
import { Callbacks } from "../tools/callbacks.js";
import { Files } from "../tools/files.js";
import { Integrations } from "../tools/integrations.js";
import { Network } from "../tools/network.js";
import { Options, resolveOptions, type OptionsSchema } from "../tools/options.js";
import { Store } from "../tools/store.js";
import { Tasks } from "../tools/tasks.js";
import { callbacksTool, filesTool, integrationsTool, networkTool, storeTool, tasksTool } from "./builtin-tools.js";
import type { ExecutionContext } from "./execution.js";
import type { RuntimeHost } from "./host.js";

/** Constructs a fresh instance, sets userId, resolves build() and the built-ins (§1.1 steps 2–6). */
export async function instantiate(rt: RuntimeHost, ctx: ExecutionContext): Promise<Twist<unknown>> {
  const cls = rt.twistClass(ctx.instance.twist_id);
  const tools: Record<string, unknown> = {};
  const shed = makeShed(tools);
  const twist = new (cls as unknown as new (id: string, s: ToolShed) => Twist<unknown>)(ctx.instance.id, shed);
  (twist as unknown as { userId: string }).userId = ctx.instance.owner_user_id;
  ctx.twist = twist;
  ctx.tools = tools;
  await resolveBuild(rt, ctx, twist, "", tools, isConnectorClass(cls));
  await twist.waitForReady();
  return twist;
}

function makeShed(tools: Record<string, unknown>): ToolShed {
  let ready = false;
  return {
    // build() receives the runtime's recording builder directly (resolveBuild); this one is for completeness.
    build: (() => Promise.reject(new Error("build() is called by the runtime"))) as unknown as ToolShed["build"],
    get ready() { return ready; },
    waitForReady: async () => { ready = true; },
    getTools: <T,>() => {
      if (!("callbacks" in tools)) throw new Error("this.tools was read before the tool shed was ready");
      return tools as T;
    },
  };
}

async function resolveBuild(rt: RuntimeHost, ctx: ExecutionContext, owner: Twist<unknown> | Tool<unknown>, toolPath: string, tools: Record<string, unknown>, connector: boolean): Promise<void> {
  tools.callbacks = callbacksTool(rt, ctx, toolPath, owner);
  tools.store = storeTool(rt, ctx, toolPath);
  tools.tasks = tasksTool(rt, ctx, toolPath);
  const recordings = recordingBuilder();
  const declared = owner.build(recordings.builder);
  for (const [name, promise] of Object.entries(declared)) {
    const rec = recordings.map.get(promise as Promise<unknown>);
    if (!rec) {
      tools[name] = await promise;
      continue;
    }
    tools[name] = await resolveTool(rt, ctx, rec.cls, rec.options, toolPath ? `${toolPath}/${name}` : name, connector);
  }
}

/** build() gets a builder that records (ToolClass, options) and returns placeholders (§7.2). */
function recordingBuilder(): { builder: ToolShed["build"]; map: Map<Promise<unknown>, { cls: unknown; options: unknown }> } {
  const map = new Map<Promise<unknown>, { cls: unknown; options: unknown }>();
  const builder = ((cls: unknown, options?: unknown) => {
    const p = Promise.resolve(null);
    map.set(p, { cls, options });
    return p;
  }) as ToolShed["build"];
  return { builder, map };
}

async function resolveTool(rt: RuntimeHost, ctx: ExecutionContext, cls: unknown, options: unknown, path: string, connector: boolean): Promise<unknown> {
  const named = (c: unknown, base: { toolId?: string; name: string }) =>
    c === base || (c as { toolId?: string }).toolId === base.toolId || (c as { name?: string }).name === base.name;
  const parentPath = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  if (named(cls, Callbacks)) return callbacksTool(rt, ctx, parentPath, undefined);
  if (named(cls, Store)) return storeTool(rt, ctx, parentPath);
  if (named(cls, Tasks)) return tasksTool(rt, ctx, parentPath);
  if (named(cls, Network)) {
    const urls = (options as { urls?: string[] } | undefined)?.urls ?? [];
    ctx.patterns.push(...urls);
    return networkTool(rt, ctx, parentPath);
  }
  if (named(cls, Integrations)) {
    if (!connector) throw new ToolNotAvailableError("Integrations is available to connectors only");
    return integrationsTool(rt, ctx);
  }
  if (named(cls, Options)) {
    const stored = JSON.parse(ctx.instance.options) as Record<string, unknown>;
    return resolveOptions((options ?? {}) as OptionsSchema, stored);
  }
  if (named(cls, Files)) return filesTool();
  if (typeof cls === "function" && cls.prototype instanceof Tool) {
    const tools: Record<string, unknown> = {};
    const shed = makeShed(tools);
    const tool = new (cls as new (id: string, o: unknown, s: ToolShed) => Tool<unknown>)(`${ctx.instance.id}/${path}`, options, shed);
    await resolveBuild(rt, ctx, tool, path, tools, connector);
    return tool;
  }
  const name = (cls as { name?: string })?.name ?? String(cls);
  throw new ToolNotAvailableError(`Tool ${name} is not available in this runtime`);
}
