/**
 * The connector runtime (spec §7): executes connector methods by name on a fresh instance per
 * invocation, supplies the tools, runs the persisted task queue and takes webhook deliveries.
 *
 * Storage is `ConnectorStorage` (Kysely; SQLite by default) plus the `Inbox` data plane. The clock
 * and every timer (lease, retry back-off, poll interval, budget wall clock) come from `RuntimeConfig`,
 * so tests drive time by hand and never wait.
 */
import { BudgetExceededError, CallbackNotFoundError, FileNotFoundError, NotImplementedError, ToolNotAvailableError } from "../sdk/errors.js";
import { checkKey, decode, encode } from "../sdk/serialize.js";
import { isConnectorClass } from "../sdk/connector.js";
import { ITool, type ToolShed } from "../sdk/tool-shed.js";
import { Tool } from "../sdk/tool.js";
import { Twist } from "../sdk/twist.js";
import {
  ActorType, type Actor, type Authorization, type AuthToken, type Callback, type Channel, type JSONValue, type Link, type Note,
  type NoteWriteBackResult, type ReactionCapabilities, type SyncContext, type Thread, type WebhookRequest,
} from "../sdk/types.js";
import { Callbacks } from "../tools/callbacks.js";
import { Files } from "../tools/files.js";
import { Integrations } from "../tools/integrations.js";
import { Network, type CreateWebhookOptions } from "../tools/network.js";
import { Options, resolveOptions, type OptionsSchema } from "../tools/options.js";
import { Store } from "../tools/store.js";
import { Tasks } from "../tools/tasks.js";
import { baseFetch, egressContext, installFetchWrapper, isLocalUrl, rewriteUrl, urlAllowed } from "./egress.js";
import { randomToken, systemClock, uuidv7, type Clock } from "./ids.js";
import { Inbox, type SaveContext } from "./inbox.js";
import type { ChannelRow, ConnectorStorage, InstanceRow, TaskRow } from "./storage.js";

 
export type TwistClass = (abstract new (id: string, toolShed: any) => Twist<any>) & { handleReplies?: boolean; isConnector?: boolean };

export interface RuntimeConfig {
  clock: Clock;
  /** Lease of a claimed task; an expired lease is requeued (at-least-once). Default 15 min + 1 min. */
  leaseMs: number;
  /** Delay before attempts 2..n. Default 10 s, 1 min, 5 min, 30 min. */
  retryDelaysMs: number[];
  /** ± fraction of random jitter on retry delays. Default 0.1. */
  retryJitter: number;
  maxAttempts: number;
  /** Request units per execution (§1.5). Default 1,000. */
  requestBudget: number;
  /** Wall clock per execution. Default 15 min. */
  executionTimeoutMs: number;
  /** Outbound request timeout. Default 60 s. */
  fetchTimeoutMs: number;
  /** Concurrent executions of the worker loop. Default 4. */
  concurrency: number;
  /** Longest idle sleep of the worker loop between polls. Default 1 s. */
  pollIntervalMs: number;
  /** Public origin that `/hook/<token>` URLs are minted under. */
  hookBaseUrl: string;
  egressHosts: Record<string, string>;
  /** Allow plain http outbound (development). Default false. */
  allowHttp: boolean;
  /** Webhook deliveries (raw bodies) older than this are deleted at start. Default 7 days. */
  deliveryRetentionMs: number;
}

export const DEFAULT_RUNTIME_CONFIG: Omit<RuntimeConfig, "hookBaseUrl"> = {
  clock: systemClock,
  leaseMs: 16 * 60_000,
  retryDelaysMs: [10_000, 60_000, 300_000, 1_800_000],
  retryJitter: 0.1,
  maxAttempts: 5,
  requestBudget: 1000,
  executionTimeoutMs: 15 * 60_000,
  fetchTimeoutMs: 60_000,
  concurrency: 4,
  pollIntervalMs: 1000,
  egressHosts: {},
  allowHttp: false,
  deliveryRetentionMs: 7 * 86_400_000,
};

/** Supplies OAuth tokens from the server's vault (refreshed ahead of expiry there). */
export interface TokenProvider {
  token(args: { instance: InstanceRow; userId: string; provider: string }): Promise<AuthToken | null>;
}
export interface UserDirectory {
  user(userId: string): Promise<{ name: string | null; email: string | null } | null>;
}

export interface ExecutionRecord {
  instanceId: string;
  method: string;
  trigger: string;
  ok: boolean;
  error?: string;
  requests: number;
  ms: number;
}

interface ExecutionContext {
  id: string;
  instance: InstanceRow;
  requests: number;
  patterns: string[];
  twist?: Twist<unknown>;
  tools?: Record<string, unknown>;
  aborted?: Error;
}

export class Runtime {
  readonly config: RuntimeConfig;
  readonly inbox: Inbox;
  private readonly twists = new Map<string, TwistClass>();
  private running = 0;
  private loopTimer: NodeJS.Timeout | null = null;
  private started = false;
  private inflight = new Set<Promise<void>>();
  private wakeResolve: (() => void) | null = null;
  private wakePending = false;
  readonly executions: ExecutionRecord[] = [];
  /** Keeps the last N execution records for introspection and tests. */
  executionLogLimit = 1000;

  constructor(
    readonly storage: ConnectorStorage,
    config: Partial<RuntimeConfig> & { hookBaseUrl: string },
    private readonly tokens: TokenProvider = { token: async () => null },
    private readonly users: UserDirectory = { user: async () => null },
  ) {
    this.config = { ...DEFAULT_RUNTIME_CONFIG, ...config };
    this.inbox = new Inbox(storage.db, this.config.clock);
    installFetchWrapper();
  }

  private now(): number {
    return this.config.clock.now();
  }

  // ── registry ────────────────────────────────────────────────
  register(twistId: string, cls: TwistClass): void {
    this.twists.set(twistId, cls);
  }
  twistClass(twistId: string): TwistClass {
    const cls = this.twists.get(twistId);
    if (!cls) throw new Error(`Unknown twist ${twistId}`);
    return cls;
  }
  /** A new version became current: dispatch `upgrade()` once per active instance (§1.8). */
  async deploy(twistId: string, cls: TwistClass): Promise<void> {
    this.twists.set(twistId, cls);
    const rows = await this.storage.db.selectFrom("connector_instances").selectAll().where("twist_id", "=", twistId).where("status", "in", ["active", "suspended_auto"]).execute();
    for (const r of rows) {
      if (r.status === "suspended_auto") await this.storage.instanceUpdate(r.id, { status: "active" });
      await this.enqueueLifecycle(r.id, "upgrade", []);
    }
  }
  /** Metadata read off a constructed instance without calling build() (§1.1, §7.2). */
  metadata(twistId: string): Record<string, unknown> {
    const cls = this.twistClass(twistId);
    const inst = new (cls as unknown as new (id: string, s: unknown) => Record<string, unknown>)("introspect", { getTools: () => { throw new Error("no tools during introspection"); } });
    const fields = ["provider", "scopes", "access", "shared", "keyOption", "singleChannel", "channelNoun", "autoEnableNewChannelsByDefault", "fixedChannels", "hiddenChannels", "linkTypes", "reactionCapabilities", "dynamicLinkTypes", "products"];
    const out: Record<string, unknown> = { isConnector: isConnectorClass(cls), handleReplies: cls.handleReplies === true };
    for (const f of fields) if (inst[f] !== undefined) out[f] = inst[f];
    return out;
  }

