/** The session chat as the CLI sees it: the last `capacity` messages, edits applied by id. */
import type { CliDownMsg } from "@taiku/protocol";

export type ChatMessage = Omit<CliDownMsg<"chat">, "t">;

export class ChatLog {
  private readonly messages: ChatMessage[] = [];

  constructor(private readonly capacity: number) {}

  add(msg: CliDownMsg<"chat">): void {
    const { t: _t, ...m } = msg;
    const existing = this.messages.findIndex((x) => x.id === m.id);
    if (existing >= 0) this.messages[existing] = m;
    else this.messages.push(m);
    while (this.messages.length > this.capacity) this.messages.shift();
  }

  last(): ChatMessage | undefined {
    return this.messages[this.messages.length - 1];
  }

  all(): readonly ChatMessage[] {
    return this.messages;
  }
}
