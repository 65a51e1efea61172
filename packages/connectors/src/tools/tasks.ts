import type { Callback } from "../sdk/types.js";
import { ITool } from "../sdk/tool-shed.js";

/** A task runs a callback token in a new execution with a fresh budget (§3.3). */
export abstract class Tasks extends ITool {
  static readonly toolId = "Tasks";
  abstract runTask(cb: Callback, options?: { runAt?: Date }): Promise<string | void>;
  abstract cancelTask(token: string): Promise<void>;
  abstract cancelAllTasks(): Promise<void>;
  abstract scheduleTask(key: string, cb: Callback, options: { runAt: Date; coalesce?: boolean }): Promise<string | void>;
  abstract cancelScheduledTask(key: string): Promise<void>;
  abstract scheduleRecurring(key: string, cb: Callback, options: { intervalMs: number; firstRunAt?: Date }): Promise<void>;
}
