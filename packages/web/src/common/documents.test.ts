/** Review mends of the documents client (doc-sync.ts, documents.ts): reopen races, cursor removal, peers' states. */
import { aad, importAeadKey, randomBytes, sealFrame, type AeadKey } from "@taiku/crypto";
import type { ClientMessage, DocSeqFrame, ServerMsg } from "@taiku/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DOC_TEXT, DocSync } from "./doc-sync.js";
import { DocumentHub } from "./documents.js";
import { FakeClock, until } from "./testing/fakes.js";

const SID = "abcDEF1234";
const DOC = "Doc123456789";
const OTHER = 9;
let key: AeadKey;
beforeAll(async () => {
  key = await importAeadKey(randomBytes(32));
});

type Msg<T extends ClientMessage["t"]> = Extract<ClientMessage, { t: T }>;

/** Another writer's edits, each one Yjs update sealed as a relayed frame with seq = counter. */
async function othersFrames(edits: [number, string][]): Promise<DocSeqFrame[]> {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  for (const [at, s] of edits) doc.getText(DOC_TEXT).insert(at, s);
  doc.destroy();
  return Promise.all(updates.map(async (u, i) => {
    const counter = i + 1;
    const { n, c } = await sealFrame(key, u, aad.doc(SID, DOC, OTHER, counter));
    return { seq: counter, userId: OTHER, counter, n, c };
  }));
}

function sender(sent: ClientMessage[], clock = new FakeClock()) {
  return { sessionId: SID, clock, keys: () => [key], send: (m: ClientMessage) => (sent.push(m), true) };
}

const awarenessOf = (sent: ClientMessage[]) => sent.filter((m): m is Msg<"docAwareness"> => m.t === "docAwareness");
const relayed = (m: Msg<"docAwareness">, userId: number): ServerMsg<"docAwareness"> => ({ t: "docAwareness", docId: DOC, userId, counter: m.counter, frame: m.frame });

