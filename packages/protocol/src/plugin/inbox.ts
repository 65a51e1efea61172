/**
 * Inbox bridge methods (`inbox.*`) and events: the workspace inbox that connectors sync into (GitHub
 * issues and pull requests, Linear issues), read and answered by plugins. Each method maps one to one
 * onto a route of the server's inbox HTTP API (docs/connectors.md "HTTP API"); the host makes the call
 * as the signed-in user. `inbox.read` gates the reads and the events, `inbox.write` the changes.
 */
import { z } from "zod";

/** Host error texts for the inbox methods. */
export const INBOX_ERRORS = {
  notSignedIn: "Not signed in",
  notEnabled: "Connectors are not enabled on this server",
} as const;

const id = z.string({ error: "threadId is required" }).min(1, "threadId is required").max(64);

export const inboxListParams = z.object({
  limit: z.number().int().min(1).max(200).default(50),
  /** The previous page's `next`. */
  before: z.string().max(128).optional(),
  /** Only threads of this connection (`inbox.connections` id). */
  connection: z.string().max(64).optional(),
  /** Only threads of this channel (e.g. `octo/hello`); usually with `connection`. */
  channel: z.string().max(512).optional(),
});
export const inboxGetParams = z.object({ threadId: id });
export const inboxReplyParams = z.object({
  threadId: id,
  content: z.string({ error: "content is required" }).trim().min(1, "content is required").max(65_536),
  reNoteId: z.string().max(64).optional(),
});
export const inboxSetStatusParams = z.object({
  linkId: z.string({ error: "linkId is required" }).min(1, "linkId is required").max(64),
  /** A status of the link type (`open` / `closed` for GitHub, a workflow state id for Linear). */
  status: z.string({ error: "status is required" }).min(1, "status is required").max(128),
});
export const inboxSetStateParams = z
  .object({
    threadId: id,
    unread: z.boolean().optional(),
    todo: z.boolean().optional(),
    todoDate: z.string().max(32).nullable().optional(),
  })
  .refine((p) => p.unread !== undefined || p.todo !== undefined, "unread or todo is required");
export const inboxReactParams = z.object({
  noteId: z.string({ error: "noteId is required" }).min(1, "noteId is required").max(64),
  /** A Unicode emoji (GitHub accepts 👍 👎 😄 😕 ❤️ 🎉 🚀 👀). */
  emoji: z.string({ error: "emoji is required" }).min(1, "emoji is required").max(128),
  /** true adds the user's reaction, false removes it. */
  on: z.boolean({ error: "on is required" }),
});
export const inboxConnectionsParams = z.object({});

/** Result shapes (the server's JSON, verbatim). Fields beyond these may appear. */
export interface InboxLinkRef {
  id: string; source: string; type: string; status: string | null; channelId: string | null;
  sourceUrl: string | null; instanceId: string | null; twistId: string | null;
}
export interface InboxThreadSummary {
  id: string; title: string | null; preview: string | null; archived: boolean; createdAt: number; updatedAt: number;
  unread: boolean; todo: boolean; link: InboxLinkRef | null;
}
export interface InboxListResult { threads: InboxThreadSummary[]; next: string | null }
export interface InboxLink {
  id: string; source: string; type: string; status: string | null; title: string | null; sourceUrl: string | null;
  channelId: string | null; connection: string | null; connector: string | null; meta: unknown;
}
export interface InboxNote {
  id: string; key: string | null; content: string | null; contentType: string | null; createdAt: number;
  author: { contactId: string | null; userId: string | null; name: string | null; email: string | null } | null;
  linkId: string | null; reNoteId: string | null; fromConnector: boolean;
  /** Why the write-back upstream failed (e.g. `{ code: "send_failed", message: "GitHub answered 404" }`). */
  deliveryError: { code: string; message?: string | null } | null;
  /** emoji → actor ids (user ids for people in taiku, contact ids for synced upstream accounts). */
  reactions?: Record<string, string[]>;
  /** The emoji the signed-in user has on this note. */
  myReactions?: string[];
}
export interface InboxThreadResult {
  thread: { id: string; title: string | null; archived: boolean; createdAt: number; updatedAt: number };
  links: InboxLink[];
  notes: InboxNote[];
}
export interface InboxReplyResult { note: { id: string; content: string; createdAt: number }; writeBack: boolean }
export interface InboxWriteBackResult { writeBack: boolean }
/** The note's reactions after the change (emoji → actor ids) and whether it was written back upstream. */
export interface InboxReactResult { reactions: Record<string, string[]>; writeBack: boolean }
export interface InboxConnection {
  id: string; connector: string; accountName: string | null; status: string; needsReauth: boolean;
  reauthReason?: string | null; webhooks: "reachable" | "unreachable";
  channels: { total: number; enabled: number; syncing: number };
}
export interface InboxConnectionsResult { connections: InboxConnection[] }

/** Event data: `inbox.thread_updated` (a thread was created or changed) and `inbox.note_added`. */
export const inboxThreadUpdatedData = z.looseObject({ threadId: z.string(), created: z.boolean() });
export const inboxNoteAddedData = z.looseObject({ threadId: z.string(), noteId: z.string() });

/** Server-sent event name (`/api/v1/inbox/events`) → plugin event type. */
export const INBOX_SSE_EVENTS = { thread: "inbox.thread_updated", note: "inbox.note_added" } as const;