  // ── executions ──────────────────────────────────────────────
  private charge(ctx: ExecutionContext): void {
    if (ctx.aborted) throw ctx.aborted;
    ctx.requests += 1;
    if (ctx.requests > this.config.requestBudget) {
      ctx.aborted = new BudgetExceededError(`Execution exceeded its budget of ${this.config.requestBudget} requests`);
      throw ctx.aborted;
    }
  }

  private egressFetch(ctx: ExecutionContext) {
    return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      this.charge(ctx);
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const scheme = url.split(":")[0]?.toLowerCase();
      if (!urlAllowed(url, ctx.patterns) || (scheme === "http" && !this.config.allowHttp && !ctx.patterns.includes("*") && !ctx.patterns.some((p) => p.startsWith("http:")))) {
        return new Response(`Outbound request to ${url} is outside this connector's Network allowlist`, { status: 403, headers: { "content-type": "text/plain" } });
      }
      const target = rewriteUrl(url, this.config.egressHosts);
      const timeout = AbortSignal.timeout(this.config.fetchTimeoutMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      const base = baseFetch();
      if (input instanceof Request) return base(new Request(target, input), { ...init, signal });
      return base(target, { ...init, signal });
    };
  }

  /** Constructs a fresh instance, sets userId, resolves build() and the built-ins (§1.1 steps 2–6). */
  private async instantiate(ctx: ExecutionContext): Promise<Twist<unknown>> {
    const cls = this.twistClass(ctx.instance.twist_id);
    const tools: Record<string, unknown> = {};
    const shed = this.makeShed(ctx, "", tools);
    const twist = new (cls as unknown as new (id: string, s: ToolShed) => Twist<unknown>)(ctx.instance.id, shed);
    (twist as unknown as { userId: string }).userId = ctx.instance.owner_user_id;
    ctx.twist = twist;
    ctx.tools = tools;
    await this.resolveBuild(ctx, twist, "", tools, isConnectorClass(cls));
    await twist.waitForReady();
    return twist;
  }

