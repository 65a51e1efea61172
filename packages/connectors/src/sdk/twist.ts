/**
 * `Twist<TSelf>` (§2.2): the unit that gets deployed. Every member of seed 003 plus the HEAD
 * additions. Convenience methods delegate to the built-in tools (the ones it shares with `Tool` live
 * in tool-access.ts); state lives only in the Store.
 */
import { cancelDrain, drainBacklog, scheduleDrain, type DrainHandler, type DrainHost, type DrainOptions, type FrozenDrainOptions } from "./drain.js";
import { ToolAccess } from "./tool-access.js";
import type { ITool, ToolBuilder, ToolShedLike } from "./tool-shed.js";
import type { Action, ActorId, Callback, Link, Note, NoteWriteBackResult, Thread, Actor, Tag, Uuid } from "./types.js";

export type { BuiltinTools, InferTools } from "./tool-access.js";

/** Clock used by drains; the runtime swaps in its injectable clock. */
export const sdkClock = { now: (): number => Date.now() };

export abstract class Twist<TSelf> extends ToolAccess<TSelf> {
  static readonly multipleInstances?: boolean;
  /** The installing user's id; set by the runtime before any lifecycle method runs. */
  protected userId!: Uuid;
  readonly #toolShed: ToolShedLike;

  constructor(protected id: Uuid, toolShed: ToolShedLike) {
    super(toolShed);
    this.#toolShed = toolShed;
  }

  /** Declares tool dependencies: a record of `build(ToolClass, options)` promises. */
  abstract build(build: ToolBuilder): Record<string, Promise<ITool | unknown>>;

  /** Internal: the entry point awaits it before dispatching. */
  async waitForReady(): Promise<void> {
    await this.#toolShed.waitForReady?.();
  }

  // `tools`, callback, deleteCallback, deleteAllCallbacks, run, get, set, clear, clearAll, runTask,
  // cancelTask and cancelAllTasks come from ToolAccess (shared with Tool); below are Twist's own.

  // ── callbacks ───────────────────────────────────────────────
  /** Like callback(), for an Action: the method receives the clicked action first. */
  protected async actionCallback(fn: (action: Action, ...extra: any[]) => any, ...extraArgs: unknown[]): Promise<Callback> {  
    return this.tools.callbacks.create(fn, ...extraArgs);
  }

  // ── store ───────────────────────────────────────────────────
  protected setMany<T = unknown>(entries: [key: string, value: T][]): Promise<void> {
    return this.tools.store.setMany<T>(entries);
  }
  protected getMany<T = unknown>(keys: string[]): Promise<(T | null)[]> {
    return this.tools.store.getMany<T>(keys);
  }
  protected listEntries<T = unknown>(prefix: string): Promise<[key: string, value: T][]> {
    return this.tools.store.listEntries<T>(prefix);
  }
  protected clearMany(keys: string[]): Promise<void> {
    return this.tools.store.clearMany(keys);
  }

  // ── tasks ───────────────────────────────────────────────────
  protected scheduleTask(key: string, cb: Callback, options: { runAt: Date; coalesce?: boolean }): Promise<string | void> {
    return this.tools.tasks.scheduleTask(key, cb, options);
  }
  protected cancelScheduledTask(key: string): Promise<void> {
    return this.tools.tasks.cancelScheduledTask(key);
  }
  protected scheduleRecurring(key: string, cb: Callback, options: { intervalMs: number; firstRunAt?: Date }): Promise<void> {
    return this.tools.tasks.scheduleRecurring(key, cb, options);
  }

  // ── drains (§3.5) ───────────────────────────────────────────
  #drainHost(): DrainHost {
    const tools = this.tools;
    return {
      makeCallback: (fn, ...args) => tools.callbacks.create(fn, ...args),
      scheduleTask: (k, cb, o) => tools.tasks.scheduleTask(k, cb, o),
      cancelScheduledTask: (k) => tools.tasks.cancelScheduledTask(k),
      get: (k) => tools.store.get(k),
      set: (k, v) => tools.store.set(k, v),
      setMany: (e) => tools.store.setMany(e),
      clear: (k) => tools.store.clear(k),
      list: (p) => tools.store.list(p),
      // The runtime's Tasks tool exposes its (injectable) clock; fakes fall back to the wall clock.
      now: () => (tools.tasks as unknown as { now?: () => number }).now?.() ?? sdkClock.now(),
      target: this,
    };
  }
  protected scheduleDrain(key: string, handler: DrainHandler, options?: DrainOptions): Promise<void> {
    return scheduleDrain(this.#drainHost(), key, handler, options);
  }
  protected cancelDrain(key: string): Promise<void> {
    return cancelDrain(this.#drainHost(), key);
  }
  /** Public only so the task runtime can dispatch to it by name. Do not call or override. */
  async __drainBacklog(key: string, handlerName: string, options: FrozenDrainOptions): Promise<void> {
    return drainBacklog(this.#drainHost(), key, handlerName, options);
  }

  // ── lifecycle hooks (default no-ops) ────────────────────────
  async activate(_context?: { actor: Actor }): Promise<void> {}
  async upgrade(): Promise<void> {}
  async onOptionsChanged(_oldOptions: Record<string, any>, _newOptions: Record<string, any>): Promise<void> {}  
  async deactivate(): Promise<void> {}
  async onThreadUpdated(_thread: Thread, _changes: { tagsAdded: Partial<Record<Tag, ActorId[]>>; tagsRemoved: Partial<Record<Tag, ActorId[]>> }): Promise<void> {}
  async onNoteCreated(_note: Note, ..._args: any[]): Promise<string | NoteWriteBackResult | void> {}  
  async onLinkCreated(_link: Link, _notes: Note[]): Promise<void> {}
  async onLinkUpdated(_link: Link, _notes?: Note[]): Promise<void> {}
  async onLinkNoteCreated(_note: Note, _link: Link): Promise<void> {}
}
