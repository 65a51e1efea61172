import { ITool } from "../sdk/tool-shed.js";

/** Private key-value namespace per instance (or tool), SuperJSON values, TTL locks (§3.2). */
export abstract class Store extends ITool {
  static readonly toolId = "Store";
  abstract get<T = unknown>(key: string): Promise<T | null>;
  abstract set<T = unknown>(key: string, value: T): Promise<void>;
  abstract setMany<T = unknown>(entries: [key: string, value: T][]): Promise<void>;
  abstract getMany<T = unknown>(keys: string[]): Promise<(T | null)[]>;
  abstract list(prefix: string): Promise<string[]>;
  abstract listEntries<T = unknown>(prefix: string): Promise<[key: string, value: T][]>;
  abstract clear(key: string): Promise<void>;
  abstract clearMany(keys: string[]): Promise<void>;
  abstract clearAll(): Promise<void>;
  abstract acquireLock(key: string, ttlMs: number): Promise<boolean>;
  abstract releaseLock(key: string): Promise<void>;
}
