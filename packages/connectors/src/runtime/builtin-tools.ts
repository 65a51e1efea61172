/**
 * The built-in tools as one execution sees them (spec §3, §7.2): Callbacks, Store, Tasks, Network,
 * Files and Integrations, each a subclass of the SDK tool bound to the execution's instance, budget
 * and tool path. Every call is charged to the execution's request budget.
 */
import { CallbackNotFoundError, FileNotFoundError, NotImplementedError } from "../sdk/errors.js";
import { checkKey, decode, encode } from "../sdk/serialize.js";
import type { AuthToken, Callback, WebhookRequest } from "../sdk/types.js";
import { Callbacks } from "../tools/callbacks.js";
import { Files } from "../tools/files.js";
import { Integrations } from "../tools/integrations.js";
import { Network, type CreateWebhookOptions } from "../tools/network.js";
import { Store } from "../tools/store.js";
import { Tasks } from "../tools/tasks.js";
import { egressContext } from "./egress.js";
import { charge, invokeByName, resolveTarget, type ExecutionContext } from "./execution.js";
import type { RuntimeHost } from "./host.js";
import { randomToken } from "./ids.js";
import type { SaveContext } from "./inbox.js";

function namespaceOf(ctx: ExecutionContext, toolPath: string): string {
  return toolPath ? `${ctx.instance.id}/${toolPath}` : ctx.instance.id;
}

/**
 * Stores a callback to method `fn` of the target at `targetPath` (`target` when the caller already holds
 * it, e.g. during build()); `kind` is "generic" for Callbacks and "webhook" for Network.createWebhook.
 */
async function createCallback(rt: RuntimeHost, ctx: ExecutionContext, targetPath: string, target: Record<string, unknown> | undefined, fn: unknown, extraArgs: unknown[], kind: string): Promise<Callback> {
  const name = (fn as { name?: string })?.name;
  if (typeof fn !== "function" || !name || name.startsWith("bound ")) {
    throw new TypeError("A callback target must be a named method (not an arrow, anonymous or bound function)");
  }
  const t = target ?? resolveTarget(ctx, targetPath);
  if (typeof t[name] !== "function") throw new TypeError(`${name} is not a method of ${targetPath || ctx.instance.twist_id}`);
  const args = encode(extraArgs, "callback arguments");
  charge(ctx, rt.config.requestBudget);
  return (await rt.storage.callbackCreate({ instance_id: ctx.instance.id, tool_path: targetPath, method_name: name, args, kind })) as Callback;
}

export function callbacksTool(rt: RuntimeHost, ctx: ExecutionContext, toolPath: string, owner: unknown): Callbacks {
  const make = (targetPath: string, fn: unknown, extraArgs: unknown[]): Promise<Callback> =>
    createCallback(rt, ctx, targetPath, targetPath === toolPath && owner ? (owner as Record<string, unknown>) : undefined, fn, extraArgs, "generic");
  const parentPath = toolPath.includes("/") ? toolPath.slice(0, toolPath.lastIndexOf("/")) : "";
  class RuntimeCallbacks extends Callbacks {
    create(fn: (...a: unknown[]) => unknown, ...extraArgs: unknown[]) { return make(toolPath, fn, extraArgs); }
    createFromParent(fn: (...a: unknown[]) => unknown, ...extraArgs: unknown[]) { return make(parentPath, fn, extraArgs); }
    async delete(token: Callback) { charge(ctx, rt.config.requestBudget); await rt.storage.callbackDelete(ctx.instance.id, token); }
    async deleteAll() { charge(ctx, rt.config.requestBudget); await rt.storage.callbackDeleteAll(ctx.instance.id, toolPath); }
    async run<T>(token: Callback, ...args: unknown[]): Promise<T> {
      charge(ctx, rt.config.requestBudget);
      const cb = await rt.storage.callbackGet(token);
      if (!cb || cb.instance_id !== ctx.instance.id) throw new CallbackNotFoundError(`Callback ${token} does not exist for this instance`);
      return (await invokeByName(ctx, cb.tool_path, cb.method_name, [...args, ...(decode(cb.args) as unknown[])])) as T;
    }
  }
  return new RuntimeCallbacks();
}

