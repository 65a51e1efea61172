/**
 * The inbox data plane (spec §7.9): threads, links, notes and contacts. Links dedupe by source,
 * notes by (thread, link, key); the write-back baseline is SHA-256 over the content exactly as the
 * connector emitted it (§4.10). `saveLinks` is one transaction with a savepoint per item, so one bad
 * item yields `null` in its slot and never aborts the batch.
 *
 * This module holds the connector-side writes; `Inbox` also serves the reads (`inbox-reads.ts`) and a
 * person's actions (`inbox-user-actions.ts`) so callers have one object.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { ConnectorTables } from "./schema.js";
import { uuidv7, type Clock } from "./ids.js";
import { decode, encode } from "../sdk/serialize.js";
import { contentHash, htmlToMarkdown } from "./inbox-content.js";
import * as reads from "./inbox-reads.js";
import type { NoteView, ThreadSummary } from "./inbox-reads.js";
import * as actions from "./inbox-user-actions.js";
import {
  ActorType, type Actor, type ArchiveLinkFilter, type ArchiveNotesFilter, type JSONValue, type NewActor, type NewContact,
  type NewCustomEmoji, type NewLinkWithNotes, type NewNote, type NewReactions, type NoteWriteBackResult,
} from "../sdk/types.js";

type Db = Kysely<ConnectorTables>;
type Tx = Transaction<ConnectorTables>;

export interface SaveContext {
  instanceId: string;
  twistId: string;
  ownerUserId: string;
}

export type InboxEvent =
  | { kind: "thread"; threadId: string; userIds: string[]; created: boolean }
  | { kind: "note"; threadId: string; noteId: string; userIds: string[] };

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export class Inbox {
  private listeners = new Set<(e: InboxEvent) => void>();
  constructor(readonly db: Db, private readonly clock: Clock) {}

  onChange(fn: (e: InboxEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private emit(events: InboxEvent[]): void {
    for (const e of events) for (const l of this.listeners) {
      try { l(e); } catch { /* a listener never breaks a save */ }
    }
  }

  // ── contacts ────────────────────────────────────────────────
  private async contactFor(trx: Tx | Db, ctx: SaveContext, actor: NewActor | null | undefined, cache: Map<string, string>): Promise<string | null> {
    if (!actor) return null;
    if ("id" in actor && actor.id) return actor.id;
    const c = actor as NewContact;
    const cacheKey = c.source?.accountId ? `a:${c.source.accountId}` : c.email ? `e:${c.email.toLowerCase()}` : `n:${c.name ?? ""}`;
    const hit = cache.get(cacheKey);
    if (hit) return hit;
    let id: string | undefined;
    if (c.source?.accountId) {
      id = (await trx.selectFrom("inbox_contact_accounts").select("contact_id").where("instance_id", "=", ctx.instanceId).where("account_id", "=", c.source.accountId).executeTakeFirst())?.contact_id;
    }
    if (!id && c.email) {
      id = (await trx.selectFrom("inbox_contacts").select("id").where("email", "=", c.email.toLowerCase()).executeTakeFirst())?.id;
    }
    if (id) {
      const patch: Record<string, unknown> = {};
      if (c.name) patch.name = c.name;
      if (c.avatar) patch.avatar = c.avatar;
      if (Object.keys(patch).length) await trx.updateTable("inbox_contacts").set(patch).where("id", "=", id).execute();
    } else {
      id = uuidv7(this.clock.now());
      await trx.insertInto("inbox_contacts").values({ id, email: c.email?.toLowerCase() ?? null, name: c.name ?? null, avatar: c.avatar ?? null, automated: c.automated ? 1 : 0, name_tier: c.nameTier ?? "third-party" }).execute();
    }
    if (c.source?.accountId) {
      await trx.insertInto("inbox_contact_accounts").values({ instance_id: ctx.instanceId, account_id: c.source.accountId, contact_id: id, descriptor: c.source.descriptor ?? null })
        .onConflict((oc) => oc.columns(["instance_id", "account_id"]).doUpdateSet({ contact_id: id!, descriptor: c.source?.descriptor ?? null })).execute();
    }
    cache.set(cacheKey, id);
    return id;
  }

  async saveContacts(ctx: SaveContext, contacts: NewContact[]): Promise<Actor[]> {
    return this.db.transaction().execute(async (trx) => {
      const cache = new Map<string, string>();
      const out: Actor[] = [];
      for (const c of contacts) {
        if (!c.email && !c.name) throw new Error("saveContacts: a contact needs an email or a name");
        const id = (await this.contactFor(trx, ctx, c, cache))!;
        out.push({ id, type: ActorType.Contact, email: c.email ?? null, name: c.name ?? null, source: c.source ? { accountId: c.source.accountId } : null });
      }
      return out;
    });
  }

  // ── links ───────────────────────────────────────────────────
  async saveLinks(ctx: SaveContext, links: NewLinkWithNotes[]): Promise<(string | null)[]> {
    const events: InboxEvent[] = [];
    const out = await this.db.transaction().execute(async (trx) => {
      const cache = new Map<string, string>();
      const results: (string | null)[] = new Array<string | null>(links.length).fill(null);
      const slow = new Set<number>(links.map((_, i) => i));
      // Fast path: items that create new threads go in as multi-row inserts (one savepoint for all).
      const fresh = await this.freshItems(trx, links);
      if (fresh.length > 1) {
        await sql`SAVEPOINT save_batch`.execute(trx);
        try {
          const created = await this.insertFresh(trx, ctx, fresh.map((i) => [i, links[i]!] as const), cache);
          for (const [i, threadId] of created) {
            results[i] = threadId;
            slow.delete(i);
            events.push({ kind: "thread", threadId, userIds: [ctx.ownerUserId], created: true });
          }
          await sql`RELEASE SAVEPOINT save_batch`.execute(trx);
        } catch (err) {
          await sql`ROLLBACK TO SAVEPOINT save_batch`.execute(trx);
          await sql`RELEASE SAVEPOINT save_batch`.execute(trx);
          cache.clear();
          events.length = 0;
          for (const i of fresh) slow.add(i);
          console.warn(`saveLinks: batch insert failed (${(err as Error).message}); saving one by one`);
        }
      }
      for (const i of [...slow].sort((a, b) => a - b)) {
        const link = links[i]!;
        await sql`SAVEPOINT save_link`.execute(trx);
        try {
          results[i] = await this.saveOne(trx, ctx, link, cache, events);
          await sql`RELEASE SAVEPOINT save_link`.execute(trx);
        } catch (err) {
          await sql`ROLLBACK TO SAVEPOINT save_link`.execute(trx);
          await sql`RELEASE SAVEPOINT save_link`.execute(trx);
          console.error(`saveLinks: item failed: ${(err as Error).message}`);
          results[i] = null;
        }
      }
      return results;
    });
    this.emit(events);
    return out;
  }

  /** Indexes of items that certainly create a new thread: no known source, no overlap within the batch, simple notes. */
  private async freshItems(trx: Tx, links: NewLinkWithNotes[]): Promise<number[]> {
    const srcs = links.map((l) => [...new Set([...(l.sources ?? []), l.source].filter((s): s is string => typeof s === "string" && s.length > 0))]);
    const all = srcs.flat();
    const known = new Set<string>();
    for (let i = 0; i < all.length; i += 500) {
      for (const r of await trx.selectFrom("inbox_link_sources").select("source").where("source", "in", all.slice(i, i + 500)).execute()) known.add(r.source);
    }
    const seen = new Set<string>();
    const out: number[] = [];
    links.forEach((l, i) => {
      const s = srcs[i]!;
      const keys = (l.notes ?? []).map((n) => n.key ?? null).filter((k) => k !== null);
      const simpleNotes = (l.notes ?? []).every((n) => !n.id && !n.reNote && !n.reactions) && new Set(keys).size === keys.length;
      const ok = s.length > 0 && !l.updateOnly && l.channelId !== undefined && simpleNotes && s.every((x) => !known.has(x) && !seen.has(x));
      for (const x of s) seen.add(x);
      if (ok) out.push(i);
    });
    return out;
  }

  private async insertFresh(trx: Tx, ctx: SaveContext, items: ReadonlyArray<readonly [number, NewLinkWithNotes]>, cache: Map<string, string>): Promise<Array<[number, string]>> {
    const now = this.clock.now();
    const threads: ConnectorTables["inbox_threads"][] = [];
    const linkRows: ConnectorTables["inbox_links"][] = [];
    const sourceRows: ConnectorTables["inbox_link_sources"][] = [];
    const noteRows: ConnectorTables["inbox_notes"][] = [];
    const members: ConnectorTables["inbox_thread_members"][] = [];
    const states: ConnectorTables["inbox_thread_state"][] = [];
    const created: Array<[number, string]> = [];
    for (const [i, link] of items) {
      const sources = [...new Set([...(link.sources ?? []), link.source].filter((s): s is string => typeof s === "string" && s.length > 0))];
      const threadId = uuidv7(now);
      const linkId = uuidv7(now);
      const createdAt = link.created ? link.created.getTime() : now;
      const authorId = await this.contactFor(trx, ctx, link.author, cache);
      const assigneeId = link.assignee === undefined ? null : await this.contactFor(trx, ctx, link.assignee, cache);
      threads.push({ id: threadId, title: link.title ?? "", preview: link.preview ?? null, archived: link.archived ? 1 : 0, access: link.access ?? "members", created_at: createdAt, updated_at: now });
      linkRows.push({
        id: linkId, thread_id: threadId, twist_id: ctx.twistId, instance_id: ctx.instanceId, primary_source: sources[0]!, type: link.type ?? null, status: link.status ?? null,
        title: link.title ?? "", preview: link.preview ?? null, author_contact_id: authorId, assignee_contact_id: assigneeId, meta: json(link.meta),
        source_url: link.sourceUrl ?? null, channel_id: link.channelId ?? null, priority: link.priority ?? 0, actions: link.actions ? encode(link.actions, "actions") : null,
        signals: json(link.signals), facets: json(link.facets), updated_by_kind: "instance", updated_by_id: ctx.instanceId, archived: link.archived ? 1 : 0, created_at: createdAt, updated_at: now,
      });
      for (const source of sources) sourceRows.push({ source, link_id: linkId });
      members.push({ thread_id: threadId, user_id: ctx.ownerUserId });
      for (const n of link.notes ?? []) {
        const incoming = n.content ?? null;
        noteRows.push({
          id: uuidv7(now), thread_id: threadId, link_id: linkId, key: n.key ?? null,
          author_contact_id: n.authoredBySelf ? null : await this.contactFor(trx, ctx, n.author, cache), author_user_id: n.authoredBySelf ? ctx.ownerUserId : null,
          content: incoming === null ? null : n.contentType === "html" ? htmlToMarkdown(incoming) : incoming, content_type: n.contentType ?? "markdown",
          external_content_hash: incoming === null ? null : contentHash(incoming), actions: n.actions ? encode(n.actions, "actions") : null, re_note_id: null,
          created_by_instance_id: ctx.instanceId, delivery_error: null, archived: n.archived ? 1 : 0, created_at: n.created ? n.created.getTime() : now, updated_at: now,
        });
      }
      const unread = link.unread === undefined ? 1 : link.unread ? 1 : 0;
      const todo = link.todo ? 1 : 0;
      const todoDate = link.todo ? (link.todoDate instanceof Date ? link.todoDate.toISOString() : link.todoDate ?? new Date(now).toISOString()) : null;
      states.push({ thread_id: threadId, user_id: ctx.ownerUserId, unread, read_source: ctx.instanceId, todo, todo_date: todoDate, todo_source: link.todo !== undefined ? ctx.instanceId : null });
      created.push([i, threadId]);
    }
    const insertAll = async <T extends keyof ConnectorTables>(table: T, rows: ConnectorTables[T][]) => {
      if (!rows.length) return;
      const per = Math.max(1, Math.floor(30_000 / Object.keys(rows[0]!).length));
      for (let k = 0; k < rows.length; k += per) await trx.insertInto(table).values(rows.slice(k, k + per) as never).execute();
    };
    await insertAll("inbox_threads", threads);
    await insertAll("inbox_links", linkRows);
    await insertAll("inbox_link_sources", sourceRows);
    await insertAll("inbox_thread_members", members);
    await insertAll("inbox_thread_state", states);
    await insertAll("inbox_notes", noteRows);
    return created;
  }

  private async saveOne(trx: Tx, ctx: SaveContext, link: NewLinkWithNotes, cache: Map<string, string>, events: InboxEvent[]): Promise<string | null> {
    const now = this.clock.now();
    const sources = [...new Set([...(link.sources ?? []), link.source].filter((s): s is string => typeof s === "string" && s.length > 0))];
    if (!sources.length) throw new Error("a link needs source or sources");
    let channelId = link.channelId;
    if (channelId === undefined) {
      const metaChannel = link.meta?.channelId;
      channelId = typeof metaChannel === "string" ? metaChannel : null;
      console.warn(`saveLink ${sources[0]}: channelId missing at the top level (seed-era connector); using meta.channelId`);
    }
    const existing = await trx.selectFrom("inbox_link_sources").innerJoin("inbox_links", "inbox_links.id", "inbox_link_sources.link_id")
      .select(["inbox_links.id", "inbox_links.thread_id", "inbox_links.twist_id"]).where("inbox_link_sources.source", "in", sources).executeTakeFirst();
    if (!existing && link.updateOnly) return null;

    const authorId = await this.contactFor(trx, ctx, link.author, cache);
    const assigneeId = link.assignee === undefined ? undefined : await this.contactFor(trx, ctx, link.assignee, cache);
    const created = link.created ? link.created.getTime() : now;
    let threadId: string;
    let linkId: string;
    let isNew = false;
    if (existing) {
      threadId = existing.thread_id;
      linkId = existing.id;
      const patch: Record<string, unknown> = { updated_at: now, updated_by_kind: "instance", updated_by_id: ctx.instanceId, channel_id: channelId };
      if (link.type !== undefined) patch.type = link.type;
      if (link.status !== undefined) patch.status = link.status;
      if (link.meta !== undefined) patch.meta = json(link.meta);
      if (link.sourceUrl !== undefined) patch.source_url = link.sourceUrl;
      if (link.actions !== undefined) patch.actions = link.actions === null ? null : encode(link.actions, "actions");
      if (link.priority !== undefined) patch.priority = link.priority;
      if (link.preview !== undefined) patch.preview = link.preview;
      if (link.title !== undefined) patch.title = link.title;
      if (link.signals !== undefined) patch.signals = json(link.signals);
      if (link.facets !== undefined) patch.facets = json(link.facets);
      if (link.author !== undefined) patch.author_contact_id = authorId;
      if (assigneeId !== undefined) patch.assignee_contact_id = assigneeId;
      if (link.archived !== undefined) patch.archived = link.archived ? 1 : 0;
      await trx.updateTable("inbox_links").set(patch).where("id", "=", linkId).execute();
      const known = new Set((await trx.selectFrom("inbox_link_sources").select("source").where("link_id", "=", linkId).execute()).map((r) => r.source));
      for (const s of sources) if (!known.has(s)) await trx.insertInto("inbox_link_sources").values({ source: s, link_id: linkId }).onConflict((oc) => oc.column("source").doNothing()).execute();
      const tpatch: Record<string, unknown> = { updated_at: now };
      if (link.title !== undefined) tpatch.title = link.title;
      if (link.archived !== undefined) tpatch.archived = link.archived ? 1 : 0;
      await trx.updateTable("inbox_threads").set(tpatch).where("id", "=", threadId).execute();
    } else {
      isNew = true;
      threadId = uuidv7(now);
      linkId = uuidv7(now);
      await trx.insertInto("inbox_threads").values({ id: threadId, title: link.title ?? "", preview: link.preview ?? null, archived: link.archived ? 1 : 0, access: link.access ?? "members", created_at: created, updated_at: now }).execute();
      await trx.insertInto("inbox_links").values({
        id: linkId, thread_id: threadId, twist_id: ctx.twistId, instance_id: ctx.instanceId, primary_source: sources[0]!, type: link.type ?? null, status: link.status ?? null,
        title: link.title ?? "", preview: link.preview ?? null, author_contact_id: authorId, assignee_contact_id: assigneeId ?? null, meta: json(link.meta),
        source_url: link.sourceUrl ?? null, channel_id: channelId, priority: link.priority ?? 0, actions: link.actions ? encode(link.actions, "actions") : null,
        signals: json(link.signals), facets: json(link.facets), updated_by_kind: "instance", updated_by_id: ctx.instanceId, archived: link.archived ? 1 : 0, created_at: created, updated_at: now,
      }).execute();
      for (const s of sources) await trx.insertInto("inbox_link_sources").values({ source: s, link_id: linkId }).execute();
    }
    await trx.insertInto("inbox_thread_members").values({ thread_id: threadId, user_id: ctx.ownerUserId }).onConflict((oc) => oc.columns(["user_id", "thread_id"]).doNothing()).execute();

    const noteEvents: string[] = [];
    for (const n of link.notes ?? []) {
      const r = await this.upsertNote(trx, ctx, threadId, linkId, n as NewNote, cache, isNew);
      if (r.inserted) noteEvents.push(r.id);
    }
    // Thread state for the owner: explicit unread wins; otherwise new content marks the thread unread.
    let unread: number | undefined;
    if (link.unread !== undefined) unread = link.unread ? 1 : 0;
    else if (isNew || noteEvents.length) unread = 1;
    const todo = link.todo === undefined ? undefined : link.todo ? 1 : 0;
    const todoDate = link.todo ? (link.todoDate instanceof Date ? link.todoDate.toISOString() : link.todoDate ?? new Date(now).toISOString()) : null;
    if (unread !== undefined || todo !== undefined) {
      const values = { thread_id: threadId, user_id: ctx.ownerUserId, unread: unread ?? 0, read_source: ctx.instanceId, todo: todo ?? 0, todo_date: todoDate, todo_source: todo !== undefined ? ctx.instanceId : null };
      const set: Record<string, unknown> = {};
      if (unread !== undefined) Object.assign(set, { unread, read_source: ctx.instanceId });
      if (todo !== undefined) Object.assign(set, { todo, todo_date: todoDate, todo_source: ctx.instanceId });
      await trx.insertInto("inbox_thread_state").values(values).onConflict((oc) => oc.columns(["thread_id", "user_id"]).doUpdateSet(set)).execute();
    }
    events.push({ kind: "thread", threadId, userIds: [ctx.ownerUserId], created: isNew });
    for (const noteId of noteEvents) events.push({ kind: "note", threadId, noteId, userIds: [ctx.ownerUserId] });
    return threadId;
  }

  private async upsertNote(trx: Tx, ctx: SaveContext, threadId: string, linkId: string, n: NewNote | Omit<NewNote, "thread">, cache: Map<string, string>, threadIsNew: boolean): Promise<{ id: string; inserted: boolean }> {
    const now = this.clock.now();
    const key = n.key ?? null;
    const incoming = n.content ?? null;
    let found: { id: string; external_content_hash: string | null } | undefined;
    if (!threadIsNew) {
      if (n.id) found = await trx.selectFrom("inbox_notes").select(["id", "external_content_hash"]).where("id", "=", n.id).executeTakeFirst();
      if (!found && key !== null) {
        found = await trx.selectFrom("inbox_notes").select(["id", "external_content_hash"]).where("thread_id", "=", threadId).where("link_id", "=", linkId).where("key", "=", key).executeTakeFirst();
      }
    }
    const converted = incoming === null ? null : n.contentType === "html" ? htmlToMarkdown(incoming) : incoming;
    const reNoteId = n.reNote && "id" in n.reNote ? n.reNote.id
      : n.reNote && "key" in n.reNote ? (await trx.selectFrom("inbox_notes").select("id").where("thread_id", "=", threadId).where("key", "=", n.reNote.key).executeTakeFirst())?.id ?? null
      : null;
    if (found) {
      const patch: Record<string, unknown> = { updated_at: now };
      if (incoming !== null) {
        const h = contentHash(incoming);
        // Baseline check: the external side still holds what we wrote back → keep our content.
        if (h !== found.external_content_hash) Object.assign(patch, { content: converted, content_type: n.contentType ?? "markdown", external_content_hash: h });
      }
      if (key !== null) patch.key = key;
      if (n.archived !== undefined) patch.archived = n.archived ? 1 : 0;
      if (n.actions !== undefined) patch.actions = n.actions === null ? null : encode(n.actions, "actions");
      if (n.reNote !== undefined) patch.re_note_id = reNoteId;
      await trx.updateTable("inbox_notes").set(patch).where("id", "=", found.id).execute();
      if (n.reactions) await this.mergeReactions(trx, ctx, found.id, n.reactions, cache);
      return { id: found.id, inserted: false };
    }
    const authorContact = n.authoredBySelf ? null : await this.contactFor(trx, ctx, n.author, cache);
    const id = n.id ?? uuidv7(now);
    await trx.insertInto("inbox_notes").values({
      id, thread_id: threadId, link_id: linkId, key, author_contact_id: authorContact, author_user_id: n.authoredBySelf ? ctx.ownerUserId : null,
      content: converted, content_type: n.contentType ?? "markdown", external_content_hash: incoming === null ? null : contentHash(incoming),
      actions: n.actions ? encode(n.actions, "actions") : null, re_note_id: reNoteId, created_by_instance_id: ctx.instanceId, delivery_error: null,
      archived: n.archived ? 1 : 0, created_at: n.created ? n.created.getTime() : now, updated_at: now,
    }).execute();
    if (n.reactions) await this.mergeReactions(trx, ctx, id, n.reactions, cache);
    return { id, inserted: true };
  }

  private async mergeReactions(trx: Tx, ctx: SaveContext, noteId: string, reactions: NewReactions, cache: Map<string, string>): Promise<void> {
    for (const [emoji, actors] of Object.entries(reactions)) {
      if (!actors.length) {
        await trx.deleteFrom("inbox_reactions").where("note_id", "=", noteId).where("emoji", "=", emoji).execute();
        continue;
      }
      for (const a of actors) {
        const actorId = await this.contactFor(trx, ctx, a, cache);
        if (actorId) await trx.insertInto("inbox_reactions").values({ note_id: noteId, emoji, actor_id: actorId, source_instance_id: ctx.instanceId }).onConflict((oc) => oc.columns(["note_id", "emoji", "actor_id"]).doNothing()).execute();
      }
    }
  }

  async saveNotes(ctx: SaveContext, notes: NewNote[]): Promise<(string | null)[]> {
    const events: InboxEvent[] = [];
    const out = await this.db.transaction().execute(async (trx) => {
      const cache = new Map<string, string>();
      const res: (string | null)[] = [];
      for (const n of notes) {
        let threadId: string | undefined;
        let linkId: string | undefined;
        if ("id" in n.thread) {
          threadId = (await trx.selectFrom("inbox_threads").select("id").where("id", "=", n.thread.id).executeTakeFirst())?.id;
        } else {
          const l = await trx.selectFrom("inbox_link_sources").innerJoin("inbox_links", "inbox_links.id", "inbox_link_sources.link_id")
            .select(["inbox_links.id", "inbox_links.thread_id"]).where("inbox_link_sources.source", "=", n.thread.source).executeTakeFirst();
          threadId = l?.thread_id;
          linkId = l?.id;
        }
        if (!threadId && n.link && "source" in n.thread) {
          threadId = (await this.saveOne(trx, ctx, { ...n.link, source: n.thread.source, channelId: n.link.channelId ?? null }, cache, events)) ?? undefined;
        }
        if (!threadId) { res.push(null); continue; }
        if (!linkId) {
          const own = await trx.selectFrom("inbox_links").select("id").where("thread_id", "=", threadId).where("instance_id", "=", ctx.instanceId).execute();
          if (own.length > 1) throw new Error("saveNotes: more than one link of this connector on the thread; address it by source");
          linkId = own[0]?.id ?? "";
        }
        const r = await this.upsertNote(trx, ctx, threadId, linkId, n, cache, false);
        if (r.inserted) events.push({ kind: "note", threadId, noteId: r.id, userIds: [ctx.ownerUserId] });
        res.push(r.id);
      }
      return res;
    });
    this.emit(events);
    return out;
  }

  async archiveLinks(ctx: SaveContext, filter: ArchiveLinkFilter): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom("inbox_links").select(["id", "thread_id", "meta"]).where("instance_id", "=", ctx.instanceId).where("archived", "=", 0);
      if (filter.channelId !== undefined) q = q.where("channel_id", "=", filter.channelId);
      if (filter.type !== undefined) q = q.where("type", "=", filter.type);
      if (filter.status !== undefined) q = q.where("status", "=", filter.status);
      const rows = (await q.execute()).filter((r) => !filter.meta || containsJson(r.meta ? (JSON.parse(r.meta) as JSONValue) : null, filter.meta));
      for (const r of rows) await trx.updateTable("inbox_links").set({ archived: 1 }).where("id", "=", r.id).execute();
      for (const threadId of new Set(rows.map((r) => r.thread_id))) {
        const live = await trx.selectFrom("inbox_links").select("id").where("thread_id", "=", threadId).where("archived", "=", 0).executeTakeFirst();
        if (!live) await trx.updateTable("inbox_threads").set({ archived: 1 }).where("id", "=", threadId).execute();
      }
    });
  }

  async archiveNotes(ctx: SaveContext, filter: ArchiveNotesFilter): Promise<void> {
    let q = this.db.updateTable("inbox_notes").set({ archived: 1 }).where("created_by_instance_id", "=", ctx.instanceId);
    if (filter.channelId !== undefined) {
      const channelId = filter.channelId;
      q = q.where("link_id", "in", (eb) => eb.selectFrom("inbox_links").select("id").where("channel_id", "=", channelId));
    }
    await q.execute();
  }

  async setThreadToDo(ctx: SaveContext, source: string, actorId: string, todo: boolean, date?: Date | string): Promise<void> {
    const l = await this.db.selectFrom("inbox_link_sources").innerJoin("inbox_links", "inbox_links.id", "inbox_link_sources.link_id")
      .select("inbox_links.thread_id").where("inbox_link_sources.source", "=", source).where("inbox_links.twist_id", "=", ctx.twistId).executeTakeFirst();
    if (!l) return;
    const d = todo ? (date instanceof Date ? date.toISOString() : date ?? new Date(this.clock.now()).toISOString().slice(0, 10)) : null;
    await this.db.insertInto("inbox_thread_state").values({ thread_id: l.thread_id, user_id: actorId, unread: 0, read_source: null, todo: todo ? 1 : 0, todo_date: d, todo_source: ctx.instanceId })
      .onConflict((oc) => oc.columns(["thread_id", "user_id"]).doUpdateSet({ todo: todo ? 1 : 0, todo_date: d, todo_source: ctx.instanceId })).execute();
  }

  async setNoteReactions(ctx: SaveContext, thread: { id: string } | { source: string }, key: string, reactions: NewReactions): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const threadId = "id" in thread ? thread.id
        : (await trx.selectFrom("inbox_link_sources").innerJoin("inbox_links", "inbox_links.id", "inbox_link_sources.link_id").select("inbox_links.thread_id").where("inbox_link_sources.source", "=", thread.source).executeTakeFirst())?.thread_id;
      const note = threadId ? await trx.selectFrom("inbox_notes").innerJoin("inbox_links", "inbox_links.id", "inbox_notes.link_id").select("inbox_notes.id")
        .where("inbox_notes.thread_id", "=", threadId).where("inbox_notes.key", "=", key).where("inbox_links.instance_id", "=", ctx.instanceId).executeTakeFirst() : undefined;
      if (!note) throw new Error(`setNoteReactions: no note with key ${key} on that thread`);
      await trx.deleteFrom("inbox_reactions").where("note_id", "=", note.id).execute();
      await this.mergeReactions(trx, ctx, note.id, reactions, new Map());
    });
  }

  async saveCustomEmoji(emoji: NewCustomEmoji[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const e of emoji) {
        if (e.archived) { await trx.deleteFrom("inbox_custom_emoji").where("id", "=", e.id).execute(); continue; }
        const v = { id: e.id, provider: e.provider, workspace: e.workspace, name: e.name, image_url: e.imageUrl, alias_of: e.aliasOf };
        await trx.insertInto("inbox_custom_emoji").values(v).onConflict((oc) => oc.column("id").doUpdateSet(v)).execute();
      }
    });
  }

  // ── reads (HTTP API): inbox-reads.ts ──────────────────────
  /** Newest first by (updated_at, id); `before` is the cursor of the last row of the previous page. */
  listThreads(userId: string, opts: { limit: number; before?: { updatedAt: number; id: string }; channelId?: string; instanceId?: string; includeArchived?: boolean }): Promise<ThreadSummary[]> {
    return reads.listThreads(this.db, userId, opts);
  }
  countThreads(filter: { instanceId?: string; channelId?: string } = {}): Promise<number> {
    return reads.countThreads(this.db, filter);
  }
  isMember(userId: string, threadId: string): Promise<boolean> {
    return reads.isMember(this.db, userId, threadId);
  }
  getThread(threadId: string): Promise<{ thread: ConnectorTables["inbox_threads"]; links: ConnectorTables["inbox_links"][]; notes: NoteView[] } | null> {
    return reads.getThread(this.db, threadId);
  }
  primaryLink(threadId: string): Promise<ConnectorTables["inbox_links"] | undefined> {
    return reads.primaryLink(this.db, threadId);
  }
  linkById(linkId: string): Promise<ConnectorTables["inbox_links"] | undefined> {
    return reads.linkById(this.db, linkId);
  }
  noteById(noteId: string): Promise<ConnectorTables["inbox_notes"] | undefined> {
    return reads.noteById(this.db, noteId);
  }
  sourcesOf(linkId: string): Promise<string[]> {
    return reads.sourcesOf(this.db, linkId);
  }
  contact(id: string | null): Promise<ConnectorTables["inbox_contacts"] | undefined> {
    return reads.contact(this.db, id);
  }

  // ── user actions (sources of write-back dispatch): inbox-user-actions.ts ──
  /** A person writes a note in taiku: never stamped with an instance, so it is dispatched (§7.10). */
  async createUserNote(userId: string, threadId: string, content: string, reNoteId: string | null): Promise<ConnectorTables["inbox_notes"]> {
    const row = await actions.createUserNote(this.db, this.clock, userId, threadId, content, reNoteId);
    this.emit([{ kind: "note", threadId, noteId: row.id, userIds: [userId] }]);
    return row;
  }
  updateUserNote(userId: string, noteId: string, content: string): Promise<ConnectorTables["inbox_notes"] | null> {
    return actions.updateUserNote(this.db, this.clock, userId, noteId, content);
  }
  /** Applies a write-back result (§4.10): key when unset, baseline hash, delivery error. */
  applyNoteResult(noteId: string, result: string | NoteWriteBackResult | void | undefined, fromUpdate: boolean): Promise<void> {
    return actions.applyNoteResult(this.db, noteId, result, fromUpdate);
  }
  setDeliveryError(noteId: string, code: string, message: string): Promise<void> {
    return actions.setDeliveryError(this.db, noteId, code, message);
  }
  /** A person changes a link's status or title: stamped as a user write, so it is dispatched. */
  updateLinkByUser(userId: string, linkId: string, patch: { status?: string | null; title?: string }): Promise<ConnectorTables["inbox_links"] | null> {
    return actions.updateLinkByUser(this.db, this.clock, userId, linkId, patch);
  }
  /** A person adds or removes a reaction; returns whether the state changed. */
  setUserReaction(userId: string, noteId: string, emoji: string, on: boolean): Promise<boolean> {
    return actions.setUserReaction(this.db, userId, noteId, emoji, on);
  }
  /** Read/unread by a person. */
  setRead(userId: string, threadId: string, unread: boolean): Promise<void> {
    return actions.setRead(this.db, userId, threadId, unread);
  }
  setTodo(userId: string, threadId: string, todo: boolean, date: string | null): Promise<void> {
    return actions.setTodo(this.db, userId, threadId, todo, date);
  }
}

function containsJson(hay: JSONValue, needle: JSONValue): boolean {
  if (needle === null || typeof needle !== "object") return hay === needle;
  if (Array.isArray(needle)) return Array.isArray(hay) && needle.every((n) => hay.some((h) => containsJson(h, n)));
  if (hay === null || typeof hay !== "object" || Array.isArray(hay)) return false;
  return Object.entries(needle).every(([k, v]) => k in hay && containsJson(hay[k]!, v));
}

export { decode };
export { contentHash, htmlToMarkdown } from "./inbox-content.js";
export type { NoteView, ThreadSummary } from "./inbox-reads.js";
