/**
 * A person's actions on the inbox (spec §7.10): notes, link edits, reactions, read and to-do. They are
 * never stamped with an instance, so the runtime's write-back dispatch sends them to the connector;
 * plus the bookkeeping of a write-back's result on the note.
 */
import type { Kysely } from "kysely";
import type { NoteWriteBackResult } from "../sdk/types.js";
import { uuidv7, type Clock } from "./ids.js";
import { contentHash } from "./inbox-content.js";
import { linkById, noteById, primaryLink } from "./inbox-reads.js";
import type { ConnectorTables } from "./schema.js";

type Db = Kysely<ConnectorTables>;

/** A person writes a note in taiku: never stamped with an instance, so it is dispatched (§7.10). The caller emits the change. */
export async function createUserNote(db: Db, clock: Clock, userId: string, threadId: string, content: string, reNoteId: string | null): Promise<ConnectorTables["inbox_notes"]> {
  const now = clock.now();
  const primary = await primaryLink(db, threadId);
  const row: ConnectorTables["inbox_notes"] = {
    id: uuidv7(now), thread_id: threadId, link_id: primary?.id ?? "", key: null, author_contact_id: null, author_user_id: userId, content, content_type: "markdown",
    external_content_hash: null, actions: null, re_note_id: reNoteId, created_by_instance_id: null, delivery_error: null, archived: 0, created_at: now, updated_at: now,
  };
  await db.insertInto("inbox_notes").values(row).execute();
  await db.updateTable("inbox_threads").set({ updated_at: now }).where("id", "=", threadId).execute();
  return row;
}

export async function updateUserNote(db: Db, clock: Clock, userId: string, noteId: string, content: string): Promise<ConnectorTables["inbox_notes"] | null> {
  const n = await noteById(db, noteId);
  if (!n || n.author_user_id !== userId || n.created_by_instance_id !== null) return null;
  await db.updateTable("inbox_notes").set({ content, updated_at: clock.now() }).where("id", "=", noteId).execute();
  return { ...n, content };
}

/** Applies a write-back result (§4.10): key when unset, baseline hash, delivery error. */
export async function applyNoteResult(db: Db, noteId: string, result: string | NoteWriteBackResult | void | undefined, fromUpdate: boolean): Promise<void> {
  if (result === undefined || result === null) return;
  const r: NoteWriteBackResult = typeof result === "string" ? { key: result } : result;
  const n = await noteById(db, noteId);
  if (!n) return;
  const patch: Record<string, unknown> = {};
  if (r.key && !fromUpdate && n.key === null) patch.key = r.key;
  if (r.externalContent !== undefined) patch.external_content_hash = contentHash(r.externalContent);
  if (r.deliveryError !== undefined) patch.delivery_error = r.deliveryError ? JSON.stringify(r.deliveryError) : null;
  else patch.delivery_error = null;
  await db.updateTable("inbox_notes").set(patch).where("id", "=", noteId).execute();
}

export async function setDeliveryError(db: Db, noteId: string, code: string, message: string): Promise<void> {
  await db.updateTable("inbox_notes").set({ delivery_error: JSON.stringify({ code, message }) }).where("id", "=", noteId).execute();
}

/** A person changes a link's status or title: stamped as a user write, so it is dispatched. */
export async function updateLinkByUser(db: Db, clock: Clock, userId: string, linkId: string, patch: { status?: string | null; title?: string }): Promise<ConnectorTables["inbox_links"] | null> {
  const l = await linkById(db, linkId);
  if (!l) return null;
  const set: Record<string, unknown> = { updated_by_kind: "user", updated_by_id: userId, updated_at: clock.now() };
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.title !== undefined) set.title = patch.title;
  await db.updateTable("inbox_links").set(set).where("id", "=", linkId).execute();
  if (patch.title !== undefined) await db.updateTable("inbox_threads").set({ title: patch.title }).where("id", "=", l.thread_id).execute();
  return { ...l, ...set } as ConnectorTables["inbox_links"];
}

/**
 * A person adds or removes a reaction on a note (actor = their user id, no source instance, so it is
 * dispatched). Returns whether the state changed: a repeated add or a remove of nothing is no transition.
 */
export async function setUserReaction(db: Db, userId: string, noteId: string, emoji: string, on: boolean): Promise<boolean> {
  const q = db.selectFrom("inbox_reactions").select("note_id").where("note_id", "=", noteId).where("emoji", "=", emoji).where("actor_id", "=", userId);
  const had = !!(await q.executeTakeFirst());
  if (had === on) return false;
  if (on) await db.insertInto("inbox_reactions").values({ note_id: noteId, emoji, actor_id: userId, source_instance_id: null }).execute();
  else await db.deleteFrom("inbox_reactions").where("note_id", "=", noteId).where("emoji", "=", emoji).where("actor_id", "=", userId).execute();
  return true;
}

/** Read/unread by a person; clears read_source, so the change is dispatched (not an echo). */
export async function setRead(db: Db, userId: string, threadId: string, unread: boolean): Promise<void> {
  await db.insertInto("inbox_thread_state").values({ thread_id: threadId, user_id: userId, unread: unread ? 1 : 0, read_source: null, todo: 0, todo_date: null, todo_source: null })
    .onConflict((oc) => oc.columns(["thread_id", "user_id"]).doUpdateSet({ unread: unread ? 1 : 0, read_source: null })).execute();
}

export async function setTodo(db: Db, userId: string, threadId: string, todo: boolean, date: string | null): Promise<void> {
  await db.insertInto("inbox_thread_state").values({ thread_id: threadId, user_id: userId, unread: 0, read_source: null, todo: todo ? 1 : 0, todo_date: date, todo_source: null })
    .onConflict((oc) => oc.columns(["thread_id", "user_id"]).doUpdateSet({ todo: todo ? 1 : 0, todo_date: date, todo_source: null })).execute();
}