export function storeTool(rt: RuntimeHost, ctx: ExecutionContext, toolPath: string): Store {
  const ns = namespaceOf(ctx, toolPath);
  const hidden = (prefix: string) => (k: string) => prefix.startsWith("__drain__:") || !k.startsWith("__drain__:");
  class RuntimeStore extends Store {
    async get<T>(key: string): Promise<T | null> {
      charge(ctx, rt.config.requestBudget);
      const v = (await rt.storage.kvGet(ns, [key])).get(key);
      return v === undefined ? null : (decode<T>(v) ?? null);
    }
    async set<T>(key: string, value: T): Promise<void> {
      checkKey(key);
      const v = encode(value, `value of ${key}`);
      charge(ctx, rt.config.requestBudget);
      await rt.storage.kvSet(ns, [[key, v]]);
    }
    async setMany<T>(entries: [string, T][]): Promise<void> {
      // Validate every entry first: either every entry lands or none does.
      const encoded = entries.map(([k, v]) => { checkKey(k); return [k, encode(v, `value of ${k}`)] as [string, string]; });
      charge(ctx, rt.config.requestBudget);
      await rt.storage.kvSet(ns, encoded);
    }
    async getMany<T>(keys: string[]): Promise<(T | null)[]> {
      charge(ctx, rt.config.requestBudget);
      const m = await rt.storage.kvGet(ns, keys);
      return keys.map((k) => { const v = m.get(k); return v === undefined ? null : (decode<T>(v) ?? null); });
    }
    async list(prefix: string): Promise<string[]> {
      charge(ctx, rt.config.requestBudget);
      return (await rt.storage.kvList(ns, prefix, false)).map((r) => r.key).filter(hidden(prefix));
    }
    async listEntries<T>(prefix: string): Promise<[string, T][]> {
      charge(ctx, rt.config.requestBudget);
      return (await rt.storage.kvList(ns, prefix, true)).filter((r) => hidden(prefix)(r.key)).map((r) => [r.key, decode<T>(r.value)] as [string, T]);
    }
    async clear(key: string): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.kvClear(ns, [key]); }
    async clearMany(keys: string[]): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.kvClear(ns, keys); }
    async clearAll(): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.kvClearAll(ns); }
    async acquireLock(key: string, ttlMs: number): Promise<boolean> { charge(ctx, rt.config.requestBudget); return rt.storage.lockAcquire(ns, key, ttlMs); }
    async releaseLock(key: string): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.lockRelease(ns, key); }
  }
  return new RuntimeStore();
}

