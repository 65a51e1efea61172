/**
 * scheduleDrain (§3.5): a burst of webhook notifications becomes passes of bounded size, built only
 * on public primitives (callback, coalesced scheduleTask, cancelScheduledTask and the Store).
 */
import type { Callback, Serializable } from "./types.js";

export const DEFAULT_DRAIN_BATCH_SIZE = 20;
export const DEFAULT_DRAIN_DELAY_MS = 10_000;
export const DEFAULT_DRAIN_MAX_ATTEMPTS = 5;

export type DrainResult = { retry?: string[] } | void;
 
export type DrainHandler = (ids: string[], ...handlerArgs: any[]) => Promise<DrainResult> | DrainResult;
export interface DrainOptions {
  ids?: string[];
  batchSize?: number;
  delayMs?: number;
  maxAttempts?: number;
  handlerArgs?: Serializable[];
}
export interface FrozenDrainOptions {
  batchSize: number;
  delayMs: number;
  maxAttempts: number;
  handlerArgs?: Serializable[];
}

/** What the drain needs from its owner (a Twist or a Tool). */
export interface DrainHost {
   
  makeCallback(fn: (...args: any[]) => any, ...args: any[]): Promise<Callback>;
  scheduleTask(key: string, cb: Callback, options: { runAt: Date; coalesce?: boolean }): Promise<string | void>;
  cancelScheduledTask(key: string): Promise<void>;
  get<T>(key: string): Promise<T | null>;
  set<T>(key: string, value: T): Promise<void>;
  setMany<T>(entries: [string, T][]): Promise<void>;
  clear(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  now(): number;
   
  target: any;
}

const idKey = (key: string, id: string) => `__drain__:${key}:${id}`;
const taskKey = (key: string) => `__drain__:${key}`;

function resolveHandler(target: Record<string, unknown>, handler: { name: string }): string {
  const name = handler.name;
  if (!name || name.startsWith("bound ")) throw new TypeError("scheduleDrain: the handler must be a named method of this twist (not an arrow, anonymous or bound function)");
  if (typeof target[name] !== "function") throw new TypeError(`scheduleDrain: ${name} is not a method of this twist`);
  return name;
}

async function schedulePass(host: DrainHost, key: string, handlerName: string, options: FrozenDrainOptions): Promise<void> {
  const wrapper = await host.makeCallback(host.target.__drainBacklog as (...a: unknown[]) => unknown, key, handlerName, options);
  await host.scheduleTask(taskKey(key), wrapper, { runAt: new Date(host.now() + options.delayMs), coalesce: true });
}

export async function scheduleDrain(host: DrainHost, key: string, handler: DrainHandler, options: DrainOptions = {}): Promise<void> {
  const handlerName = resolveHandler(host.target, handler);
  const ids = options.ids ?? [];
  if (ids.length) await host.setMany(ids.map((id) => [idKey(key, id), 0] as [string, number]));
  const frozen: FrozenDrainOptions = {
    batchSize: options.batchSize ?? DEFAULT_DRAIN_BATCH_SIZE,
    delayMs: options.delayMs ?? DEFAULT_DRAIN_DELAY_MS,
    maxAttempts: options.maxAttempts ?? DEFAULT_DRAIN_MAX_ATTEMPTS,
    ...(options.handlerArgs ? { handlerArgs: options.handlerArgs } : {}),
  };
  await schedulePass(host, key, handlerName, frozen);
}

export async function cancelDrain(host: DrainHost, key: string): Promise<void> {
  await host.cancelScheduledTask(taskKey(key));
  for (const k of await host.list(`__drain__:${key}:`)) await host.clear(k);
}

async function bumpAttempt(host: DrainHost, pendingKey: string, maxAttempts: number): Promise<void> {
  const n = ((await host.get<number>(pendingKey)) ?? 0) + 1;
  if (n > maxAttempts) {
    console.warn(`drain: dropping ${pendingKey} after ${maxAttempts} failed attempts`);
    await host.clear(pendingKey);
  } else {
    await host.set(pendingKey, n);
  }
}

export async function drainBacklog(host: DrainHost, key: string, handlerName: string, options: FrozenDrainOptions): Promise<void> {
  const fn = host.target[handlerName] as DrainHandler | undefined;
  if (typeof fn !== "function") throw new Error(`drain ${key}: handler ${handlerName} no longer exists (renamed?)`);
  const prefix = `__drain__:${key}:`;
  const pending = (await host.list(prefix)).sort();
  const batch = pending.slice(0, options.batchSize);
  const ids = batch.map((k) => k.slice(prefix.length));
  let result: DrainResult;
  try {
    result = await fn.call(host.target, ids, ...(options.handlerArgs ?? []));
  } catch (err) {
    for (const k of batch) await bumpAttempt(host, k, options.maxAttempts).catch(() => undefined);
    throw err;
  }
  const retry = (result?.retry ?? []).filter((id) => ids.includes(id));
  for (const id of ids) {
    if (retry.includes(id)) await bumpAttempt(host, idKey(key, id), options.maxAttempts);
    else await host.clear(idKey(key, id));
  }
  if (pending.length > batch.length || retry.length > 0) await schedulePass(host, key, handlerName, options);
}
