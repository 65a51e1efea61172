/** Telegram outbox semantics (takopi tests/test_telegram_queue.py) with manual timers. */
import { describe, expect, it } from "vitest";
import { ManualTimers, RetryAfter, TelegramOutbox } from "../src/index.js";

function setup() {
  const timers = new ManualTimers();
  const outbox = new TelegramOutbox({ timers });
  const log: Array<[string, number]> = [];
  const op = (key: string, kind: "send" | "edit" | "delete", chatId: number, label = key, fail?: () => unknown) =>
    outbox.enqueue({ key, kind, chatId, run: async () => { log.push([label, timers.now()]); if (fail) { const e = fail(); if (e) throw e; } return label; } });
  return { timers, outbox, log, op };
}
const flush = async () => { for (let i = 0; i < 20; i++) await Promise.resolve(); };

describe("TelegramOutbox", () => {
  it("coalesces pending edits of one message to the latest", async () => {
    const { timers, op, log } = setup();
    const first = op("edit:1:5", "edit", 1, "first");
    await flush();
    const second = op("edit:1:5", "edit", 1, "second");
    const third = op("edit:1:5", "edit", 1, "third");
    await timers.advance(5000);
    expect(await first).toBe("first");
    expect(await second).toBeNull();
    expect(await third).toBe("third");
    expect(log.map((l) => l[0])).toEqual(["first", "third"]);
  });

  it("paces 1 s in private chats and 3 s in groups; a send pre-empts a pending edit", async () => {
    const { timers, op, log } = setup();
    void op("a", "send", 7);
    await flush();
    void op("edit:7:1", "edit", 7, "edit");
    void op("b", "send", 7);
    await timers.advance(1000);
    void op("g", "send", -100);
    await timers.advance(10_000);
    // sends go before the older edit; after a group op the next start waits 3 s
    expect(log).toEqual([["a", 0], ["b", 1000], ["g", 2000], ["edit", 5000]]);
    const t = new ManualTimers();
    const o2 = new TelegramOutbox({ timers: t });
    const times: number[] = [];
    for (const k of ["x", "y"]) void o2.enqueue({ key: k, kind: "send", chatId: -5, run: async () => times.push(t.now()) });
    await t.advance(10_000);
    expect(times).toEqual([0, 3000]);
  });

  it("honours retry_after: waits, then retries the op once", async () => {
    const { timers, op, log } = setup();
    let fails = 1;
    const r = op("s", "send", 1, "s", () => (fails-- > 0 ? new RetryAfter(7) : null));
    await timers.advance(6999);
    expect(log.map((l) => l[1])).toEqual([0]);
    await timers.advance(10);
    expect(await r).toBe("s");
    expect(log.map((l) => l[1])).toEqual([0, 7000]);
  });

  it("a delete drops pending edits of that message; close resolves pending ops with null", async () => {
    const { timers, op, outbox, log } = setup();
    void op("first", "send", 1);
    await flush();
    const e = op("edit:1:9", "edit", 1, "edit");
    outbox.drop("edit:1:9");
    void op("delete:1:9", "delete", 1, "delete");
    await timers.advance(5000);
    expect(await e).toBeNull();
    expect(log.map((l) => l[0])).toEqual(["first", "delete"]);
    const pending = op("late", "send", 1);
    outbox.close();
    expect(await pending).toBeNull();
  });

  it("ready(key): once nothing is pending under the key and pacing has elapsed; at once on abort or close", async () => {
    const { timers, outbox, op } = setup();
    const never = new AbortController().signal;
    let ready = false;
    void op("edit:1:5", "edit", 1, "first");
    await flush(); // "first" starts at 0: the next op may start at 1000
    void op("edit:1:5", "edit", 1, "second");
    void outbox.ready("edit:1:5", never).then(() => (ready = true));
    await timers.advance(999);
    expect(ready).toBe(false);
    await timers.advance(1); // "second" starts at 1000: pacing again until 2000
    expect(ready).toBe(false);
    await timers.advance(1000);
    expect(ready).toBe(true);
    await outbox.ready("edit:1:5", never); // idle and paced: immediately

    void op("edit:1:5", "edit", 1, "third");
    const abort = new AbortController();
    let aborted = false;
    void outbox.ready("edit:1:5", abort.signal).then(() => (aborted = true));
    await flush();
    abort.abort();
    await flush();
    expect(aborted).toBe(true);
    let closed = false;
    void outbox.ready("edit:1:5", never).then(() => (closed = true));
    outbox.close();
    await flush();
    expect(closed).toBe(true);
  });
});
