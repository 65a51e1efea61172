/**
 * Reads of the inbox for the HTTP API and write-back dispatch: thread pages by (updated_at, id), one
 * thread with its links and notes, single rows by id.
 */
import type { Kysely } from "kysely";
import type { ConnectorTables } from "./schema.js";

type Db = Kysely<ConnectorTables>;

export interface ThreadSummary {
  id: string; title: string; preview: string | null; archived: boolean; createdAt: number; updatedAt: number;
  unread: boolean; todo: boolean;
  link: { id: string; source: string; type: string | null; status: string | null; channelId: string | null; sourceUrl: string | null; instanceId: string; twistId: string } | null;
}
export interface NoteView {
  id: string; key: string | null; content: string | null; contentType: string; createdAt: number; updatedAt: number;
  author: { contactId: string | null; userId: string | null; name: string | null; email: string | null };
  linkId: string | null; reNoteId: string | null; fromConnector: boolean; deliveryError: { code: string; message?: string | null } | null;
  reactions: Record<string, string[]>;
}

/** Newest first by (updated_at, id); `before` is the cursor of the last row of the previous page. */
export async function listThreads(db: Db, userId: string, opts: { limit: number; before?: { updatedAt: number; id: string }; channelId?: string; instanceId?: string; includeArchived?: boolean }): Promise<ThreadSummary[]> {
  let q = db.selectFrom("inbox_thread_members as m")
    .innerJoin("inbox_threads as t", "t.id", "m.thread_id")
    .leftJoin("inbox_thread_state as s", (j) => j.onRef("s.thread_id", "=", "t.id").onRef("s.user_id", "=", "m.user_id"))
    .leftJoin("inbox_links as l", (j) => j.onRef("l.thread_id", "=", "t.id"))
    .select(["t.id", "t.title", "t.preview", "t.archived", "t.created_at", "t.updated_at", "s.unread", "s.todo", "l.id as link_id", "l.primary_source", "l.type", "l.status", "l.channel_id", "l.source_url", "l.instance_id", "l.twist_id"])
    .where("m.user_id", "=", userId);
  if (!opts.includeArchived) q = q.where("t.archived", "=", 0);
  const before = opts.before;
  if (before !== undefined) {
    q = q.where((eb) => eb.or([eb("t.updated_at", "<", before.updatedAt), eb.and([eb("t.updated_at", "=", before.updatedAt), eb("t.id", "<", before.id)])]));
  }
  if (opts.channelId !== undefined) q = q.where("l.channel_id", "=", opts.channelId);
  if (opts.instanceId !== undefined) q = q.where("l.instance_id", "=", opts.instanceId);
  const rows = await q.orderBy("t.updated_at", "desc").orderBy("t.id", "desc").limit(opts.limit).execute();
  return rows.map((r) => ({
    id: r.id, title: r.title, preview: r.preview, archived: r.archived === 1, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
    unread: r.unread === 1, todo: r.todo === 1,
    link: r.link_id ? { id: r.link_id, source: r.primary_source!, type: r.type, status: r.status, channelId: r.channel_id, sourceUrl: r.source_url, instanceId: r.instance_id!, twistId: r.twist_id! } : null,
  }));
}

export async function countThreads(db: Db, filter: { instanceId?: string; channelId?: string } = {}): Promise<number> {
  let q = db.selectFrom("inbox_links").select((eb) => eb.fn.count("thread_id").distinct().as("n"));
  if (filter.instanceId) q = q.where("instance_id", "=", filter.instanceId);
  if (filter.channelId) q = q.where("channel_id", "=", filter.channelId);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

export async function isMember(db: Db, userId: string, threadId: string): Promise<boolean> {
  return !!(await db.selectFrom("inbox_thread_members").select("thread_id").where("user_id", "=", userId).where("thread_id", "=", threadId).executeTakeFirst());
}

export async function getThread(db: Db, threadId: string): Promise<{ thread: ConnectorTables["inbox_threads"]; links: ConnectorTables["inbox_links"][]; notes: NoteView[] } | null> {
  const thread = await db.selectFrom("inbox_threads").selectAll().where("id", "=", threadId).executeTakeFirst();
  if (!thread) return null;
  const links = await db.selectFrom("inbox_links").selectAll().where("thread_id", "=", threadId).orderBy("priority", "desc").orderBy("created_at").execute();
  const rows = await db.selectFrom("inbox_notes as n").leftJoin("inbox_contacts as c", "c.id", "n.author_contact_id")
    .select(["n.id", "n.key", "n.content", "n.content_type", "n.created_at", "n.updated_at", "n.author_contact_id", "n.author_user_id", "n.link_id", "n.re_note_id", "n.created_by_instance_id", "n.delivery_error", "c.name", "c.email"])
    .where("n.thread_id", "=", threadId).where("n.archived", "=", 0).orderBy("n.created_at").orderBy("n.id").execute();
  const reactions = rows.length ? await db.selectFrom("inbox_reactions").selectAll().where("note_id", "in", rows.map((r) => r.id)).execute() : [];
  const notes: NoteView[] = rows.map((r) => {
    const rx: Record<string, string[]> = {};
    for (const x of reactions) if (x.note_id === r.id) (rx[x.emoji] ??= []).push(x.actor_id);
    return {
      id: r.id, key: r.key, content: r.content, contentType: r.content_type, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
      author: { contactId: r.author_contact_id, userId: r.author_user_id, name: r.name ?? null, email: r.email ?? null },
      linkId: r.link_id || null, reNoteId: r.re_note_id, fromConnector: r.created_by_instance_id !== null,
      deliveryError: r.delivery_error ? (JSON.parse(r.delivery_error) as { code: string }) : null, reactions: rx,
    };
  });
  return { thread, links, notes };
}

/** The thread's primary link: highest priority, then oldest (the first of `getThread`'s links). */
export async function primaryLink(db: Db, threadId: string): Promise<ConnectorTables["inbox_links"] | undefined> {
  return db.selectFrom("inbox_links").selectAll().where("thread_id", "=", threadId).orderBy("priority", "desc").orderBy("created_at").executeTakeFirst();
}

export async function linkById(db: Db, linkId: string): Promise<ConnectorTables["inbox_links"] | undefined> {
  return db.selectFrom("inbox_links").selectAll().where("id", "=", linkId).executeTakeFirst();
}

export async function noteById(db: Db, noteId: string): Promise<ConnectorTables["inbox_notes"] | undefined> {
  return db.selectFrom("inbox_notes").selectAll().where("id", "=", noteId).executeTakeFirst();
}

export async function sourcesOf(db: Db, linkId: string): Promise<string[]> {
  return (await db.selectFrom("inbox_link_sources").select("source").where("link_id", "=", linkId).execute()).map((r) => r.source);
}

export async function contact(db: Db, id: string | null): Promise<ConnectorTables["inbox_contacts"] | undefined> {
  if (!id) return undefined;
  return db.selectFrom("inbox_contacts").selectAll().where("id", "=", id).executeTakeFirst();
}
