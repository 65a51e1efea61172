/**
 * `createSessionChat`: wires taiku's session chat to the agents subsystem — one call for the CLI.
 * Stateful (one resume token per conversation and engine), resume lines hidden by default, long
 * answers split, progress edits coalesced.
 */
import { MarkdownPresenter } from "../../bridge/presenter.js";
import type { MessageRef } from "../../bridge/transport.js";
import { AgentChat, type AgentChatOptions, type ChatMessage } from "../../runtime/agent-chat.js";
import { MemorySessionStore, type SessionStore } from "../../runtime/sessions.js";
import type { TransportRuntime } from "../../runtime/transport-runtime.js";
import type { Timers } from "./timers.js";
import { SessionChatTransport, type SessionChatPort } from "./transport.js";

export interface SessionChatOptions {
  runtime: TransportRuntime;
  port: SessionChatPort;
  /** `[agents.transports.session]` settings. */
  showResumeLine?: boolean;
  messageOverflow?: "trim" | "split";
  editIntervalMs?: number;
  maxBodyChars?: number;
  finalNotify?: boolean;
  sessions?: SessionStore;
  timers?: Timers;
  commands?: AgentChatOptions["commands"];
  isAdmin?: AgentChatOptions["isAdmin"];
  /** Run directory when no project is named (the CLI passes the session's `--dir`). */
  defaultCwd?: string | null;
  clock?: () => number;
}

/** A chat message as the session chat sees it. */
export interface SessionChatMessage {
  conversationId: string;
  messageId: string;
  text: string;
  senderId?: string | null;
  /** Id and text of the message this one replies to. */
  replyToId?: string | null;
  replyText?: string | null;
  threadId?: string | null;
}

export interface SessionChat {
  readonly chat: AgentChat;
  readonly transport: SessionChatTransport;
  /** Feed every chat message of the session here. */
  onMessage(msg: SessionChatMessage): Promise<void>;
  /** The UI's cancel action on a progress message. */
  cancel(conversationId: string, progressMessageId: string): Promise<"cancelling" | "dropped" | "none">;
  /** The UI's "new thread" action: forget stored resume tokens for the conversation. */
  newThread(conversationId: string): boolean;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function toChatMessage(msg: SessionChatMessage): ChatMessage {
  const replyTo: MessageRef | null = msg.replyToId ? { channelId: msg.conversationId, messageId: msg.replyToId } : null;
  return {
    channelId: msg.conversationId,
    messageId: msg.messageId,
    text: msg.text,
    replyTo,
    replyText: msg.replyText ?? null,
    threadId: msg.threadId ?? null,
    senderId: msg.senderId ?? null,
    isPrivate: false,
  };
}

export function createSessionChat(opts: SessionChatOptions): SessionChat {
  const transport = new SessionChatTransport(opts.port, { editIntervalMs: opts.editIntervalMs ?? 300, ...(opts.timers ? { timers: opts.timers } : {}) });
  const sessions = opts.sessions ?? new MemorySessionStore();
  const chat = new AgentChat({
    runtime: opts.runtime,
    transport,
    presenter: new MarkdownPresenter({ messageOverflow: opts.messageOverflow ?? "split", structured: true, ...(opts.maxBodyChars ? { maxBodyChars: opts.maxBodyChars } : {}) }),
    finalNotify: opts.finalNotify ?? true,
    sessions,
    sessionScope: "chat",
    showResumeLine: opts.showResumeLine ?? false,
    commands: opts.commands ?? null,
    ...(opts.isAdmin ? { isAdmin: opts.isAdmin } : {}),
    ...(opts.defaultCwd ? { defaultCwd: opts.defaultCwd } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return {
    chat,
    transport,
    onMessage: (msg) => chat.handle(toChatMessage(msg)),
    cancel: (conversationId, progressMessageId) => chat.cancel({ channelId: conversationId, messageId: progressMessageId }),
    newThread: (conversationId) => sessions.clear(`${conversationId}:chat`),
    idle: () => chat.idle(),
    close: () => transport.close(),
  };
}

export { SessionChatTransport, type SessionChatPort } from "./transport.js";
export { MemoryChatPort, type ChatRecord } from "./memory-port.js";
export { ManualTimers, realTimers, type Timers } from "./timers.js";
