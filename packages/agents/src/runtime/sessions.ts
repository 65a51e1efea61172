/**
 * Stored resume tokens per chat session and per engine (spec §7.6 "chat sessions"), and per-chat
 * preferences such as the default engine (`/agent set`). In-memory implementations; a transport
 * may persist them (the JSON shapes of takopi's state files are produced by `toJSON`).
 */
import type { EngineId } from "../model.js";

export interface SessionStore {
  get(sessionKey: string, engine: EngineId): string | null;
  set(sessionKey: string, engine: EngineId, value: string): void;
  /** Returns true when something was cleared. */
  clear(sessionKey: string): boolean;
}

export class MemorySessionStore implements SessionStore {
  private readonly chats = new Map<string, Map<EngineId, string>>();
  get(key: string, engine: EngineId): string | null {
    return this.chats.get(key)?.get(engine) ?? null;
  }
  set(key: string, engine: EngineId, value: string): void {
    let m = this.chats.get(key);
    if (!m) this.chats.set(key, (m = new Map()));
    m.set(engine, value);
  }
  clear(key: string): boolean {
    const had = (this.chats.get(key)?.size ?? 0) > 0;
    this.chats.delete(key);
    return had;
  }
  /** takopi `telegram_chat_sessions_state.json` shape. */
  toJSON(cwd: string): unknown {
    const chats: Record<string, unknown> = {};
    for (const [k, m] of this.chats) chats[k] = { sessions: Object.fromEntries([...m].map(([e, v]) => [e, { resume: v }])) };
    return { version: 1, cwd, chats };
  }
}

export interface ChatPrefs {
  defaultEngine(chatKey: string): EngineId | null;
  setDefaultEngine(chatKey: string, engine: EngineId | null): void;
}

export class MemoryChatPrefs implements ChatPrefs {
  private readonly engines = new Map<string, EngineId>();
  defaultEngine(chatKey: string): EngineId | null {
    return this.engines.get(chatKey) ?? null;
  }
  setDefaultEngine(chatKey: string, engine: EngineId | null): void {
    if (engine) this.engines.set(chatKey, engine);
    else this.engines.delete(chatKey);
  }
}
