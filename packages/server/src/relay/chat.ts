/**
 * Session chat (§3.9 + Decisions): a ring of the last N messages with monotonic ids; authors may edit
 * their own messages. The CLI host posts as userId 0 with role "host" and is exempt from the rate limit.
 */
import type { ChatTuple } from "@taiku/protocol";

export type ChatRole = "reader" | "writer" | "admin" | "host";

export interface ChatEntry {
  id: number;
  userId: number;
  name: string;
  role: ChatRole;
  message: string;
  ts: number;
  editedAt?: number;
}

export class ChatLog {
  entries: ChatEntry[] = [];
  nextId = 1;

  constructor(private readonly ring: number) {}

  post(e: Omit<ChatEntry, "id">): ChatEntry {
    const entry: ChatEntry = { ...e, id: this.nextId++ };
    this.entries.push(entry);
    if (this.entries.length > this.ring) this.entries.splice(0, this.entries.length - this.ring);
    return entry;
  }

  find(id: number): ChatEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  history(): ChatTuple[] {
    return this.entries.map((e) => [e.userId, e.name, e.message, e.ts, e.id]);
  }
}

/** Sliding-window limiter: `count` messages per `windowMs` per sender. */
export class RateWindow {
  private times: number[] = [];

  constructor(
    private readonly count: number,
    private readonly windowMs: number,
  ) {}

  take(now: number): boolean {
    this.times = this.times.filter((t) => now - t < this.windowMs);
    if (this.times.length >= this.count) return false;
    this.times.push(now);
    return true;
  }
}