  private makeShed(_ctx: ExecutionContext, _toolPath: string, tools: Record<string, unknown>): ToolShed {
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

  private async resolveBuild(ctx: ExecutionContext, owner: Twist<unknown> | Tool<unknown>, toolPath: string, tools: Record<string, unknown>, connector: boolean): Promise<void> {
    tools.callbacks = this.callbacksTool(ctx, toolPath, owner);
    tools.store = this.storeTool(ctx, toolPath);
    tools.tasks = this.tasksTool(ctx, toolPath);
    const recordings = this.recordingBuilder();
    const declared = owner.build(recordings.builder);
    for (const [name, promise] of Object.entries(declared)) {
      const rec = recordings.map.get(promise as Promise<unknown>);
      if (!rec) {
        tools[name] = await promise;
        continue;
      }
      tools[name] = await this.resolveTool(ctx, rec.cls, rec.options, toolPath ? `${toolPath}/${name}` : name, connector);
    }
  }

  /** build() gets a builder that records (ToolClass, options) and returns placeholders (§7.2). */
  private recordingBuilder(): { builder: ToolShed["build"]; map: Map<Promise<unknown>, { cls: unknown; options: unknown }> } {
    const map = new Map<Promise<unknown>, { cls: unknown; options: unknown }>();
    const builder = ((cls: unknown, options?: unknown) => {
      const p = Promise.resolve(null);
      map.set(p, { cls, options });
      return p;
    }) as ToolShed["build"];
    return { builder, map };
  }

  private async resolveTool(ctx: ExecutionContext, cls: unknown, options: unknown, path: string, connector: boolean): Promise<unknown> {
    const named = (c: unknown, base: { toolId?: string; name: string }) =>
      c === base || (c as { toolId?: string }).toolId === base.toolId || (c as { name?: string }).name === base.name;
    const parentPath = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    if (named(cls, Callbacks)) return this.callbacksTool(ctx, parentPath, undefined);
    if (named(cls, Store)) return this.storeTool(ctx, parentPath);
    if (named(cls, Tasks)) return this.tasksTool(ctx, parentPath);
    if (named(cls, Network)) {
      const urls = (options as { urls?: string[] } | undefined)?.urls ?? [];
      ctx.patterns.push(...urls);
      return this.networkTool(ctx, parentPath);
    }
    if (named(cls, Integrations)) {
      if (!connector) throw new ToolNotAvailableError("Integrations is available to connectors only");
      return this.integrationsTool(ctx);
    }
    if (named(cls, Options)) {
      const stored = JSON.parse(ctx.instance.options) as Record<string, unknown>;
      return resolveOptions((options ?? {}) as OptionsSchema, stored);
    }
    if (named(cls, Files)) return this.filesTool();
    if (typeof cls === "function" && cls.prototype instanceof Tool) {
      const tools: Record<string, unknown> = {};
      const shed = { build: (() => Promise.resolve(null)) as unknown as ToolShed["build"], ready: true, waitForReady: async () => {}, getTools: <T,>() => tools as T };
      const tool = new (cls as new (id: string, o: unknown, s: ToolShed) => Tool<unknown>)(`${ctx.instance.id}/${path}`, options, shed);
      await this.resolveBuild(ctx, tool, path, tools, connector);
      return tool;
    }
    const name = (cls as { name?: string })?.name ?? String(cls);
    throw new ToolNotAvailableError(`Tool ${name} is not available in this runtime`);
  }

  private resolveTarget(ctx: ExecutionContext, toolPath: string): Record<string, unknown> {
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

  private async invokeByName(ctx: ExecutionContext, toolPath: string, method: string, args: unknown[]): Promise<unknown> {
    const target = this.resolveTarget(ctx, toolPath);
    const fn = target[method];
    if (typeof fn !== "function") throw new Error(`Method ${method} does not exist on ${toolPath || ctx.instance.twist_id} (renamed or removed?)`);
    return (fn as (...a: unknown[]) => unknown).apply(target, args);
  }

  /**
   * One execution: fresh instance, fresh budget, egress scope, wall-clock guard. `body` runs with the
   * instance ready. Returns the method's result; throws what it threw.
   */
  async execute<T>(instanceId: string, label: string, trigger: string, body: (ctx: ExecutionContext, twist: Twist<unknown>) => Promise<T>): Promise<T> {
    const instance = await this.storage.instanceGet(instanceId);
    if (!instance) throw new Error(`Unknown connector instance ${instanceId}`);
    const ctx: ExecutionContext = { id: uuidv7(), instance, requests: 0, patterns: [] };
    const started = Date.now();
    const scope = { fetch: this.egressFetch(ctx) };
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await egressContext.run(scope, async () => {
        const twist = await this.instantiate(ctx);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Execution of ${label} exceeded ${this.config.executionTimeoutMs} ms`)), this.config.executionTimeoutMs);
          timer.unref?.();
        });
        return Promise.race([body(ctx, twist), timeout]);
      });
      if (ctx.aborted) throw ctx.aborted;
      this.record({ instanceId, method: label, trigger, ok: true, requests: ctx.requests, ms: Date.now() - started });
      return result;
    } catch (err) {
      const e = ctx.aborted ?? err;
      this.record({ instanceId, method: label, trigger, ok: false, error: (e as Error).message, requests: ctx.requests, ms: Date.now() - started });
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private record(r: ExecutionRecord): void {
    this.executions.push(r);
    if (this.executions.length > this.executionLogLimit) this.executions.splice(0, this.executions.length - this.executionLogLimit);
    if (!r.ok) console.warn(`connector execution ${r.method} (${r.instanceId}) failed: ${r.error}`);
  }

  /** Calls a method by name in its own execution (lifecycle, getChannels, tests). */
  call<T = unknown>(instanceId: string, method: string, args: unknown[], trigger = "lifecycle"): Promise<T> {
    return this.execute(instanceId, method, trigger, (ctx) => this.invokeByName(ctx, "", method, args) as Promise<T>);
  }

  // ── tools ───────────────────────────────────────────────────
  private ns(ctx: ExecutionContext, toolPath: string): string {
    return toolPath ? `${ctx.instance.id}/${toolPath}` : ctx.instance.id;
  }

  private callbacksTool(ctx: ExecutionContext, toolPath: string, owner: unknown): Callbacks {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tool classes below close over the runtime
    const rt = this;
    const make = async (targetPath: string, fn: unknown, extraArgs: unknown[], kind = "generic"): Promise<Callback> => {
      const name = (fn as { name?: string })?.name;
      if (typeof fn !== "function" || !name || name.startsWith("bound ")) {
        throw new TypeError("A callback target must be a named method (not an arrow, anonymous or bound function)");
      }
      const target = targetPath === toolPath && owner ? (owner as Record<string, unknown>) : rt.resolveTarget(ctx, targetPath);
      if (typeof target[name] !== "function") throw new TypeError(`${name} is not a method of ${targetPath || ctx.instance.twist_id}`);
      const args = encode(extraArgs, "callback arguments");
      rt.charge(ctx);
      return (await rt.storage.callbackCreate({ instance_id: ctx.instance.id, tool_path: targetPath, method_name: name, args, kind })) as Callback;
    };
    const parentPath = toolPath.includes("/") ? toolPath.slice(0, toolPath.lastIndexOf("/")) : "";
    class RuntimeCallbacks extends Callbacks {
      create(fn: (...a: unknown[]) => unknown, ...extraArgs: unknown[]) { return make(toolPath, fn, extraArgs); }
      createFromParent(fn: (...a: unknown[]) => unknown, ...extraArgs: unknown[]) { return make(parentPath, fn, extraArgs); }
      async delete(token: Callback) { rt.charge(ctx); await rt.storage.callbackDelete(ctx.instance.id, token); }
      async deleteAll() { rt.charge(ctx); await rt.storage.callbackDeleteAll(ctx.instance.id, toolPath); }
      async run<T>(token: Callback, ...args: unknown[]): Promise<T> {
        rt.charge(ctx);
        const cb = await rt.storage.callbackGet(token);
        if (!cb || cb.instance_id !== ctx.instance.id) throw new CallbackNotFoundError(`Callback ${token} does not exist for this instance`);
        return (await rt.invokeByName(ctx, cb.tool_path, cb.method_name, [...args, ...(decode(cb.args) as unknown[])])) as T;
      }
    }
    return new RuntimeCallbacks();
  }

  private storeTool(ctx: ExecutionContext, toolPath: string): Store {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tool classes below close over the runtime
    const rt = this;
    const ns = this.ns(ctx, toolPath);
    const hidden = (prefix: string) => (k: string) => prefix.startsWith("__drain__:") || !k.startsWith("__drain__:");
    class RuntimeStore extends Store {
      async get<T>(key: string): Promise<T | null> {
        rt.charge(ctx);
        const v = (await rt.storage.kvGet(ns, [key])).get(key);
        return v === undefined ? null : (decode<T>(v) ?? null);
      }
      async set<T>(key: string, value: T): Promise<void> {
        checkKey(key);
        const v = encode(value, `value of ${key}`);
        rt.charge(ctx);
        await rt.storage.kvSet(ns, [[key, v]]);
      }
      async setMany<T>(entries: [string, T][]): Promise<void> {
        // Validate every entry first: either every entry lands or none does.
        const encoded = entries.map(([k, v]) => { checkKey(k); return [k, encode(v, `value of ${k}`)] as [string, string]; });
        rt.charge(ctx);
        await rt.storage.kvSet(ns, encoded);
      }
      async getMany<T>(keys: string[]): Promise<(T | null)[]> {
        rt.charge(ctx);
        const m = await rt.storage.kvGet(ns, keys);
        return keys.map((k) => { const v = m.get(k); return v === undefined ? null : (decode<T>(v) ?? null); });
      }
      async list(prefix: string): Promise<string[]> {
        rt.charge(ctx);
        return (await rt.storage.kvList(ns, prefix, false)).map((r) => r.key).filter(hidden(prefix));
      }
      async listEntries<T>(prefix: string): Promise<[string, T][]> {
        rt.charge(ctx);
        return (await rt.storage.kvList(ns, prefix, true)).filter((r) => hidden(prefix)(r.key)).map((r) => [r.key, decode<T>(r.value)] as [string, T]);
      }
      async clear(key: string): Promise<void> { rt.charge(ctx); await rt.storage.kvClear(ns, [key]); }
      async clearMany(keys: string[]): Promise<void> { rt.charge(ctx); await rt.storage.kvClear(ns, keys); }
      async clearAll(): Promise<void> { rt.charge(ctx); await rt.storage.kvClearAll(ns); }
      async acquireLock(key: string, ttlMs: number): Promise<boolean> { rt.charge(ctx); return rt.storage.lockAcquire(ns, key, ttlMs); }
      async releaseLock(key: string): Promise<void> { rt.charge(ctx); await rt.storage.lockRelease(ns, key); }
    }
    return new RuntimeStore();
  }

  private tasksTool(ctx: ExecutionContext, toolPath: string): Tasks {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tool classes below close over the runtime
    const rt = this;
    const id = ctx.instance.id;
    const ownCallback = async (cb: Callback) => {
      const row = await rt.storage.callbackGet(cb);
      if (!row || row.instance_id !== id) throw new CallbackNotFoundError(`Callback ${cb} does not exist for this instance`);
      return row;
    };
    class RuntimeTasks extends Tasks {
      now(): number { return rt.now(); }
      async runTask(cb: Callback, options?: { runAt?: Date }): Promise<string | void> {
        rt.charge(ctx);
        await ownCallback(cb);
        const scheduled = options?.runAt !== undefined;
        const cancelToken = scheduled ? randomToken("tk_") : null;
        await rt.storage.taskInsert({ instanceId: id, toolPath, kind: scheduled ? "scheduled" : "immediate", runAt: scheduled ? options!.runAt!.getTime() : rt.now(), callbackToken: cb, maxAttempts: rt.config.maxAttempts, cancelToken });
        rt.wake();
        return cancelToken ?? undefined;
      }
      async cancelTask(token: string): Promise<void> { rt.charge(ctx); await rt.storage.taskCancelByToken(id, toolPath, token); }
      async cancelAllTasks(): Promise<void> { rt.charge(ctx); await rt.storage.taskCancelAllScheduled(id, toolPath); }
      async scheduleTask(key: string, cb: Callback, options: { runAt: Date; coalesce?: boolean }): Promise<string | void> {
        rt.charge(ctx);
        await ownCallback(cb);
        const token = await rt.storage.taskScheduleKeyed({ instanceId: id, toolPath, kind: "keyed", taskKey: key, runAt: options.runAt.getTime(), callbackToken: cb, maxAttempts: rt.config.maxAttempts, cancelToken: randomToken("tk_") }, options.coalesce === true);
        rt.wake();
        return token;
      }
      async cancelScheduledTask(key: string): Promise<void> { rt.charge(ctx); await rt.storage.taskCancelByKey(id, toolPath, key); }
      async scheduleRecurring(key: string, cb: Callback, options: { intervalMs: number; firstRunAt?: Date }): Promise<void> {
        rt.charge(ctx);
        await ownCallback(cb);
        if (!(options.intervalMs > 0)) throw new RangeError("scheduleRecurring: intervalMs must be positive");
        const now = rt.now();
        const first = options.firstRunAt === undefined ? now + options.intervalMs : Math.min(Math.max(options.firstRunAt.getTime(), now), now + options.intervalMs);
        await rt.storage.taskScheduleKeyed({ instanceId: id, toolPath, kind: "recurring", taskKey: key, runAt: first, intervalMs: options.intervalMs, callbackToken: cb, maxAttempts: 1, cancelToken: randomToken("tk_") }, false);
        rt.wake();
      }
    }
    return new RuntimeTasks();
  }

  private networkTool(ctx: ExecutionContext, toolPath: string): Network {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tool classes below close over the runtime
    const rt = this;
    class RuntimeNetwork extends Network {
      async createWebhook(options: CreateWebhookOptions, callback: (request: WebhookRequest, ...extra: unknown[]) => unknown, ...extraArgs: unknown[]): Promise<string> {
        if (options.provider || options.pubsub) throw new NotImplementedError("Provider-routed (Slack) and Pub/Sub webhooks are not implemented yet; use URL webhooks");
        const cbTool = rt.callbacksTool(ctx, toolPath, toolPath ? rt.resolveTarget(ctx, toolPath) : ctx.twist);
        const token = await cbTool.create(callback as (...a: unknown[]) => unknown, ...extraArgs);
        await rt.storage.db.updateTable("connector_callbacks").set({ kind: "webhook" }).where("token", "=", token).execute();
        const row = await rt.storage.webhookCreate({ instance_id: ctx.instance.id, tool_path: toolPath, callback_token: token, async: options.async === false ? 0 : 1 });
        return `${rt.config.hookBaseUrl.replace(/\/+$/, "")}/hook/${row.public_token}`;
      }
      async deleteWebhook(idOrUrl: string): Promise<void> {
        rt.charge(ctx);
        const token = idOrUrl.split("/hook/").pop()!.split(/[?#]/)[0]!;
        await rt.storage.webhookDelete(ctx.instance.id, token);
      }
    }
    return new RuntimeNetwork();
  }

  private filesTool(): Files {
    class RuntimeFiles extends Files {
      async read(fileId: string): Promise<never> {
        throw new FileNotFoundError(`File ${fileId} not found (note attachments are not stored by this server yet)`);
      }
    }
    return new RuntimeFiles();
  }

  private integrationsTool(ctx: ExecutionContext): Integrations {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tool classes below close over the runtime
    const rt = this;
    const save: SaveContext = { instanceId: ctx.instance.id, twistId: ctx.instance.twist_id, ownerUserId: ctx.instance.owner_user_id };
    const provider = () => String((ctx.twist as unknown as { provider?: string }).provider ?? "");
    class RuntimeIntegrations extends Integrations {
      get(channelId: string): Promise<AuthToken | null>;
      get(provider: unknown, channelId: string): Promise<AuthToken | null>;
      async get(a: unknown, b?: string): Promise<AuthToken | null> {
        rt.charge(ctx);
        const channelId = b ?? String(a);
        if (!provider()) return null;
        const ch = await rt.storage.channelGet(ctx.instance.id, channelId);
        if (ch && !ch.enabled) return null;
        const userId = ch?.enabled_by_user_id ?? ctx.instance.owner_user_id;
        const token = await egressContext.exit(() => rt.tokens.token({ instance: ctx.instance, userId, provider: provider() }));
        if (!token) await rt.flagReauth(ctx.instance.id, "token missing or could not be refreshed");
        return token;
      }
      async saveLink(link: Parameters<Integrations["saveLink"]>[0]) { rt.charge(ctx); return (await rt.inbox.saveLinks(save, [link]))[0] ?? null; }
      async saveLinks(links: Parameters<Integrations["saveLinks"]>[0]) { rt.charge(ctx); return rt.inbox.saveLinks(save, links); }
      async saveNote(note: Parameters<Integrations["saveNote"]>[0]) { rt.charge(ctx); return (await rt.inbox.saveNotes(save, [note]))[0] ?? null; }
      async saveNotes(notes: Parameters<Integrations["saveNotes"]>[0]) { rt.charge(ctx); return rt.inbox.saveNotes(save, notes); }
      async archiveNotes(filter: Parameters<Integrations["archiveNotes"]>[0]) { rt.charge(ctx); await rt.inbox.archiveNotes(save, filter); }
      async saveContacts(contacts: Parameters<Integrations["saveContacts"]>[0]) { rt.charge(ctx); return rt.inbox.saveContacts(save, contacts); }
      async archiveLinks(filter: Parameters<Integrations["archiveLinks"]>[0]) { rt.charge(ctx); await rt.inbox.archiveLinks(save, filter); }
      async setThreadToDo(source: string, actorId: string, todo: boolean, options?: { date?: Date | string }) { rt.charge(ctx); await rt.inbox.setThreadToDo(save, source, actorId, todo, options?.date); }
      async channelSyncCompleted(channelId: string) {
        rt.charge(ctx);
        const ch = await rt.storage.channelGet(ctx.instance.id, channelId);
        if (!ch) return;
        await rt.storage.channelUpdate(ctx.instance.id, channelId, { syncing_since: null, initial_sync_completed_at: ch.initial_sync_completed_at ?? rt.now() });
      }
      async markNeedsReauth(_channelId: string) { rt.charge(ctx); await rt.flagReauth(ctx.instance.id, "connector reported an authorization error"); }
      async saveCustomEmoji(emoji: Parameters<Integrations["saveCustomEmoji"]>[0]) { rt.charge(ctx); await rt.inbox.saveCustomEmoji(emoji); }
      async setNoteReactions(thread: { id: string } | { source: string }, key: string, reactions: Parameters<Integrations["setNoteReactions"]>[2]) { rt.charge(ctx); await rt.inbox.setNoteReactions(save, thread, key, reactions); }
    }
    return new RuntimeIntegrations();
  }

  private async flagReauth(instanceId: string, reason: string): Promise<void> {
    const inst = await this.storage.instanceGet(instanceId);
    if (inst && inst.needs_reauth_at === null) await this.storage.instanceUpdate(instanceId, { needs_reauth_at: this.now(), needs_reauth_reason: reason });
  }

  // ── queue ───────────────────────────────────────────────────
  private enqueueLifecycle(instanceId: string, method: string, args: unknown[], maxAttempts = this.config.maxAttempts): Promise<string> {
    const id = this.storage.taskInsert({ instanceId, toolPath: "", kind: "lifecycle", runAt: this.now(), methodName: method, args: encode(args, "lifecycle arguments"), maxAttempts });
    this.wake();
    return id;
  }

  private retryDelay(attempts: number): number {
    const d = this.config.retryDelaysMs;
    const base = d[Math.min(attempts - 1, d.length - 1)] ?? 10_000;
    const j = this.config.retryJitter;
    return Math.round(base * (1 + (j ? (Math.random() * 2 - 1) * j : 0)));
  }

  /** Runs one claimed task to completion, then acknowledges, retries or fails it (§7.5). */
  private async runTaskRow(row: TaskRow): Promise<void> {
    try {
      await this.executeTaskRow(row);
      await this.storage.taskComplete(row.id);
    } catch (err) {
      const e = err as Error;
      const budget = e instanceof BudgetExceededError;
      const permanent = e instanceof CallbackNotFoundError || row.kind === "recurring" || row.kind === "dispatch";
      const exhausted = row.attempts >= row.max_attempts || (budget && row.budget_overruns + 1 >= 2);
      if (row.kind === "recurring") await this.storage.taskComplete(row.id);
      else await this.storage.taskFail(row, `${e.name}: ${e.message}`, permanent || exhausted ? null : this.now() + this.retryDelay(row.attempts), budget);
      if (row.kind === "lifecycle" && row.method_name === "onChannelEnabled") {
        const [channel] = decode<[Channel]>(row.args ?? "[]");
        await this.storage.channelUpdate(row.instance_id, channel.id, { syncing_since: null, last_error: e.message.slice(0, 1000) });
      }
    }
  }

  private async executeTaskRow(row: TaskRow): Promise<void> {
    if (row.kind === "webhook") {
      const delivery = row.delivery_id ? await this.storage.deliveryGet(row.delivery_id) : undefined;
      const cb = row.callback_token ? await this.storage.callbackGet(row.callback_token) : undefined;
      if (!delivery || !cb) throw new CallbackNotFoundError("webhook delivery or its callback is gone");
      const request = requestOf(delivery);
      await this.execute(row.instance_id, cb.method_name, "webhook", (ctx) => this.invokeByName(ctx, cb.tool_path, cb.method_name, [request, ...(decode(cb.args) as unknown[])]));
      await this.storage.deliveryDone(delivery.id, "done");
      return;
    }
    if (row.callback_token) {
      const cb = await this.storage.callbackGet(row.callback_token);
      if (!cb) throw new CallbackNotFoundError(`Callback ${row.callback_token} was deleted`);
      await this.execute(row.instance_id, cb.method_name, "task", (ctx) => this.invokeByName(ctx, cb.tool_path, cb.method_name, decode(cb.args) as unknown[]));
      return;
    }
    if (row.kind === "dispatch") return this.runDispatch(row);
    const args = decode<unknown[]>(row.args ?? "[]");
    if (row.method_name === "onChannelEnabled") {
      const [channel] = args as [Channel];
      const ch = await this.storage.channelGet(row.instance_id, channel.id);
      if (!ch?.enabled) return; // disabled again before it ran
      if (ch.syncing_since === null && ch.initial_sync_completed_at === null) await this.storage.channelUpdate(row.instance_id, channel.id, { syncing_since: this.now() });
    }
    await this.call(row.instance_id, row.method_name!, args, row.kind);
  }

  /** Claims and runs due tasks until none is due (tests and benches drive time through the clock). */
  async runDue(opts: { max?: number } = {}): Promise<number> {
    let total = 0;
    const max = opts.max ?? Infinity;
    for (;;) {
      const rows = await this.storage.taskClaim(Math.min(this.config.concurrency, max - total), this.config.leaseMs);
      if (!rows.length) return total;
      await Promise.all(rows.map((r) => this.runTaskRow(r)));
      total += rows.length;
      if (total >= max) return total;
    }
  }

  /** Starts the worker loop: requeues leases of the previous process (single node), then polls. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.storage.taskRequeueLeases();
    await this.storage.deliveryPrune(this.now() - this.config.deliveryRetentionMs);
    void this.loop();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.wake();
    if (this.loopTimer) clearTimeout(this.loopTimer);
    await Promise.allSettled([...this.inflight]);
  }

  /** New work was queued: the loop claims at once instead of finishing its idle sleep. */
  wake(): void {
    const r = this.wakeResolve;
    this.wakeResolve = null;
    if (r) r();
    else this.wakePending = true;
  }

  private async loop(): Promise<void> {
    while (this.started) {
      this.wakePending = false;
      const free = this.config.concurrency - this.running;
      let claimed: TaskRow[] = [];
      if (free > 0) {
        try {
          claimed = await this.storage.taskClaim(free, this.config.leaseMs);
        } catch (err) {
          console.error(`connector queue: claim failed: ${(err as Error).message}`);
        }
      }
      for (const row of claimed) {
        this.running++;
        const p = this.runTaskRow(row).catch((e) => console.error(`connector queue: ${(e as Error).message}`)).finally(() => {
          this.running--;
          this.inflight.delete(p);
          this.wake();
        });
        this.inflight.add(p);
      }
      if (claimed.length > 0 && claimed.length === free) continue;
      const next = await this.storage.taskNextRunAt().catch(() => null);
      // Due work that could not be claimed (a suspended instance, all slots busy) waits for a wake or the poll.
      const wait = next === null || (claimed.length === 0 && next <= this.now()) ? this.config.pollIntervalMs : Math.max(1, Math.min(this.config.pollIntervalMs, next - this.now()));
      if (this.wakePending) continue; // woken while claiming: look again before sleeping
      await new Promise<void>((resolve) => {
        this.wakeResolve = resolve;
        this.loopTimer = setTimeout(resolve, wait);
      });
      if (this.loopTimer) clearTimeout(this.loopTimer);
    }
  }

  /** Resolves when no task is due and nothing runs (tests with the real clock). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const pending = await this.storage.db.selectFrom("connector_tasks").select("id")
        .where((eb) => eb.or([eb.and([eb("status", "=", "pending"), eb("run_at", "<=", this.now())]), eb("status", "=", "leased")])).executeTakeFirst();
      if (!pending && this.running === 0) return;
      if (Date.now() > end) throw new Error("connector queue did not become idle");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ── webhook ingress (§7.6) ──────────────────────────────────
  async handleWebhook(publicToken: string, req: { method: string; headers: Record<string, string | string[] | undefined>; query: Record<string, string>; rawBody: string }): Promise<{ status: number; contentType?: string; body: string }> {
    const hook = await this.storage.webhookByToken(publicToken);
    if (!hook) return { status: 404, contentType: "text/plain", body: "Not found" };
    const instance = await this.storage.instanceGet(hook.instance_id);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
    const row = { webhook_id: hook.id, received_at: this.now(), method: req.method, headers: JSON.stringify(headers), query: JSON.stringify(req.query), raw_body: req.rawBody, status: "queued" };
    if (!instance || instance.status !== "active") {
      await this.storage.deliveryInsert({ ...row, status: "dropped" });
      return { status: 200, contentType: "application/json", body: JSON.stringify({ queued: true }) };
    }
    if (hook.async) {
      const deliveryId = await this.storage.deliveryInsert(row);
      await this.storage.taskInsert({ instanceId: hook.instance_id, toolPath: hook.tool_path, kind: "webhook", runAt: this.now(), callbackToken: hook.callback_token, deliveryId, maxAttempts: this.config.maxAttempts });
      this.wake();
      return { status: 200, contentType: "application/json", body: JSON.stringify({ queued: true }) };
    }
    const cb = await this.storage.callbackGet(hook.callback_token);
    if (!cb) return { status: 404, contentType: "text/plain", body: "Not found" };
    try {
      const request = requestOf(row);
      const result = await this.execute(hook.instance_id, cb.method_name, "webhook", (ctx) => this.invokeByName(ctx, cb.tool_path, cb.method_name, [request, ...(decode(cb.args) as unknown[])]));
      if (result === undefined) return { status: 200, body: "" };
      if (typeof result === "string") return { status: 200, contentType: "text/plain", body: result };
      return { status: 200, contentType: "application/json", body: JSON.stringify(result) };
    } catch {
      return { status: 500, contentType: "text/plain", body: "Webhook handler failed" };
    }
  }

  webhooksReachable(): boolean {
    return !isLocalUrl(this.config.hookBaseUrl);
  }

  // ── connections and channels (§2.9, §7.8) ───────────────────
  /** Connect: create the instance, activate, list channels, persist them, apply the default selection. */
  async connect(args: { twistId: string; ownerUserId: string; authorization?: Authorization | null; actor?: Actor; options?: Record<string, unknown> }): Promise<{ instance: InstanceRow; channels: ChannelRow[] }> {
    const meta = this.metadata(args.twistId);
    if (meta.provider) {
      // An OAuth connector needs the user's provider connection first (the integrations vault).
      const probe = { id: "", twist_id: args.twistId, owner_user_id: args.ownerUserId } as InstanceRow;
      if (!(await this.tokens.token({ instance: probe, userId: args.ownerUserId, provider: String(meta.provider) }))) {
        throw new Error(`No ${String(meta.provider)} connection for this user`);
      }
    }
    const instance = await this.storage.instanceCreate({ twistId: args.twistId, ownerUserId: args.ownerUserId, options: args.options ?? {}, autoEnableNewChannels: meta.autoEnableNewChannelsByDefault === true });
    const actor: Actor = args.actor ?? { id: args.ownerUserId, type: ActorType.User };
    await this.call(instance.id, "activate", [{ ...(args.authorization ? { auth: args.authorization } : {}), actor }]);
    const channels = await this.refreshChannels(instance.id, { authorization: args.authorization ?? null, initial: true });
    return { instance: (await this.storage.instanceGet(instance.id))!, channels };
  }

  private async tokenFor(instance: InstanceRow): Promise<AuthToken | null> {
    const provider = this.metadata(instance.twist_id).provider as string | undefined;
    if (!provider) return null;
    return this.tokens.token({ instance, userId: instance.owner_user_id, provider });
  }

  /** getChannels → channel rows (flattened, parents kept); new channels auto-enabled per preference. */
  async refreshChannels(instanceId: string, opts: { authorization?: Authorization | null; initial?: boolean } = {}): Promise<ChannelRow[]> {
    const instance = (await this.storage.instanceGet(instanceId))!;
    const meta = this.metadata(instance.twist_id);
    const token = await this.tokenFor(instance);
    const auth = opts.authorization ?? (meta.provider ? { provider: meta.provider as Authorization["provider"], scopes: token?.scopes ?? [], actor: { id: instance.owner_user_id, type: ActorType.User } } : null);
    const listed = await this.call<Channel[]>(instanceId, "getChannels", [meta.provider ? auth : null, token]);
    if (meta.singleChannel && listed.length !== 1) throw new Error("A singleChannel connector must return exactly one channel");
    const before = new Map((await this.storage.channelList(instanceId)).map((c) => [c.channel_id, c]));
    const flat: Array<{ c: Channel; parent: string | null }> = [];
    const walk = (cs: Channel[], parent: string | null) => { for (const c of cs) { flat.push({ c, parent }); if (c.children) walk(c.children, c.id); } };
    walk(listed, null);
    await this.storage.channelUpsert(flat.map(({ c, parent }, i) => ({
      instance_id: instanceId, channel_id: c.id, parent_channel_id: parent, title: c.title,
      enabled_by_default: c.enabledByDefault === undefined ? null : c.enabledByDefault ? 1 : 0, link_types: c.linkTypes ? JSON.stringify(c.linkTypes) : null, position: i,
    })));
    const seen = new Set(flat.map((f) => f.c.id));
    for (const [id, row] of before) {
      if (!seen.has(id) && row.removed_at === null) {
        await this.storage.channelUpdate(instanceId, id, { removed_at: this.now() });
        if (row.enabled) await this.disableChannel(instanceId, id);
      }
    }
    for (const { c } of flat) {
      const isNew = !before.has(c.id);
      const auto = meta.singleChannel || (meta.hiddenChannels && c.enabledByDefault !== false) || (!opts.initial && isNew && instance.auto_enable_new_channels === 1);
      if (auto && isNew) await this.enableChannel(instanceId, c.id, instance.owner_user_id);
    }
    if (opts.initial || !instance.account_name) {
      const name = await this.call<string | null>(instanceId, "getAccountName", [auth, token]).catch(() => null);
      if (name) await this.storage.instanceUpdate(instanceId, { account_name: name });
    }
    return this.storage.channelList(instanceId);
  }

  private async channelObject(instanceId: string, channelId: string): Promise<{ row: ChannelRow; channel: Channel }> {
    const row = await this.storage.channelGet(instanceId, channelId);
    if (!row) throw new Error(`Unknown channel ${channelId}`);
    const channel: Channel = { id: row.channel_id, title: row.title };
    if (row.enabled_by_default !== null) channel.enabledByDefault = row.enabled_by_default === 1;
    if (row.link_types) channel.linkTypes = JSON.parse(row.link_types) as Channel["linkTypes"];
    return { row, channel };
  }

  /** Persists the enable synchronously, then queues onChannelEnabled as its own execution (§2.7 Decision). */
  async enableChannel(instanceId: string, channelId: string, userId: string, context: SyncContext = {}): Promise<void> {
    const { channel } = await this.channelObject(instanceId, channelId);
    await this.storage.channelUpdate(instanceId, channelId, { enabled: 1, enabled_by_user_id: userId, syncing_since: this.now(), initial_sync_completed_at: context.recovering ? null : null, last_error: null, observe_only: context.observeOnly ? 1 : 0 });
    await this.enqueueLifecycle(instanceId, "onChannelEnabled", Object.keys(context).length ? [channel, context] : [channel]);
  }

  async disableChannel(instanceId: string, channelId: string): Promise<void> {
    const { channel } = await this.channelObject(instanceId, channelId);
    await this.storage.channelUpdate(instanceId, channelId, { enabled: 0, syncing_since: null });
    await this.enqueueLifecycle(instanceId, "onChannelDisabled", [channel], 1);
  }

  /** After a successful re-auth: clear the flag and recover every enabled channel (§7.7). */
  async reauthorized(instanceId: string): Promise<void> {
    await this.storage.instanceUpdate(instanceId, { needs_reauth_at: null, needs_reauth_reason: null });
    for (const ch of await this.storage.channelList(instanceId)) {
      if (ch.enabled) await this.enableChannel(instanceId, ch.channel_id, ch.enabled_by_user_id ?? (await this.storage.instanceGet(instanceId))!.owner_user_id, { recovering: true });
    }
  }

  async uninstall(instanceId: string): Promise<void> {
    for (const ch of await this.storage.channelList(instanceId)) if (ch.enabled) {
      await this.storage.channelUpdate(instanceId, ch.channel_id, { enabled: 0, syncing_since: null });
      const { channel } = await this.channelObject(instanceId, ch.channel_id);
      await this.call(instanceId, "onChannelDisabled", [channel]).catch(() => undefined);
    }
    await this.call(instanceId, "deactivate", []).catch(() => undefined);
    await this.storage.db.deleteFrom("connector_tasks").where("instance_id", "=", instanceId).execute();
    await this.storage.db.updateTable("connector_webhooks").set({ deleted_at: this.now() }).where("instance_id", "=", instanceId).execute();
    await this.storage.db.deleteFrom("connector_callbacks").where("instance_id", "=", instanceId).execute();
    await this.storage.instanceUpdate(instanceId, { status: "deactivated" });
  }

  async suspend(instanceId: string, manual: boolean): Promise<void> {
    await this.storage.instanceUpdate(instanceId, { status: manual ? "suspended_manual" : "suspended_auto" });
  }
  async unsuspend(instanceId: string): Promise<void> {
    await this.storage.instanceUpdate(instanceId, { status: "active" });
    this.wake();
  }

  // ── write-back dispatch (§7.10) ─────────────────────────────
  /** The acting user's instance of the connector that owns the link, or null (nothing dispatched). */
  private async actingInstance(userId: string, twistId: string): Promise<InstanceRow | null> {
    const own = (await this.storage.instancesOf(userId)).filter((i) => i.twist_id === twistId && i.status === "active");
    return own[0] ?? null;
  }

  private async enqueueDispatch(instanceId: string, hook: string, payload: Record<string, unknown>): Promise<void> {
    await this.storage.taskInsert({ instanceId, toolPath: "", kind: "dispatch", runAt: this.now(), methodName: hook, args: encode(payload, "dispatch"), maxAttempts: 1 });
    this.wake();
  }

  /** A person created a note in taiku. Returns true when a write-back was queued. */
  async noteCreated(userId: string, noteId: string): Promise<boolean> {
    const note = await this.inbox.noteById(noteId);
    if (!note || note.created_by_instance_id !== null || !note.link_id) return false;
    const link = await this.inbox.linkById(note.link_id);
    if (!link) return false;
    const cls = this.twists.get(link.twist_id);
    if (!cls || cls.handleReplies !== true) return false;
    const inst = await this.actingInstance(userId, link.twist_id);
    if (!inst) return false;
    await this.enqueueDispatch(inst.id, "onNoteCreated", { noteId, linkId: link.id, userId });
    return true;
  }

  async noteUpdated(userId: string, noteId: string): Promise<boolean> {
    const note = await this.inbox.noteById(noteId);
    if (!note || note.created_by_instance_id !== null || note.author_user_id !== userId || !note.link_id) return false;
    const link = await this.inbox.linkById(note.link_id);
    const cls = link ? this.twists.get(link.twist_id) : undefined;
    if (!link || cls?.handleReplies !== true) return false;
    const inst = await this.actingInstance(userId, link.twist_id);
    if (!inst) return false;
    await this.enqueueDispatch(inst.id, "onNoteUpdated", { noteId, linkId: link.id, userId });
    return true;
  }

  async linkUpdated(userId: string, linkId: string): Promise<boolean> {
    const link = await this.inbox.linkById(linkId);
    if (!link || link.updated_by_kind === "instance") return false; // echo: the connector's own sync wrote it
    const inst = await this.actingInstance(userId, link.twist_id);
    if (!inst) return false;
    await this.enqueueDispatch(inst.id, "onLinkUpdated", { linkId, userId });
    return true;
  }

  async threadRead(userId: string, threadId: string, unread: boolean): Promise<boolean> {
    return this.threadHook(userId, threadId, "onThreadRead", { unread });
  }
  async threadToDo(userId: string, threadId: string, todo: boolean, date: string | null): Promise<boolean> {
    return this.threadHook(userId, threadId, "onThreadToDo", { todo, date });
  }
  private async threadHook(userId: string, threadId: string, hook: string, extra: Record<string, unknown>): Promise<boolean> {
    const t = await this.inbox.getThread(threadId);
    const link = t?.links[0];
    if (!link) return false;
    const inst = await this.actingInstance(userId, link.twist_id);
    if (!inst) return false;
    const state = await this.storage.db.selectFrom("inbox_thread_state").selectAll().where("thread_id", "=", threadId).where("user_id", "=", userId).executeTakeFirst();
    const source = hook === "onThreadRead" ? state?.read_source : state?.todo_source;
    if (source === inst.id) return false;
    await this.enqueueDispatch(inst.id, hook, { linkId: link.id, userId, ...extra });
    return true;
  }

  /**
   * A person added or removed a reaction (§2.10): one dispatch of `onNoteReactionChanged` to the reacting
   * user's instance of the connector that owns the note's link, when `reactionCapabilities` accepts the
   * emoji. `source` is the instance that wrote the transition (null for a person): a reaction written by
   * that instance's own sync is an echo and is not dispatched back.
   */
  async noteReactionChanged(userId: string, noteId: string, emoji: string, added: boolean, source: string | null = null): Promise<boolean> {
    const note = await this.inbox.noteById(noteId);
    const link = note?.link_id ? await this.inbox.linkById(note.link_id) : undefined;
    if (!note || !link || !this.twists.has(link.twist_id)) return false;
    if (!reactionAllowed(this.metadata(link.twist_id).reactionCapabilities as ReactionCapabilities | undefined, emoji)) return false;
    const inst = await this.actingInstance(userId, link.twist_id);
    if (!inst || source === inst.id) return false;
    await this.enqueueDispatch(inst.id, "onNoteReactionChanged", { noteId, linkId: link.id, userId, emoji, added });
    return true;
  }

  private async actorOf(userId: string): Promise<Actor> {
    const u = await this.users.user(userId).catch(() => null);
    return { id: userId, type: ActorType.User, email: u?.email ?? null, name: u?.name ?? null };
  }

  private async linkObject(linkId: string): Promise<{ link: Link; thread: Thread } | null> {
    const l = await this.inbox.linkById(linkId);
    if (!l) return null;
    const t = await this.storage.db.selectFrom("inbox_threads").selectAll().where("id", "=", l.thread_id).executeTakeFirst();
    const sources = await this.inbox.sourcesOf(l.id);
    const meta = (l.meta ? JSON.parse(l.meta) : {}) as Record<string, JSONValue>;
    const link: Link = {
      threadId: l.thread_id, source: sources[0] ?? l.primary_source, sources, created: new Date(Number(l.created_at)), author: null, title: l.title, preview: l.preview,
      assignee: null, type: l.type, status: l.status, actions: l.actions ? decode(l.actions) : null, meta, sourceUrl: l.source_url, channelId: l.channel_id, priority: l.priority,
    };
    const thread: Thread = {
      id: l.thread_id, created: new Date(Number(t?.created_at ?? l.created_at)), archived: t?.archived === 1, tags: {}, reactions: {}, title: t?.title ?? l.title,
      meta: { ...meta, channelId: l.channel_id },
    };
    return { link, thread };
  }

  private async runDispatch(row: TaskRow): Promise<void> {
    const p = decode<{ noteId?: string; linkId: string; userId: string; unread?: boolean; todo?: boolean; date?: string | null; emoji?: string; added?: boolean }>(row.args ?? "{}");
    const hook = row.method_name!;
    const lt = await this.linkObject(p.linkId);
    if (!lt) return;
    const actor = await this.actorOf(p.userId);
    if (hook === "onNoteCreated" || hook === "onNoteUpdated") {
      const n = await this.inbox.noteById(p.noteId!);
      if (!n) return;
      const thread = { ...lt.thread, meta: { ...lt.thread.meta } };
      if (n.re_note_id) {
        const re = await this.inbox.noteById(n.re_note_id);
        if (re?.key) thread.meta!.reNoteKey = re.key;
      }
      const note: Note = {
        id: n.id, created: new Date(Number(n.created_at)), archived: n.archived === 1, tags: {}, reactions: {}, author: actor, key: n.key, thread,
        content: n.content, actions: n.actions ? decode(n.actions) : null, reNote: n.re_note_id ? { id: n.re_note_id } : null, mentions: [], accessContacts: null,
      };
      try {
        const result = await this.call<string | NoteWriteBackResult | void>(row.instance_id, hook, [note, thread], "dispatch");
        await this.inbox.applyNoteResult(n.id, result, hook === "onNoteUpdated");
      } catch (err) {
        await this.inbox.setDeliveryError(n.id, "send_failed", "Failed to send");
        throw err;
      }
      return;
    }
    if (hook === "onNoteReactionChanged") {
      const n = await this.inbox.noteById(p.noteId!);
      if (!n) return;
      // Partial note and thread, as the spec says (§3.x onNoteReactionChanged).
      const note = { id: n.id, key: n.key, content: n.content } as Note;
      return void (await this.call(row.instance_id, hook, [note, lt.thread, actor, p.emoji!, p.added === true], "dispatch"));
    }
    if (hook === "onLinkUpdated") return void (await this.call(row.instance_id, hook, [lt.link], "dispatch"));
    if (hook === "onThreadRead") return void (await this.call(row.instance_id, hook, [lt.thread, actor, p.unread === true], "dispatch"));
    if (hook === "onThreadToDo") return void (await this.call(row.instance_id, hook, [lt.thread, actor, p.todo === true, p.date ? { date: new Date(p.date) } : {}], "dispatch"));
    throw new Error(`Unknown dispatch hook ${hook}`);
  }
}

function requestOf(d: { method: string; headers: string; query: string; raw_body: string }): WebhookRequest {
  const headers = JSON.parse(d.headers) as Record<string, string>;
  const ct = headers["content-type"] ?? "";
  let body: JSONValue = d.raw_body;
  if (ct.includes("application/x-www-form-urlencoded")) body = Object.fromEntries(new URLSearchParams(d.raw_body));
  else {
    try { body = JSON.parse(d.raw_body) as JSONValue; } catch { body = d.raw_body; }
  }
  return { method: d.method, headers, params: JSON.parse(d.query) as Record<string, string>, body, rawBody: d.raw_body };
}

export { ITool };

/** Whether a connector's `reactionCapabilities` accepts an emoji (§4.9); undefined means no reactions. */
export function reactionAllowed(caps: ReactionCapabilities | undefined, emoji: string): boolean {
  if (!caps) return false;
  if (caps.mode === "fixed") return caps.allowed.includes(emoji);
  if (caps.mode === "unicode-subset") return caps.subset ? caps.subset.includes(emoji) : !emoji.includes(":");
  return !emoji.includes(":") || caps.customEmoji === "workspace";
}
