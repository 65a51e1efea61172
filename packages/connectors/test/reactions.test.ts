/**
 * Reaction write-back (spec §2.10, §3.x `onNoteReactionChanged`): one dispatch per real transition to
 * the reacting user's instance, gated by `reactionCapabilities`, with echo suppression.
 */
import { afterEach, describe, expect, it } from "vitest";
import { reactionAllowed, type Actor, type Note, type Thread } from "@taiku/connectors";
import SeedConnector from "./fixtures/seed-connector.js";
import { harness, taskRows, type Harness } from "./helpers.js";

class ReactingSeed extends SeedConnector {
  override readonly reactionCapabilities = { mode: "fixed" as const, allowed: ["👍", "🎉"] };
  override async onNoteReactionChanged(note: Note, thread: Thread, actor: Actor, emoji: string, added: boolean): Promise<void> {
    const log = (await this.get<unknown[]>("reaction_log")) ?? [];
    await this.set("reaction_log", [...log, { note: note.id, key: note.key, thread: thread.id, actor: actor.id, emoji, added }]);
  }
}

let h: Harness;
afterEach(async () => h?.close());

async function setup(cls: typeof SeedConnector = ReactingSeed) {
  h = await harness({ seed: cls });
  const { instance } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
  await h.rt.enableChannel(instance.id, "alpha", "u1");
  await h.rt.runDue();
  const note = (await h.db.selectFrom("inbox_notes as n").innerJoin("inbox_links as l", "l.id", "n.link_id").select(["n.id", "n.thread_id"])
    .where("l.primary_source", "=", "seed:item:alpha/1").where("n.key", "=", "description").executeTakeFirst())!;
  const log = async () => ((await h.rt.call(instance.id, "get", ["reaction_log"])) as unknown[] | undefined) ?? [];
  const dispatches = async () => (await taskRows(h)).filter((t) => t.kind === "dispatch").length;
  return { instance, note, log, dispatches };
}

describe("reaction write-back dispatch", () => {
  it("dispatches an add and a remove to the reacting user's instance with a partial note and thread", async () => {
    const { note, log } = await setup();
    expect(await h.rt.inbox.setUserReaction("u1", note.id, "👍", true)).toBe(true);
    expect(await h.rt.noteReactionChanged("u1", note.id, "👍", true)).toBe(true);
    await h.rt.runDue();
    expect(await h.rt.inbox.setUserReaction("u1", note.id, "👍", true)).toBe(false); // no transition
    expect(await h.rt.inbox.setUserReaction("u1", note.id, "👍", false)).toBe(true);
    expect(await h.rt.noteReactionChanged("u1", note.id, "👍", false)).toBe(true);
    await h.rt.runDue();
    expect(await log()).toEqual([
      { note: note.id, key: "description", thread: note.thread_id, actor: "u1", emoji: "👍", added: true },
      { note: note.id, key: "description", thread: note.thread_id, actor: "u1", emoji: "👍", added: false },
    ]);
    expect((await h.rt.inbox.getThread(note.thread_id))!.notes.find((n) => n.id === note.id)!.reactions).toEqual({});
  });

  it("gates on reactionCapabilities and the user's instance, and suppresses the connector's own writes", async () => {
    const { instance, note, log, dispatches } = await setup();
    const before = await dispatches();
    expect(await h.rt.noteReactionChanged("u1", note.id, "😄", true)).toBe(false); // not in `allowed`
    expect(await h.rt.noteReactionChanged("u2", note.id, "👍", true)).toBe(false); // no instance of u2
    expect(await h.rt.noteReactionChanged("u1", note.id, "🎉", true, instance.id)).toBe(false); // echo
    // The connector's sync writing reactions (setNoteReactions) stamps them with the instance: no dispatch.
    await h.rt.inbox.setNoteReactions({ instanceId: instance.id, twistId: "seed", ownerUserId: "u1" }, { source: "seed:item:alpha/1" }, "description", { "🎉": [{ email: "user1@example.com" }] });
    expect(Object.keys((await h.rt.inbox.getThread(note.thread_id))!.notes.find((n) => n.id === note.id)!.reactions)).toEqual(["🎉"]);
    await h.rt.runDue();
    expect(await dispatches()).toBe(before);
    expect(await log()).toEqual([]);
  });

  it("dispatches nothing for a connector without reactionCapabilities", async () => {
    const { note } = await setup(SeedConnector);
    expect(await h.rt.noteReactionChanged("u1", note.id, "👍", true)).toBe(false);
  });

  it("reactionAllowed follows the three capability modes", () => {
    expect(reactionAllowed(undefined, "👍")).toBe(false);
    expect(reactionAllowed({ mode: "fixed", allowed: ["👍"] }, "👍")).toBe(true);
    expect(reactionAllowed({ mode: "fixed", allowed: ["👍"] }, "👀")).toBe(false);
    expect(reactionAllowed({ mode: "unicode-subset", subset: ["👀"] }, "👀")).toBe(true);
    expect(reactionAllowed({ mode: "unicode-subset", subset: ["👀"] }, "👍")).toBe(false);
    expect(reactionAllowed({ mode: "open-unicode" }, "slack:T1/party")).toBe(false);
    expect(reactionAllowed({ mode: "open-unicode", customEmoji: "workspace" }, "slack:T1/party")).toBe(true);
  });
});
