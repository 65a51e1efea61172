/**
 * Write-back dispatch (spec §7.10): a person's action in taiku (a note, a link edit, read, to-do, a
 * reaction) becomes one `dispatch` task for the acting user's instance of the connector that owns the
 * link, unless it is an echo of that instance's own sync; the task calls the connector's hook.
 */
import { decode, encode } from "../sdk/serialize.js";
import {
  ActorType, type Actor, type JSONValue, type Link, type Note, type NoteWriteBackResult, type ReactionCapabilities, type Thread,
} from "../sdk/types.js";
import type { RuntimeHost } from "./host.js";
import type { TaskRow } from "./storage.js";

async function enqueueDispatch(rt: RuntimeHost, instanceId: string, hook: string, payload: Record<string, unknown>): Promise<void> {
  await rt.storage.taskInsert({ instanceId, toolPath: "", kind: "dispatch", runAt: rt.now(), methodName: hook, args: encode(payload, "dispatch"), maxAttempts: 1 });
  rt.wake();
}

/**
 * Queues `hook` for the acting user's instance of `twistId`; false when the user has none, or when
 * `isEcho` says the change was written by that instance's own sync.
 */
async function dispatchToActingInstance(
  rt: RuntimeHost, userId: string, twistId: string, hook: string, payload: Record<string, unknown>,
  isEcho?: (instanceId: string) => boolean | Promise<boolean>,
): Promise<boolean> {
  // The acting user's instance of the connector that owns the link; none: nothing is dispatched.
  const inst = await rt.storage.activeInstanceOf(userId, twistId);
  if (!inst || (isEcho && (await isEcho(inst.id)))) return false;
  await enqueueDispatch(rt, inst.id, hook, payload);
  return true;
}

/** A person's note (not a connector's) on a link of a connector that handles replies; edits only by its author. */
async function noteWritten(rt: RuntimeHost, userId: string, noteId: string, hook: "onNoteCreated" | "onNoteUpdated"): Promise<boolean> {
  const note = await rt.inbox.noteById(noteId);
  if (!note || note.created_by_instance_id !== null || (hook === "onNoteUpdated" && note.author_user_id !== userId) || !note.link_id) return false;
  const link = await rt.inbox.linkById(note.link_id);
  if (!link || rt.registered(link.twist_id)?.handleReplies !== true) return false;
  return dispatchToActingInstance(rt, userId, link.twist_id, hook, { noteId, linkId: link.id, userId });
}

/** A person created a note in taiku. Returns true when a write-back was queued. */
export async function noteCreated(rt: RuntimeHost, userId: string, noteId: string): Promise<boolean> {
  return noteWritten(rt, userId, noteId, "onNoteCreated");
}

export async function noteUpdated(rt: RuntimeHost, userId: string, noteId: string): Promise<boolean> {
  return noteWritten(rt, userId, noteId, "onNoteUpdated");
}

export async function linkUpdated(rt: RuntimeHost, userId: string, linkId: string): Promise<boolean> {
  const link = await rt.inbox.linkById(linkId);
  if (!link || link.updated_by_kind === "instance") return false; // echo: the connector's own sync wrote it
  return dispatchToActingInstance(rt, userId, link.twist_id, "onLinkUpdated", { linkId, userId });
}

export async function threadRead(rt: RuntimeHost, userId: string, threadId: string, unread: boolean): Promise<boolean> {
  return threadHook(rt, userId, threadId, "onThreadRead", { unread });
}
export async function threadToDo(rt: RuntimeHost, userId: string, threadId: string, todo: boolean, date: string | null): Promise<boolean> {
  return threadHook(rt, userId, threadId, "onThreadToDo", { todo, date });
}
async function threadHook(rt: RuntimeHost, userId: string, threadId: string, hook: "onThreadRead" | "onThreadToDo", extra: Record<string, unknown>): Promise<boolean> {
  const link = await rt.inbox.primaryLink(threadId);
  if (!link) return false;
  return dispatchToActingInstance(rt, userId, link.twist_id, hook, { linkId: link.id, userId, ...extra }, async (instanceId) => {
    const state = await rt.storage.db.selectFrom("inbox_thread_state").select(["read_source", "todo_source"]).where("thread_id", "=", threadId).where("user_id", "=", userId).executeTakeFirst();
    return (hook === "onThreadRead" ? state?.read_source : state?.todo_source) === instanceId;
  });
}

/**
 * A person added or removed a reaction (§2.10): one dispatch of `onNoteReactionChanged` to the reacting
 * user's instance of the connector that owns the note's link, when `reactionCapabilities` accepts the
 * emoji. `source` is the instance that wrote the transition (null for a person): a reaction written by
 * that instance's own sync is an echo and is not dispatched back.
 */
