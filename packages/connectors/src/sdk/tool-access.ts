/**
 * The part `Twist<TSelf>` (§2.2) and `Tool<TSelf>` (§2.3) share: a private tool shed read lazily
 * through `getTools()` (§2.1), and the convenience methods both classes expose, each delegating to a
 * built-in tool. Internal to the SDK: authors extend `Twist`, `Connector` or `Tool`, never this.
 */
import type { Callbacks } from "../tools/callbacks.js";
import type { Store } from "../tools/store.js";
import type { Tasks } from "../tools/tasks.js";
import type { ToolBuilder, ToolShedLike } from "./tool-shed.js";
import type { Callback } from "./types.js";

export type BuiltinTools = { callbacks: Callbacks; store: Store; tasks: Tasks };

/** The resolved values of `build()`'s promises, intersected with the built-ins (§2.1). */
export type InferTools<TSelf> = TSelf extends { build(b: ToolBuilder): infer R }
  ? { [K in keyof R]: Awaited<R[K]> } & BuiltinTools
  : BuiltinTools;

export type AnyFn = (...args: any[]) => any;

export abstract class ToolAccess<TSelf> {
  readonly #toolShed: ToolShedLike;

  constructor(toolShed: ToolShedLike) {
    this.#toolShed = toolShed;
  }

  /** The initialized tools. Throws before the tool shed is ready. */
  protected get tools(): InferTools<TSelf> {
    return this.#toolShed.getTools<InferTools<TSelf>>();
  }

  // ── callbacks (§3.1) ────────────────────────────────────────
  /** Creates a persistent callback to a method on this object; extra args must be serializable. */
  protected async callback(fn: AnyFn, ...extraArgs: unknown[]): Promise<Callback> {
    return this.tools.callbacks.create(fn, ...extraArgs);
  }
  protected async deleteCallback(token: Callback): Promise<void> {
    await this.tools.callbacks.delete(token);
  }
  protected async deleteAllCallbacks(): Promise<void> {
    await this.tools.callbacks.deleteAll();
  }
  /** Executes a callback inline, sharing this execution's budget; returns its result. */
  protected async run(token: Callback, ...args: unknown[]): Promise<any> {
    return this.tools.callbacks.run(token, ...args);
  }

  // ── store (§3.2) ────────────────────────────────────────────
  protected get<T = unknown>(key: string): Promise<T | null> {
    return this.tools.store.get<T>(key);
  }
  protected set<T = unknown>(key: string, value: T): Promise<void> {
    return this.tools.store.set<T>(key, value);
  }
  protected clear(key: string): Promise<void> {
    return this.tools.store.clear(key);
  }
  protected clearAll(): Promise<void> {
    return this.tools.store.clearAll();
  }

  // ── tasks (§3.3) ────────────────────────────────────────────
  /** Queues a callback in a new execution; returns a cancellation token only with `runAt`. */
  protected runTask(cb: Callback, options?: { runAt?: Date }): Promise<string | void> {
    return this.tools.tasks.runTask(cb, options);
  }
  protected cancelTask(token: string): Promise<void> {
    return this.tools.tasks.cancelTask(token);
  }
  protected cancelAllTasks(): Promise<void> {
    return this.tools.tasks.cancelAllTasks();
  }
}
