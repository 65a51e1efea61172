/** One authenticated (or authenticating) browser connection: a "user" of §2.2 with its presence. */
import { WebSocket } from "ws";
import { encodeCbor, encodeChunksParts, type LayoutMeta, type Role, type SeqFrame, type ServerMessage, type User } from "@taiku/protocol";
import { RateWindow } from "./chat.js";
import type { FlowPeer, Subscription } from "./flow.js";

/** The socket under a WebSocket: corked, its writes leave in one `writev`. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export class Peer implements FlowPeer {
  authed = false;
  role: Role = "reader";
  name: string;
  device = "Web";
  accountId: string | null = null;
  focus: number | null = null;
  cursor: { shellId: number; x: number; y: number } | null = null;
  layout: LayoutMeta | undefined;
  acks = false;
  readonly subs = new Map<number, Subscription>();
  /** Shells whose buffered agent frames this viewer already received. */
  readonly agentSent = new Set<number>();
  readonly chatRate: RateWindow;
  focusLockedAt = -Infinity;
  malformed = 0;
  cursorAt = -Infinity;
  cursorTimer: NodeJS.Timeout | null = null;
  /** Ordinal of the last meaningful message (remote-command targeting, §13.3); set on authentication too. */
  activeAt = 0;

  constructor(
    readonly userId: number,
    readonly ws: WebSocket,
    readonly ip: string,
    chatRateCount: number,
    chatRateWindowMs: number,
    private readonly socket?: Corkable,
  ) {
    this.name = `Guest ${userId}`;
    this.chatRate = new RateWindow(chatRateCount, chatRateWindowMs);
  }

  get canWrite(): boolean {
    return this.role !== "reader";
  }

  send(msg: ServerMessage): void {
    this.sendRaw(encodeCbor(msg));
  }

  /**
   * Terminal output: one `chunks` message sent as WebSocket fragments (RFC 6455 §5.4), heads and the
   * ring's ciphertext as they are (chunks-message.ts), with no copy into a message buffer. All fragments
   * are sent in this one synchronous call, so no other message can land between them.
   */
  sendChunks(shellId: number, frames: readonly SeqFrame[]): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const parts = encodeChunksParts(shellId, frames);
    this.socket?.cork();
    try {
      const last = parts.length - 1;
      for (let i = 0; i <= last; i++) this.ws.send(parts[i]!, { binary: true, fin: i === last });
    } finally {
      this.socket?.uncork();
    }
  }

  sendRaw(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  view(): User {
    return {
      name: this.name, device: this.device, role: this.role, canWrite: this.canWrite,
      focus: this.focus, cursor: this.cursor, ...(this.layout ? { layout: this.layout } : {}),
    };
  }
}