export async function noteReactionChanged(rt: RuntimeHost, userId: string, noteId: string, emoji: string, added: boolean, source: string | null = null): Promise<boolean> {
  const note = await rt.inbox.noteById(noteId);
  const link = note?.link_id ? await rt.inbox.linkById(note.link_id) : undefined;
  if (!note || !link || !rt.registered(link.twist_id)) return false;
  if (!reactionAllowed(rt.metadata(link.twist_id).reactionCapabilities as ReactionCapabilities | undefined, emoji)) return false;
  return dispatchToActingInstance(rt, userId, link.twist_id, "onNoteReactionChanged", { noteId, linkId: link.id, userId, emoji, added }, (instanceId) => source === instanceId);
}

async function actorOf(rt: RuntimeHost, userId: string): Promise<Actor> {
  const u = await rt.users.user(userId).catch(() => null);
  return { id: userId, type: ActorType.User, email: u?.email ?? null, name: u?.name ?? null };
}

async function linkObject(rt: RuntimeHost, linkId: string): Promise<{ link: Link; thread: Thread } | null> {
  const l = await rt.inbox.linkById(linkId);
  if (!l) return null;
  const t = await rt.storage.db.selectFrom("inbox_threads").selectAll().where("id", "=", l.thread_id).executeTakeFirst();
  const sources = await rt.inbox.sourcesOf(l.id);
  const meta = (l.meta ? JSON.parse(l.meta) : {}) as Record<string, JSONValue>;
  const link: Link = {
    threadId: l.thread_id, source: sources[0] ?? l.primary_source, sources, created: new Date(Number(l.created_at)), author: null, title: l.title, preview: l.preview,
    assignee: null, type: l.type, status: l.status, actions: l.actions ? decode(l.actions) : null, meta, sourceUrl: l.source_url, channelId: l.channel_id, priority: l.priority,
  };
  const thread: Thread = {
    id: l.thread_id, created: new Date(Number(t?.created_at ?? l.created_at)), archived: t?.archived === 1, tags: {}, reactions: {}, title: t?.title ?? l.title,
    meta: { ...meta, channelId: l.channel_id },
  };
  return { link, thread };
}

/** Runs one `dispatch` task: rebuilds the SDK objects the hook takes and calls it. */
export async function runDispatch(rt: RuntimeHost, row: TaskRow): Promise<void> {
  const p = decode<{ noteId?: string; linkId: string; userId: string; unread?: boolean; todo?: boolean; date?: string | null; emoji?: string; added?: boolean }>(row.args ?? "{}");
  const hook = row.method_name!;
  const lt = await linkObject(rt, p.linkId);
  if (!lt) return;
  const actor = await actorOf(rt, p.userId);
  if (hook === "onNoteCreated" || hook === "onNoteUpdated") {
    const n = await rt.inbox.noteById(p.noteId!);
    if (!n) return;
    const thread = { ...lt.thread, meta: { ...lt.thread.meta } };
    if (n.re_note_id) {
      const re = await rt.inbox.noteById(n.re_note_id);
      if (re?.key) thread.meta!.reNoteKey = re.key;
    }
    const note: Note = {
      id: n.id, created: new Date(Number(n.created_at)), archived: n.archived === 1, tags: {}, reactions: {}, author: actor, key: n.key, thread,
      content: n.content, actions: n.actions ? decode(n.actions) : null, reNote: n.re_note_id ? { id: n.re_note_id } : null, mentions: [], accessContacts: null,
    };
    try {
      const result = await rt.call<string | NoteWriteBackResult | void>(row.instance_id, hook, [note, thread], "dispatch");
      await rt.inbox.applyNoteResult(n.id, result, hook === "onNoteUpdated");
    } catch (err) {
      await rt.inbox.setDeliveryError(n.id, "send_failed", "Failed to send");
      throw err;
    }
    return;
  }
  if (hook === "onNoteReactionChanged") {
    const n = await rt.inbox.noteById(p.noteId!);
    if (!n) return;
    // Partial note and thread, as the spec says (§3.x onNoteReactionChanged).
    const note = { id: n.id, key: n.key, content: n.content } as Note;
    return void (await rt.call(row.instance_id, hook, [note, lt.thread, actor, p.emoji!, p.added === true], "dispatch"));
  }
  if (hook === "onLinkUpdated") return void (await rt.call(row.instance_id, hook, [lt.link], "dispatch"));
  if (hook === "onThreadRead") return void (await rt.call(row.instance_id, hook, [lt.thread, actor, p.unread === true], "dispatch"));
  if (hook === "onThreadToDo") return void (await rt.call(row.instance_id, hook, [lt.thread, actor, p.todo === true, p.date ? { date: new Date(p.date) } : {}], "dispatch"));
  throw new Error(`Unknown dispatch hook ${hook}`);
}

/** Whether a connector's `reactionCapabilities` accepts an emoji (§4.9); undefined means no reactions. */
export function reactionAllowed(caps: ReactionCapabilities | undefined, emoji: string): boolean {
  if (!caps) return false;
  if (caps.mode === "fixed") return caps.allowed.includes(emoji);
  if (caps.mode === "unicode-subset") return caps.subset ? caps.subset.includes(emoji) : !emoji.includes(":");
  return !emoji.includes(":") || caps.customEmoji === "workspace";
}
