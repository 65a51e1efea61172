import type { Callback } from "../sdk/types.js";
import { ITool } from "../sdk/tool-shed.js";

/** Persistent references to a method by name plus curried, serialisable arguments (§3.1). */
export abstract class Callbacks extends ITool {
  static readonly toolId = "Callbacks";
   
  abstract create(fn: (...args: any[]) => any, ...extraArgs: any[]): Promise<Callback>;
   
  abstract createFromParent(fn: (...args: any[]) => any, ...extraArgs: any[]): Promise<Callback>;
  abstract delete(token: Callback): Promise<void>;
  abstract deleteAll(): Promise<void>;
   
  abstract run<T = unknown>(token: Callback, ...args: any[]): Promise<T>;
}
