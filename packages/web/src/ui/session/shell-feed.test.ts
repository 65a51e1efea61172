import { describe, expect, it } from "vitest";
import type { OutputSink, SessionClient } from "../../common/index.js";
import { watchShell, type FeedView } from "./shell-feed.js";

/** The two things a feed uses from the client: one sink per shell, and the gap event. */
function fakeClient() {
  const sinks = new Map<number, OutputSink>();
  const gaps = new Set<(g: { shellId: number }) => void>();
  const log: string[] = [];
  const client = {
    attachTerminal(shellId: number, sink: OutputSink) {
      log.push(`attach ${shellId}`);
      sinks.set(shellId, sink);
      return () => {
        log.push(`detach ${shellId}`);
        sinks.delete(shellId);
      };
    },
    events: { on: (_t: string, fn: (g: { shellId: number }) => void) => (gaps.add(fn), () => gaps.delete(fn)) },
  } as unknown as SessionClient;
  return { client, sinks, gaps, log };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A view that renders at once, or holds its callbacks until `flush` (a busy xterm). */
function view(hold = false) {
  const got: string[] = [];
  const held: Array<() => void> = [];
  const v: FeedView & { got: string[]; flush(): void } = {
    got,
    write: (d, done) => (got.push(text(d)), hold ? held.push(done) : done()),
    flush: () => held.splice(0).forEach((f) => f()),
  };
  return v;
}

describe("shell feed: several views of one shell", () => {
  it("subscribes once, gives a late view the history, and unsubscribes with the last view", () => {
    const { client, sinks, log } = fakeClient();
    const a = view();
    const stopA = watchShell(client, 1, a);
    sinks.get(1)!.write(bytes("one "), () => {});
    sinks.get(1)!.write(bytes("two "), () => {});
    const b = view();
    const stopB = watchShell(client, 1, b);
    sinks.get(1)!.write(bytes("three"), () => {});
    expect(a.got.join("")).toBe("one two three");
    expect(b.got.join("")).toBe("one two three");
    stopA();
    stopA(); // idempotent
    expect(log).toEqual(["attach 1"]);
    stopB();
    expect(log).toEqual(["attach 1", "detach 1"]);
    // A new first view replays from the relay again, not from a stale history.
    const c = view();
    watchShell(client, 1, c);
    expect(c.got).toEqual([]);
    expect(log.at(-1)).toBe("attach 1");
  });

  it("acknowledges output once every view rendered it, and a closed view does not hold it back", () => {
    const { client, sinks } = fakeClient();
    const fast = view();
    const slow = view(true);
    watchShell(client, 2, fast);
    const stopSlow = watchShell(client, 2, slow);
    let acked = 0;
    sinks.get(2)!.write(bytes("x"), () => acked++);
    expect(acked).toBe(0);
    slow.flush();
    expect(acked).toBe(1);
    sinks.get(2)!.write(bytes("y"), () => acked++);
    stopSlow();
    expect(acked).toBe(2);
  });

  it("puts an output gap notice in every view", () => {
    const { client, gaps } = fakeClient();
    const a = view();
    watchShell(client, 3, a);
    for (const fn of gaps) fn({ shellId: 4 });
    for (const fn of gaps) fn({ shellId: 3 });
    expect(a.got.join("")).toContain("output skipped");
    expect(a.got).toHaveLength(1);
  });
});
