/** In-memory session chat store: the test double of the CLI's chat link. */
import type { SessionChatPort } from "./transport.js";

export interface ChatRecord {
  id: string;
  conversationId: string;
  text: string;
  extra: Record<string, unknown>;
  replyTo: string | null;
  notify: boolean;
  threadId: string | null;
  edits: number;
  removed: boolean;
  /** Every text the message had, oldest first. */
  history: string[];
}

export class MemoryChatPort implements SessionChatPort {
  readonly records: ChatRecord[] = [];
  readonly log: string[] = [];
  private seq = 0;

  async post(msg: Parameters<SessionChatPort["post"]>[0]): Promise<string | null> {
    const id = `m${++this.seq}`;
    this.records.push({ id, ...msg, edits: 0, removed: false, history: [msg.text] });
    this.log.push(`post ${id}`);
    return id;
  }
  async edit(msg: Parameters<SessionChatPort["edit"]>[0]): Promise<boolean> {
    const r = this.find(msg.messageId);
    if (!r || r.removed) return false;
    r.text = msg.text;
    r.extra = msg.extra;
    r.edits++;
    r.history.push(msg.text);
    this.log.push(`edit ${r.id}`);
    return true;
  }
  async remove(msg: Parameters<SessionChatPort["remove"]>[0]): Promise<boolean> {
    const r = this.find(msg.messageId);
    if (!r || r.removed) return false;
    r.removed = true;
    this.log.push(`remove ${r.id}`);
    return true;
  }
  find(id: string): ChatRecord | undefined {
    return this.records.find((r) => r.id === id);
  }
  visible(): ChatRecord[] {
    return this.records.filter((r) => !r.removed);
  }
}
