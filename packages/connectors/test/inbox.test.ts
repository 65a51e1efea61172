/** The inbox data plane (spec §7.9): upserts by source and note key, the write-back baseline, notes, contacts, archive. */
import { afterEach, describe, expect, it } from "vitest";
import { contentHash, Inbox, ManualClock, type NewLinkWithNotes } from "@taiku/connectors";
import { openDb } from "./helpers.js";

const ctx = { instanceId: "inst-1", twistId: "tw", ownerUserId: "u1" };
let close: (() => Promise<void>) | null = null;
afterEach(async () => { await close?.(); close = null; });

async function inbox() {
  const { db } = await openDb();
  close = () => db.destroy();
  return { db, inbox: new Inbox(db, new ManualClock()) };
}
const link = (n: number, extra: Partial<NewLinkWithNotes> = {}): NewLinkWithNotes => ({
  source: `t:${n}`, channelId: "c", type: "issue", status: "open", title: `T${n}`, author: { name: "A", source: { accountId: "a" } },
  notes: [{ key: "description", content: `body ${n}`, author: { name: "A", source: { accountId: "a" } } }], ...extra,
});
const count = async (db: Awaited<ReturnType<typeof inbox>>["db"], table: "inbox_threads" | "inbox_links" | "inbox_notes" | "inbox_link_sources" | "inbox_contacts") =>
  Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirst())!.n);

describe("inbox data plane", () => {
  it("creates a batch in one go, isolates a bad item, and converges replays and overlapping sources", async () => {
    const { db, inbox: ib } = await inbox();
    const first = await ib.saveLinks(ctx, [link(1), link(2), { channelId: "c", title: "no source" }, link(3)]);
    expect(first[2]).toBeNull();
    expect(first.filter(Boolean)).toHaveLength(3);
    expect(await count(db, "inbox_contacts")).toBe(1); // the same accountId once
    // Replay with an edited title and one more source: same thread, sources merged, still one note.
    const again = await ib.saveLinks(ctx, [link(1, { title: "T1 edited", sources: ["t:1", "alias:1"] }), link(2, { title: undefined })]);
    expect(again).toEqual([first[0], first[1]]);
    expect(await count(db, "inbox_threads")).toBe(3);
    expect(await count(db, "inbox_notes")).toBe(3);
    expect(await count(db, "inbox_link_sources")).toBe(4);
    const t1 = await ib.getThread(first[0]!);
    expect(t1!.thread.title).toBe("T1 edited");
    expect((await ib.getThread(first[1]!))!.thread.title).toBe("T2"); // omitted title keeps the old one
    // A link known only by its alias lands on the same thread; two new items overlapping each other share one.
    expect((await ib.saveLinks(ctx, [{ ...link(9), source: "alias:1" }]))[0]).toBe(first[0]);
    const pair = await ib.saveLinks(ctx, [{ ...link(20), sources: ["x:1"] }, { ...link(21), sources: ["x:1", "x:2"] }]);
    expect(pair[0]).toBe(pair[1]);
    expect((await ib.saveLinks(ctx, [link(99, { updateOnly: true })]))[0]).toBeNull();
    // Seed-era connectors without a top-level channelId: meta.channelId is used.
    const seedEra = { ...link(50), meta: { channelId: "from-meta" } } as NewLinkWithNotes;
    delete seedEra.channelId;
    await ib.saveLinks(ctx, [seedEra]);
    expect((await db.selectFrom("inbox_links").select("channel_id").where("primary_source", "=", "t:50").executeTakeFirst())!.channel_id).toBe("from-meta");
  });

  it("keeps taiku's note while the external side still holds what was written back (baseline)", async () => {
    const { inbox: ib } = await inbox();
    const [threadId] = await ib.saveLinks(ctx, [link(1)]);
    const note = await ib.createUserNote("u1", threadId!, "**rich** text", null);
    await ib.applyNoteResult(note.id, { key: "comment-7", externalContent: "rich text" }, false);
    expect((await ib.noteById(note.id))!.external_content_hash).toBe(contentHash("rich text"));
    await ib.saveLinks(ctx, [link(1, { notes: [{ key: "comment-7", content: "rich text" }] })]);
    let notes = (await ib.getThread(threadId!))!.notes;
    expect(notes.filter((n) => n.key === "comment-7").map((n) => n.content)).toEqual(["**rich** text"]);
    await ib.saveLinks(ctx, [link(1, { notes: [{ key: "comment-7", content: "edited upstream" }] })]);
    notes = (await ib.getThread(threadId!))!.notes;
    expect(notes.filter((n) => n.key === "comment-7").map((n) => n.content)).toEqual(["edited upstream"]);
    // HTML is converted; the baseline hashes the content as emitted.
    await ib.saveLinks(ctx, [link(1, { notes: [{ key: "html", content: "<p>Hi&nbsp;<b>there</b></p><br>", contentType: "html" }] })]);
    expect((await ib.getThread(threadId!))!.notes.find((n) => n.key === "html")!.content).toBe("Hi there");
  });

  it("saveNotes by source and by thread id, null when unplaceable, find-or-create with a note link", async () => {
    const { inbox: ib } = await inbox();
    const [threadId] = await ib.saveLinks(ctx, [link(1)]);
    const ids = await ib.saveNotes(ctx, [
      { thread: { source: "t:1" }, key: "c1", content: "one" },
      { thread: { id: threadId! }, key: "c2", content: "two" },
      { thread: { source: "t:404" }, key: "c3", content: "lost" },
      { thread: { source: "meeting:1" }, key: "m", content: "notes", link: { title: "Meeting", channelId: "c" } },
    ]);
    expect(ids[0]).toBeTruthy();
    expect(ids[1]).toBeTruthy();
    expect(ids[2]).toBeNull();
    expect(ids[3]).toBeTruthy();
    expect((await ib.getThread(threadId!))!.notes.map((n) => n.key)).toEqual(["description", "c1", "c2"]);
    expect(await ib.saveNotes(ctx, [{ thread: { source: "t:1" }, key: "c1", content: "one, edited" }])).toEqual([ids[0]]);
  });

  it("contacts dedupe by account id then email; archiveLinks matches meta by containment; to-do by source", async () => {
    const { db, inbox: ib } = await inbox();
    const a = await ib.saveContacts(ctx, [{ name: "Ann", source: { accountId: "42" } }, { email: "Bob@Example.com" }]);
    const b = await ib.saveContacts(ctx, [{ name: "Ann B.", source: { accountId: "42" } }, { email: "bob@example.com", name: "Bob" }]);
    expect(b.map((x) => x.id)).toEqual(a.map((x) => x.id));
    await expect(ib.saveContacts(ctx, [{}])).rejects.toThrow(/email or a name/);
    const [t1, t2] = await ib.saveLinks(ctx, [link(1, { meta: { repo: "a/b", n: 1 } }), link(2, { meta: { repo: "c/d" } })]);
    await ib.archiveLinks(ctx, { meta: { repo: "a/b" } });
    expect((await ib.getThread(t1!))!.thread.archived).toBe(1);
    expect((await ib.getThread(t2!))!.thread.archived).toBe(0);
    await ib.setThreadToDo(ctx, "t:2", "u1", true, "2026-02-01");
    const st = await db.selectFrom("inbox_thread_state").selectAll().where("thread_id", "=", t2!).where("user_id", "=", "u1").executeTakeFirst();
    expect(st).toMatchObject({ todo: 1, todo_date: "2026-02-01", todo_source: "inst-1" });
    expect((await ib.listThreads("u1", { limit: 10 })).map((t) => t.id)).toEqual([t2]); // archived hidden
  });
});