export function tasksTool(rt: RuntimeHost, ctx: ExecutionContext, toolPath: string): Tasks {
  const id = ctx.instance.id;
  const ownCallback = async (cb: Callback) => {
    const row = await rt.storage.callbackGet(cb);
    if (!row || row.instance_id !== id) throw new CallbackNotFoundError(`Callback ${cb} does not exist for this instance`);
    return row;
  };
  class RuntimeTasks extends Tasks {
    now(): number { return rt.now(); }
    async runTask(cb: Callback, options?: { runAt?: Date }): Promise<string | void> {
      charge(ctx, rt.config.requestBudget);
      await ownCallback(cb);
      const scheduled = options?.runAt !== undefined;
      const cancelToken = scheduled ? randomToken("tk_") : null;
      await rt.storage.taskInsert({ instanceId: id, toolPath, kind: scheduled ? "scheduled" : "immediate", runAt: scheduled ? options!.runAt!.getTime() : rt.now(), callbackToken: cb, maxAttempts: rt.config.maxAttempts, cancelToken });
      rt.wake();
      return cancelToken ?? undefined;
    }
    async cancelTask(token: string): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.taskCancelByToken(id, toolPath, token); }
    async cancelAllTasks(): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.taskCancelAllScheduled(id, toolPath); }
    async scheduleTask(key: string, cb: Callback, options: { runAt: Date; coalesce?: boolean }): Promise<string | void> {
      charge(ctx, rt.config.requestBudget);
      await ownCallback(cb);
      const token = await rt.storage.taskScheduleKeyed({ instanceId: id, toolPath, kind: "keyed", taskKey: key, runAt: options.runAt.getTime(), callbackToken: cb, maxAttempts: rt.config.maxAttempts, cancelToken: randomToken("tk_") }, options.coalesce === true);
      rt.wake();
      return token;
    }
    async cancelScheduledTask(key: string): Promise<void> { charge(ctx, rt.config.requestBudget); await rt.storage.taskCancelByKey(id, toolPath, key); }
    async scheduleRecurring(key: string, cb: Callback, options: { intervalMs: number; firstRunAt?: Date }): Promise<void> {
      charge(ctx, rt.config.requestBudget);
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

export function networkTool(rt: RuntimeHost, ctx: ExecutionContext, toolPath: string): Network {
  class RuntimeNetwork extends Network {
    async createWebhook(options: CreateWebhookOptions, callback: (request: WebhookRequest, ...extra: unknown[]) => unknown, ...extraArgs: unknown[]): Promise<string> {
      if (options.provider || options.pubsub) throw new NotImplementedError("Provider-routed (Slack) and Pub/Sub webhooks are not implemented yet; use URL webhooks");
      const token = await createCallback(rt, ctx, toolPath, undefined, callback, extraArgs, "webhook");
      const row = await rt.storage.webhookCreate({ instance_id: ctx.instance.id, tool_path: toolPath, callback_token: token, async: options.async === false ? 0 : 1 });
      return `${rt.config.hookBaseUrl.replace(/\/+$/, "")}/hook/${row.public_token}`;
    }
    async deleteWebhook(idOrUrl: string): Promise<void> {
      charge(ctx, rt.config.requestBudget);
      const token = idOrUrl.split("/hook/").pop()!.split(/[?#]/)[0]!;
      await rt.storage.webhookDelete(ctx.instance.id, token);
    }
  }
  return new RuntimeNetwork();
}

export function filesTool(): Files {
  class RuntimeFiles extends Files {
    async read(fileId: string): Promise<never> {
      throw new FileNotFoundError(`File ${fileId} not found (note attachments are not stored by this server yet)`);
    }
  }
  return new RuntimeFiles();
}

export function integrationsTool(rt: RuntimeHost, ctx: ExecutionContext): Integrations {
  const save: SaveContext = { instanceId: ctx.instance.id, twistId: ctx.instance.twist_id, ownerUserId: ctx.instance.owner_user_id };
  const provider = () => String((ctx.twist as unknown as { provider?: string }).provider ?? "");
  class RuntimeIntegrations extends Integrations {
    get(channelId: string): Promise<AuthToken | null>;
    get(provider: unknown, channelId: string): Promise<AuthToken | null>;
    async get(a: unknown, b?: string): Promise<AuthToken | null> {
      charge(ctx, rt.config.requestBudget);
      const channelId = b ?? String(a);
      if (!provider()) return null;
      const ch = await rt.storage.channelGet(ctx.instance.id, channelId);
      if (ch && !ch.enabled) return null;
      const userId = ch?.enabled_by_user_id ?? ctx.instance.owner_user_id;
      const token = await egressContext.exit(() => rt.tokens.token({ instance: ctx.instance, userId, provider: provider() }));
      if (!token) await flagReauth(rt, ctx.instance.id, "token missing or could not be refreshed");
      return token;
    }
    async saveLink(link: Parameters<Integrations["saveLink"]>[0]) { charge(ctx, rt.config.requestBudget); return (await rt.inbox.saveLinks(save, [link]))[0] ?? null; }
    async saveLinks(links: Parameters<Integrations["saveLinks"]>[0]) { charge(ctx, rt.config.requestBudget); return rt.inbox.saveLinks(save, links); }
    async saveNote(note: Parameters<Integrations["saveNote"]>[0]) { charge(ctx, rt.config.requestBudget); return (await rt.inbox.saveNotes(save, [note]))[0] ?? null; }
    async saveNotes(notes: Parameters<Integrations["saveNotes"]>[0]) { charge(ctx, rt.config.requestBudget); return rt.inbox.saveNotes(save, notes); }
    async archiveNotes(filter: Parameters<Integrations["archiveNotes"]>[0]) { charge(ctx, rt.config.requestBudget); await rt.inbox.archiveNotes(save, filter); }
    async saveContacts(contacts: Parameters<Integrations["saveContacts"]>[0]) { charge(ctx, rt.config.requestBudget); return rt.inbox.saveContacts(save, contacts); }
    async archiveLinks(filter: Parameters<Integrations["archiveLinks"]>[0]) { charge(ctx, rt.config.requestBudget); await rt.inbox.archiveLinks(save, filter); }
    async setThreadToDo(source: string, actorId: string, todo: boolean, options?: { date?: Date | string }) { charge(ctx, rt.config.requestBudget); await rt.inbox.setThreadToDo(save, source, actorId, todo, options?.date); }
    async channelSyncCompleted(channelId: string) {
      charge(ctx, rt.config.requestBudget);
      const ch = await rt.storage.channelGet(ctx.instance.id, channelId);
      if (!ch) return;
      await rt.storage.channelUpdate(ctx.instance.id, channelId, { syncing_since: null, initial_sync_completed_at: ch.initial_sync_completed_at ?? rt.now() });
    }
    async markNeedsReauth(_channelId: string) { charge(ctx, rt.config.requestBudget); await flagReauth(rt, ctx.instance.id, "connector reported an authorization error"); }
    async saveCustomEmoji(emoji: Parameters<Integrations["saveCustomEmoji"]>[0]) { charge(ctx, rt.config.requestBudget); await rt.inbox.saveCustomEmoji(emoji); }
    async setNoteReactions(thread: { id: string } | { source: string }, key: string, reactions: Parameters<Integrations["setNoteReactions"]>[2]) { charge(ctx, rt.config.requestBudget); await rt.inbox.setNoteReactions(save, thread, key, reactions); }
  }
  return new RuntimeIntegrations();
}

/** Marks the instance as needing re-authorization (once; the first reason stays). */
export async function flagReauth(rt: RuntimeHost, instanceId: string, reason: string): Promise<void> {
  const inst = await rt.storage.instanceGet(instanceId);
  if (inst && inst.needs_reauth_at === null) await rt.storage.instanceUpdate(instanceId, { needs_reauth_at: rt.now(), needs_reauth_reason: reason });
}
