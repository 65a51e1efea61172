/** Transport-facing protocol types (seed 002 "Transport backends", spec §1.4.3 and §1.4.6). */
import type { RunContext } from "../model.js";
import type { ProgressState } from "./progress.js";

export type ChannelId = number | string;
export type MessageId = number | string;
export type ThreadId = number | string;

export interface MessageRef {
  readonly channelId: ChannelId;
  readonly messageId: MessageId;
  readonly raw?: unknown;
  readonly threadId?: ThreadId | null;
  readonly senderId?: number | string | null;
}

/** Identity of a message is (channelId, messageId) only. */
export function refKey(ref: Pick<MessageRef, "channelId" | "messageId">): string {
  return `${ref.channelId}:${ref.messageId}`;
}

export function sameRef(a: MessageRef | null | undefined, b: MessageRef | null | undefined): boolean {
  return !!a && !!b && refKey(a) === refKey(b);
}

export interface RenderedMessage {
  readonly text: string;
  /** Transport data: Telegram entities / reply_markup, `followups` (split overflow), a structured progress copy… */
  readonly extra: Record<string, unknown>;
}

export interface SendOptions {
  replyTo?: MessageRef | null;
  /** Default true. */
  notify?: boolean;
  /** Send, then delete this message if (and only if) the send succeeded. */
  replace?: MessageRef | null;
  threadId?: ThreadId | null;
}

export interface Transport {
  /** null = failed. */
  send(opts: { channelId: ChannelId; message: RenderedMessage; options?: SendOptions }): Promise<MessageRef | null>;
  /** wait=false is fire-and-forget and returns `ref` when the write was accepted. */
  edit(opts: { ref: MessageRef; message: RenderedMessage; wait?: boolean }): Promise<MessageRef | null>;
  /**
   * Optional: resolves when a fire-and-forget edit of `ref` would go out without waiting (nothing
   * pending for it, pacing elapsed), or when `signal` aborts. The bridge then renders progress only
   * when it can be delivered, instead of after every event.
   */
  editReady?(ref: MessageRef, signal: AbortSignal): Promise<void>;
  delete(opts: { ref: MessageRef }): Promise<boolean>;
  close(): Promise<void>;
}

export interface Presenter {
  renderProgress(state: ProgressState, opts: { elapsedS: number; label?: string }): RenderedMessage;
  renderFinal(state: ProgressState, opts: { elapsedS: number; status: string; answer: string }): RenderedMessage;
}

export interface ExecBridgeConfig {
  transport: Transport;
  presenter: Presenter;
  finalNotify: boolean;
}

export interface IncomingMessage {
  channelId: ChannelId;
  messageId: MessageId;
  text: string;
  replyTo?: MessageRef | null;
  threadId?: ThreadId | null;
  senderId?: number | string | null;
}

export type { RunContext };

/** Deep structural equality used to skip identical edits. */
export function sameRendered(a: RenderedMessage | null, b: RenderedMessage | null): boolean {
  if (!a || !b) return a === b;
  return a.text === b.text && JSON.stringify(a.extra) === JSON.stringify(b.extra);
}