describe("documents: review mends", () => {
  it("a document opened again while it closes loses no frames: none before its subscription, all of its replay", async () => {
    const sent: ClientMessage[] = [];
    const hub = new DocumentHub({ ...sender(sent), title: () => {}, warning: () => {} });
    hub.connected(5, true);
    const first = hub.open(DOC);
    const frames = await othersFrames([[0, "hello "], [6, "world"], [11, "!"], [12, "?"]]);
    await hub.handle({ t: "docUpdates", docId: DOC, frames: frames.slice(0, 2) });
    expect(first.text.toString()).toBe("hello world");
    // Closing waits for the frames being sealed (e.g. "my cursor is gone"): hold that here.
    let unblock = () => {};
    const internals = first as unknown as { outbound: Promise<void> };
    internals.outbound = internals.outbound.then(() => new Promise<void>((r) => (unblock = r)));
    hub.release(DOC);
    await until(() => hub.get(DOC) === undefined);
    expect(sent.some((m) => m.t === "docUnsubscribe")).toBe(false); // still closing

    // Opened again: the old subscription still brings live frames until the relay has its docUnsubscribe.
    const again = hub.open(DOC);
    await hub.handle({ t: "docUpdates", docId: DOC, frames: [frames[2]!] });
    expect(sent.filter((m) => m.t === "docSubscribe")).toHaveLength(1);
    unblock();
    await until(() => sent.filter((m) => m.t === "docSubscribe").length === 2);
    expect(sent.slice(-2).map((m) => m.t)).toEqual(["docUnsubscribe", "docSubscribe"]);
    expect((sent.at(-1) as Msg<"docSubscribe">).fromSeq).toBe(0);
    // A live frame relayed before the relay saw the docUnsubscribe arrives ahead of the replay.
    await hub.handle({ t: "docUpdates", docId: DOC, frames: [frames[3]!] });
    await hub.handle({ t: "docUpdates", docId: DOC, frames });
    expect(again.text.toString()).toBe("hello world!?");
    expect(again.lastSeq).toBe(4);
    hub.release(DOC);
  });

  it("closing right after a cursor change still tells the others the cursor is gone", async () => {
    const sent: ClientMessage[] = [];
    const sync = new DocSync(DOC, sender(sent));
    sync.connect(1, true);
    await sync.receive({ t: "docUpdates", docId: DOC, frames: [] });
    const other = new DocSync(DOC, sender([]));
    sync.awareness.setLocalState({ user: { name: "me" } });
    await until(() => awarenessOf(sent).length === 1);
    await other.receiveAwareness(relayed(awarenessOf(sent)[0]!, 1));
    expect(other.awareness.getStates().has(sync.doc.clientID)).toBe(true);
    // The tile goes (its cursor with it) within the gap between two cursor frames, and the document closes.
    sync.awareness.setLocalState(null);
    await sync.close();
    expect(awarenessOf(sent)).toHaveLength(2);
    await other.receiveAwareness(relayed(awarenessOf(sent)[1]!, 1));
    expect(other.awareness.getStates().has(sync.doc.clientID)).toBe(false);
    await other.close();
  });

  it("a cursor state still being opened when its participant leaves does not bring the cursor back", async () => {
    const sent: ClientMessage[] = [];
    const sync = new DocSync(DOC, sender(sent));
    sync.connect(1, true);
    await sync.receive({ t: "docUpdates", docId: DOC, frames: [] });
    const other = new DocSync(DOC, sender([]));
    sync.awareness.setLocalState({ user: { name: "me" } });
    await until(() => awarenessOf(sent).length === 1);
    // The relay sends the last state of a leaving participant, then `userDiff` (left) right behind it.
    const opening = other.receiveAwareness(relayed(awarenessOf(sent)[0]!, 1));
    const left = other.userLeft(1);
    await Promise.all([opening, left]);
    expect(other.awareness.getStates().has(sync.doc.clientID)).toBe(false);
    await Promise.all([sync.close(), other.close()]);
  });

  it("a peer's cursor name and colors are checked before the editor renders them", async () => {
    const sent: ClientMessage[] = [];
    const clock = new FakeClock();
    const sync = new DocSync(DOC, sender(sent, clock));
    sync.connect(1, true);
    await sync.receive({ t: "docUpdates", docId: DOC, frames: [] });
    const other = new DocSync(DOC, sender([]));
    // y-codemirror puts `color` / `colorLight` into a style attribute: this one would cover the page.
    const hostile = { name: "x".repeat(500), color: "red; position: fixed; inset: 0; background: url(data:image/svg+xml,...)", colorLight: "#fff; z-index: 9" };
    sync.awareness.setLocalState({ user: hostile, cursor: null });
    await until(() => awarenessOf(sent).length === 1);
    await other.receiveAwareness(relayed(awarenessOf(sent)[0]!, 1));
    const state = other.awareness.getStates().get(sync.doc.clientID)!;
    expect(state.user).toEqual({ name: "x".repeat(64) });
    expect(state.cursor).toBeNull();
    // Well-formed states pass unchanged.
    const fine = { name: "Ann", color: "#f87171", colorLight: "#f8717133" };
    clock.advance(1000);
    sync.awareness.setLocalState({ user: fine });
    await until(() => awarenessOf(sent).length === 2);
    await other.receiveAwareness(relayed(awarenessOf(sent)[1]!, 1));
    expect(other.awareness.getStates().get(sync.doc.clientID)!.user).toEqual(fine);
    await Promise.all([sync.close(), other.close()]);
  });

  it("closing the client closes its open documents: the cursor removal goes out, the Yjs state is freed", async () => {
    const sent: ClientMessage[] = [];
    const hub = new DocumentHub({ ...sender(sent), title: () => {}, warning: () => {} });
    hub.connected(5, true);
    const sync = hub.open(DOC);
    await hub.handle({ t: "docUpdates", docId: DOC, frames: [] });
    sync.awareness.setLocalState({ user: { name: "Ann" }, cursor: null });
    await until(() => awarenessOf(sent).length === 1);
    hub.closeAll();
    expect(hub.get(DOC)).toBeUndefined();
    await until(() => sync.doc.isDestroyed);
    expect(awarenessOf(sent)).toHaveLength(2); // "my cursor is gone"
  });
});
