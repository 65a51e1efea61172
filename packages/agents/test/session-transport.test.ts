/** Session chat transport: latest-wins edit coalescing with a minimum interval, replace, followups. */
import { describe, expect, it } from "vitest";
import { ManualTimers, MemoryChatPort, SessionChatTransport } from "../src/index.js";

const m = (text: string, extra: Record<string, unknown> = {}) => ({ text, extra });

describe("SessionChatTransport", () => {
  it("coalesces fire-and-forget edits to the latest, at most one per interval", async () => {
    const port = new MemoryChatPort();
    const timers = new ManualTimers();
    const t = new SessionChatTransport(port, { editIntervalMs: 300, timers });
    const ref = (await t.send({ channelId: "c", message: m("start") }))!;
    expect(await t.edit({ ref, message: m("one"), wait: false })).toEqual(ref);
    await timers.advance(0);
    expect(port.find("m1")!.history).toEqual(["start", "one"]);
    await t.edit({ ref, message: m("two"), wait: false });
    await t.edit({ ref, message: m("three"), wait: false });
    await timers.advance(299);
    expect(port.find("m1")!.history).toEqual(["start", "one"]);
    await timers.advance(1);
    expect(port.find("m1")!.history).toEqual(["start", "one", "three"]);
  });

  it("a waiting edit supersedes a pending one; replace posts then removes; delete drops pending edits", async () => {
    const port = new MemoryChatPort();
    const timers = new ManualTimers();
    const t = new SessionChatTransport(port, { editIntervalMs: 1000, timers });
    const ref = (await t.send({ channelId: "c", message: m("p") }))!;
    await t.edit({ ref, message: m("x"), wait: false });
    await timers.advance(0);
    await t.edit({ ref, message: m("pending"), wait: false });
    await t.edit({ ref, message: m("final") });
    await timers.advance(5000);
    expect(port.find("m1")!.history).toEqual(["p", "x", "final"]);
    await t.edit({ ref, message: m("late"), wait: false });
    const next = await t.send({ channelId: "c", message: m("answer", { followups: [m("part 2")] }), options: { replace: ref, replyTo: { channelId: "c", messageId: "u1" }, notify: true } });
    await timers.advance(5000);
    expect(next).toMatchObject({ messageId: "m2" });
    expect(port.find("m1")!.removed).toBe(true);
    expect(port.find("m1")!.history).not.toContain("late");
    expect(port.visible().map((r) => [r.text, r.replyTo, r.extra])).toEqual([["answer", "u1", {}], ["part 2", "u1", {}]]);
  });
});
