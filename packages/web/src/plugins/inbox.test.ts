import { describe, expect, it } from "vitest";
import { InboxEventStream, type EventSourceLike } from "./inbox-events.js";
import { harness, registered } from "./testing.js";

const reader = registered({ id: "t.inbox-reader", permissions: ["inbox.read", "events.subscribe"] });
const writer = registered({ id: "t.inbox", permissions: ["inbox.read", "inbox.write", "events.subscribe"] });
const outsider = registered({ id: "t.outsider", permissions: ["session.read", "events.subscribe"] });

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("inbox.* bridge methods", () => {
  it("refuse a plugin without the permission, and a signed-out page, before any request", async () => {
    const h = harness([outsider, reader, writer], { signedIn: false });
    expect(await h.frame("t.outsider").request("inbox.list")).toEqual({ error: "Permission denied: inbox.read is required for inbox.list" });
    expect(await h.frame("t.inbox-reader").request("inbox.reply", { threadId: "t1", content: "hi" })).toEqual({ error: "Permission denied: inbox.write is required for inbox.reply" });
    expect(await h.frame("t.inbox").request("inbox.reply", { threadId: "t1" })).toEqual({ error: "Invalid params: content is required" });
    expect(await h.frame("t.inbox").request("inbox.list")).toEqual({ error: "Not signed in" });
    expect(h.fetches).toEqual([]);
  });

  it("map one to one onto the inbox HTTP API as the signed-in user", async () => {
    const h = harness([writer], {
      signedIn: true,
      fetch: async (url, init) => {
        if (url.startsWith("/api/v1/inbox/threads?")) return json({ threads: [{ id: "t1" }], next: null });
        if (url === "/api/v1/inbox/threads/t%2F1") return json({ thread: { id: "t/1" }, links: [], notes: [] });
        if (url === "/api/v1/inbox/threads/t1/notes" && init?.method === "POST") return json({ note: { id: "n1", content: "On it", createdAt: 1 }, writeBack: true });
        if (url === "/api/v1/inbox/links/l1" && init?.method === "PATCH") return json({ writeBack: true });
        if (url === "/api/v1/inbox/threads/t1/state" && init?.method === "PUT") return json({ writeBack: false });
        if (url === "/api/v1/inbox/notes/n%2F1/reactions" && init?.method === "PUT") return json({ reactions: { "👍": ["u1"] }, writeBack: true });
        if (url === "/api/v1/connectors/connections") return json({ connections: [] });
        return new Response("Thread not found", { status: 404 });
      },
    });
    const { request } = h.frame("t.inbox");
    expect(await request("inbox.list", { limit: 5, channel: "octo/hello" })).toEqual({ result: { threads: [{ id: "t1" }], next: null } });
    expect(h.fetches[0]!.url).toBe("/api/v1/inbox/threads?limit=5&channel=octo%2Fhello");
    expect(await request("inbox.get", { threadId: "t/1" })).toEqual({ result: { thread: { id: "t/1" }, links: [], notes: [] } });
    expect(await request("inbox.reply", { threadId: "t1", content: "On it" })).toEqual({ result: { note: { id: "n1", content: "On it", createdAt: 1 }, writeBack: true } });
    expect(JSON.parse(String(h.fetches.at(-1)!.init!.body))).toEqual({ content: "On it" });
    expect(await request("inbox.setStatus", { linkId: "l1", status: "closed" })).toEqual({ result: { writeBack: true } });
    expect(JSON.parse(String(h.fetches.at(-1)!.init!.body))).toEqual({ status: "closed" });
    expect(await request("inbox.setState", { threadId: "t1", unread: false })).toEqual({ result: { writeBack: false } });
    expect(await request("inbox.setState", { threadId: "t1" })).toEqual({ error: "Invalid params: unread or todo is required" });
    expect(await request("inbox.react", { noteId: "n/1", emoji: "👍", on: true })).toEqual({ result: { reactions: { "👍": ["u1"] }, writeBack: true } });
    expect(JSON.parse(String(h.fetches.at(-1)!.init!.body))).toEqual({ emoji: "👍", on: true });
    expect(await request("inbox.react", { noteId: "n1", emoji: "👍" })).toEqual({ error: "Invalid params: on is required" });
    expect(await request("inbox.connections")).toEqual({ result: { connections: [] } });
    expect(await request("inbox.get", { threadId: "zzz" })).toEqual({ error: "Thread not found" });
  });

  it("turn 503 and 401 into the documented texts", async () => {
    let status = 503;
    const h = harness([writer], { signedIn: true, fetch: async () => new Response("whatever", { status }) });
    const { request } = h.frame("t.inbox");
    expect(await request("inbox.list")).toEqual({ error: "Connectors are not enabled on this server" });
    status = 401;
    expect(await request("inbox.list")).toEqual({ error: "Not signed in" });
  });
});

class FakeSource implements EventSourceLike {
  closed = false;
  readonly listeners = new Map<string, (e: { data: string }) => void>();
  addEventListener(type: string, fn: (e: { data: string }) => void) {
    this.listeners.set(type, fn);
  }
  close() {
    this.closed = true;
  }
}

describe("inbox events", () => {
  it("opens the stream only for a signed-in page with an inbox.read plugin, and gates delivery by inbox.read", async () => {
    const h = harness([writer, outsider], { signedIn: true });
    const opened: FakeSource[] = [];
    const stream = new InboxEventStream({ open: () => (opened.push(new FakeSource()), opened.at(-1)!), emit: (t, d) => h.host.emit(t, d) });
    stream.update([outsider], true);
    expect(opened).toHaveLength(0);
    stream.update([outsider, writer], false);
    expect(opened).toHaveLength(0);
    stream.update([outsider, writer], true);
    stream.update([outsider, writer], true);
    expect(opened).toHaveLength(1);

    const a = h.frame("t.inbox");
    const b = h.frame("t.outsider");
    expect(await a.request("subscribeEvents")).toMatchObject({ result: { ok: true } });
    expect(await b.request("subscribeEvents")).toMatchObject({ result: { ok: true } });
    opened[0]!.listeners.get("thread")!({ data: JSON.stringify({ threadId: "t1", created: true }) });
    opened[0]!.listeners.get("note")!({ data: JSON.stringify({ threadId: "t1", noteId: "n9" }) });
    opened[0]!.listeners.get("note")!({ data: "not json" });
    expect(a.win.events()).toEqual([
      { type: "inbox.thread_updated", data: { threadId: "t1", created: true }, timestamp: 1_000_000 },
      { type: "inbox.note_added", data: { threadId: "t1", noteId: "n9" }, timestamp: 1_000_000 },
    ]);
    expect(b.win.events()).toEqual([]);
    stream.update([outsider], true);
    expect(opened[0]!.closed).toBe(true);
  });
});
