/**
 * A connector written only against seed 003's API compiles (this file is type-checked with the
 * tests) and runs end to end: connect, enable, backfill through chained runTask, webhook, write-back.
 */
import { afterEach, describe, expect, it } from "vitest";
import SeedConnector from "./fixtures/seed-connector.js";
import { harness, type Harness } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.close());

describe("seed-003 fixture connector", () => {
  it("connects, backfills exactly once per item and reports sync completion", async () => {
    h = await harness({ seed: SeedConnector });
    const { instance, channels } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
    expect(channels.map((c) => c.channel_id)).toEqual(["alpha", "beta"]);
    expect(instance.account_name).toBe("Seed Org");
    await h.rt.enableChannel(instance.id, "alpha", "u1");
    expect((await h.rt.storage.channelGet(instance.id, "alpha"))!.syncing_since).not.toBeNull();
    const ran = await h.rt.runDue();
    expect(ran).toBe(1 + 3 + 1); // onChannelEnabled, 3 batches of ≤20, setupWebhook
    expect(await h.rt.inbox.countThreads({ instanceId: instance.id })).toBe(45);
    const ch = (await h.rt.storage.channelGet(instance.id, "alpha"))!;
    expect(ch.syncing_since).toBeNull();
    expect(ch.initial_sync_completed_at).not.toBeNull();
    const threads = await h.rt.inbox.listThreads("u1", { limit: 100 });
    expect(threads).toHaveLength(45);
    expect(threads.every((t) => t.unread === false)).toBe(true); // initial sync: unread false
  });

  it("re-enable with recovering overwrites cursors and duplicates nothing", async () => {
    h = await harness({ seed: SeedConnector });
    const { instance } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
    await h.rt.enableChannel(instance.id, "alpha", "u1");
    await h.rt.runDue();
    const before = await h.db.selectFrom("inbox_notes").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    await h.rt.call(instance.id, "set", ["last_sync_token_alpha", "stale"]);
    const stale = await h.db.selectFrom("connector_kv").select("value").where("namespace", "=", instance.id).where("key", "=", "last_sync_token_alpha").executeTakeFirst();
    expect(stale!.value).toContain("stale");
    await h.rt.reauthorized(instance.id);
    expect((await h.rt.storage.channelGet(instance.id, "alpha"))!.syncing_since).not.toBeNull();
    await h.rt.runDue();
    expect(await h.rt.inbox.countThreads({ instanceId: instance.id })).toBe(45);
    const after = await h.db.selectFrom("inbox_notes").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    expect(Number(after!.n)).toBe(Number(before!.n));
    const kv = await h.db.selectFrom("connector_kv").select(["key", "value"]).where("namespace", "=", instance.id).where("key", "=", "last_sync_token_alpha").executeTakeFirst();
    expect(kv!.value).toContain("t45");
    // Two webhooks were minted (enable + recovery); both answer, and each stays bound to its callback.
    const hooks = await h.db.selectFrom("connector_webhooks").selectAll().where("deleted_at", "is", null).execute();
    expect(hooks).toHaveLength(2);
  });

  it("runs private callback targets by name and the seed's store-and-run example", async () => {
    h = await harness({ seed: SeedConnector });
    const { instance } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
    expect(await h.rt.call(instance.id, "storeAndRun", [])).toBe(42);
  });

  it("webhook for an edited item updates one thread; a note written in taiku is written back with its key", async () => {
    h = await harness({ seed: SeedConnector });
    const { instance } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
    await h.rt.enableChannel(instance.id, "alpha", "u1");
    await h.rt.runDue();
    const hook = (await h.db.selectFrom("connector_webhooks").selectAll().executeTakeFirst())!;
    const raw = JSON.stringify({ number: 7, title: "Item 7 (edited)" });
    const res = await h.rt.handleWebhook(hook.public_token, { method: "POST", headers: { "Content-Type": "application/json" }, query: {}, rawBody: raw });
    expect(res).toMatchObject({ status: 200, body: JSON.stringify({ queued: true }) });
    await h.rt.runDue();
    expect(await h.rt.inbox.countThreads({ instanceId: instance.id })).toBe(45);
    const edited = (await h.rt.inbox.listThreads("u1", { limit: 100 })).filter((t) => t.title === "Item 7 (edited)");
    expect(edited).toHaveLength(1);

    const note = await h.rt.inbox.createUserNote("u1", edited[0]!.id, "Looks good", null);
    expect(await h.rt.noteCreated("u1", note.id)).toBe(true);
    await h.rt.runDue();
    expect((await h.rt.inbox.noteById(note.id))!.key).toBe("comment-1");
    const stored = await h.db.selectFrom("connector_kv").select("value").where("namespace", "=", instance.id).where("key", "=", "comment_1").executeTakeFirst();
    expect(stored!.value).toContain("Looks good");
    expect(stored!.value).toContain("alpha"); // thread.meta.channelId from the link column
    // A note the connector saved itself is never dispatched (echo suppression).
    const own = (await h.db.selectFrom("inbox_notes").select("id").where("created_by_instance_id", "=", instance.id).executeTakeFirst())!;
    expect(await h.rt.noteCreated("u1", own.id)).toBe(false);
    // A user without an instance of this connector: nothing is dispatched.
    const other = await h.rt.inbox.createUserNote("u2", edited[0]!.id, "hi", null);
    expect(await h.rt.noteCreated("u2", other.id)).toBe(false);
  });

  it("link write-back fires for user edits and is suppressed for the connector's own saves", async () => {
    h = await harness({ seed: SeedConnector });
    const { instance } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
    await h.rt.enableChannel(instance.id, "alpha", "u1");
    await h.rt.runDue();
    const link = (await h.db.selectFrom("inbox_links").selectAll().where("primary_source", "=", "seed:item:alpha/1").executeTakeFirst())!;
    expect(await h.rt.linkUpdated("u1", link.id)).toBe(false); // last write came from the connector
    await h.rt.inbox.updateLinkByUser("u1", link.id, { status: "closed" });
    expect(await h.rt.linkUpdated("u1", link.id)).toBe(true);
    await h.rt.runDue();
    const kv = await h.db.selectFrom("connector_kv").select("value").where("namespace", "=", instance.id).where("key", "=", "written_back_status_seed:item:alpha/1").executeTakeFirst();
    expect(kv!.value).toContain("closed");
  });

  it("disable tears down: webhook answers 404, sync state cleared, token lookups return null", async () => {
    h = await harness({ seed: SeedConnector });
    const { instance } = await h.rt.connect({ twistId: "seed", ownerUserId: "u1" });
    await h.rt.enableChannel(instance.id, "alpha", "u1");
    await h.rt.runDue();
    const hook = (await h.db.selectFrom("connector_webhooks").selectAll().executeTakeFirst())!;
    await h.rt.disableChannel(instance.id, "alpha");
    await h.rt.runDue();
    expect((await h.rt.handleWebhook(hook.public_token, { method: "POST", headers: {}, query: {}, rawBody: "{}" })).status).toBe(404);
    const keys = await h.db.selectFrom("connector_kv").select("key").where("namespace", "=", instance.id).where("key", "like", "%alpha%").execute();
    expect(keys).toEqual([]);
  });
});
