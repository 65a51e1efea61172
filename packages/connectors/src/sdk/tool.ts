/** `Tool<TSelf>` (§2.3): custom reusable tools with their own Store namespace, callbacks and tasks. */
import { ITool, type ToolBuilder, type ToolShedLike } from "./tool-shed.js";
import type { BuiltinTools, InferTools } from "./twist.js";
import type { Callback } from "./types.js";

export type InferOptions<T> = T extends { constructor: { Options: infer O } } ? O : unknown;

 
type AnyFn = (...args: any[]) => any;

export abstract class Tool<TSelf> implements ITool {
  readonly #toolShed: ToolShedLike;
  constructor(protected id: string, protected options: InferOptions<TSelf>, toolShed: ToolShedLike) {
    this.#toolShed = toolShed;
  }
  protected get tools(): InferTools<TSelf> & BuiltinTools {
    return this.#toolShed.getTools<InferTools<TSelf> & BuiltinTools>();
  }
  build(_build: ToolBuilder): Record<string, Promise<unknown>> {
    return {};
  }
  protected callback(fn: AnyFn, ...extraArgs: unknown[]): Promise<Callback> {
    return this.tools.callbacks.create(fn, ...extraArgs);
  }
  protected deleteCallback(token: Callback): Promise<void> {
    return this.tools.callbacks.delete(token);
  }
  protected deleteAllCallbacks(): Promise<void> {
    return this.tools.callbacks.deleteAll();
  }
  protected run(token: Callback, ...args: unknown[]): Promise<any> {  
    return this.tools.callbacks.run(token, ...args);
  }
  protected get<T = unknown>(key: string): Promise<T | null> {
    return this.tools.store.get<T>(key);
  }
  protected set<T = unknown>(key: string, value: T): Promise<void> {
    return this.tools.store.set(key, value);
  }
  protected list(prefix: string): Promise<string[]> {
    return this.tools.store.list(prefix);
  }
  protected clear(key: string): Promise<void> {
    return this.tools.store.clear(key);
  }
  protected clearAll(): Promise<void> {
    return this.tools.store.clearAll();
  }
  protected runTask(cb: Callback, options?: { runAt?: Date }): Promise<string | void> {
    return this.tools.tasks.runTask(cb, options);
  }
  protected cancelTask(token: string): Promise<void> {
    return this.tools.tasks.cancelTask(token);
  }
  protected cancelAllTasks(): Promise<void> {
    return this.tools.tasks.cancelAllTasks();
  }
  async preActivate(_context?: unknown): Promise<void> {}
  async postActivate(_context?: unknown): Promise<void> {}
  async preUpgrade(): Promise<void> {}
  async postUpgrade(): Promise<void> {}
  async preDeactivate(): Promise<void> {}
  async postDeactivate(): Promise<void> {}
}
