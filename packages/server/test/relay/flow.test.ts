import { afterEach, describe, expect, it } from "vitest";
import { createdShell, fakeFrame, join, openSession, sleep, startRelay, type Harness, type Msg, type TestClient } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

const FRAME = 1000;
const limits = { viewerWindowBytes: 4096, viewerStallMs: 400, flowTickMs: 20 };

/** Collect chunk seqs until nothing new arrives for `quietMs`. */
async function collect(b: TestClient, seqs: number[], quietMs = 120): Promise<number[]> {
  for (;;) {
    const got = await b.next("chunks", () => true, quietMs).catch(() => null);
    if (!got) return seqs;
    for (const f of got.frames as Msg[]) seqs.push(f.seq);
  }
}

describe("flow control", () => {
  it("holds back a viewer over its ack window, pauses the CLI, and catches up on ack without loss", async () => {
    h = await startRelay({ limits });
    const host = await openSession(h);
    await createdShell(host, 1);
    const { b } = await join(h, host, "admin");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    b.send({ t: "ack", shellId: 1, seq: 0 }); // opt into the ack window before any output
    for (let seq = 0; seq < 20; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(FRAME) });
    expect(await host.cli.next("flow")).toEqual({ t: "flow", shellId: 1, pause: true });
    const seqs = await collect(b, []);
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs.length).toBeLessThan(10); // ≈ window / frame size, not all 20
    while (seqs.length < 20) {
      b.send({ t: "ack", shellId: 1, seq: seqs.at(-1)! });
      await collect(b, seqs);
    }
    expect(seqs).toEqual([...Array(20).keys()]);
    b.send({ t: "ack", shellId: 1, seq: 19 });
    expect(await host.cli.next("flow")).toEqual({ t: "flow", shellId: 1, pause: false });
  });

  it("a viewer that stops acking stops counting after the stall time, and still catches up later", async () => {
    h = await startRelay({ limits: { ...limits, shellRingBytes: 8 * FRAME } });
    const host = await openSession(h);
    await createdShell(host, 1);
    const fast = await join(h, host, "admin");
    const slow = await join(h, host, "writer");
    for (const v of [fast, slow]) {
      v.b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
      v.b.send({ t: "ack", shellId: 1, seq: 0 });
    }
    for (let seq = 0; seq < 30; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(FRAME) });
    expect((await host.cli.next("flow")).pause).toBe(true);
    const pausedAt = Date.now();
    const fastSeqs: number[] = [];
    await collect(fast.b, fastSeqs);
    while (fastSeqs.at(-1) !== 29) {
      fast.b.send({ t: "ack", shellId: 1, seq: fastSeqs.at(-1)! });
      await collect(fast.b, fastSeqs);
    }
    fast.b.send({ t: "ack", shellId: 1, seq: 29 });
    expect(await host.cli.next("flow", () => true, 3000)).toEqual({ t: "flow", shellId: 1, pause: false });
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(350); // the stall time (400 ms) had to pass
    const slowSeqs = await collect(slow.b, []);
    expect(slowSeqs.length).toBeLessThan(30); // released while the slow viewer is still behind
    while (slowSeqs.at(-1) !== 29) {
      slow.b.send({ t: "ack", shellId: 1, seq: slowSeqs.at(-1)! });
      await collect(slow.b, slowSeqs);
    }
    // Catch-up resumes from the ring; what was trimmed meanwhile is a gap, never a duplicate or reordering.
    expect(slowSeqs.at(-1)).toBe(29);
    expect([...slowSeqs].sort((x, y) => x - y)).toEqual(slowSeqs);
    expect(new Set(slowSeqs).size).toBe(slowSeqs.length);
  });

  it("output the CLI sent before it saw the pause is kept for a reading viewer (beyond the ring cap, up to the hard cap)", async () => {
    h = await startRelay({ limits: { ...limits, shellRingBytes: 3 * FRAME, shellRingHardBytes: 64 * FRAME } });
    const host = await openSession(h);
    await createdShell(host, 1);
    const { b } = await join(h, host, "admin");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    b.send({ t: "ack", shellId: 1, seq: 0 });
    for (let seq = 0; seq < 40; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(FRAME) }); // ignores the pause
    const seqs = await collect(b, []);
    while (seqs.at(-1) !== 39) {
      b.send({ t: "ack", shellId: 1, seq: seqs.at(-1)! });
      await collect(b, seqs);
    }
    expect(seqs).toEqual([...Array(40).keys()]); // no gap although the ring cap is 3 frames
    // Once the viewer is caught up the ring is back under its cap: a late joiner replays ≤ 3 frames.
    b.send({ t: "ack", shellId: 1, seq: 39 });
    host.cli.send({ t: "data", shellId: 1, seq: 40, frame: fakeFrame(FRAME) });
    await b.next("chunks");
    const late = await join(h, host, "writer");
    late.b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    expect((await late.b.next("chunks")).frames.map((f: Msg) => f.seq)).toEqual([38, 39, 40]);
  });

  it("a viewer that never acks gets everything and never pauses the CLI", async () => {
    h = await startRelay({ limits });
    const host = await openSession(h);
    await createdShell(host, 1);
    const { b } = await join(h, host, "admin");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    for (let seq = 0; seq < 20; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(FRAME) });
    expect(await collect(b, [])).toEqual([...Array(20).keys()]);
    await sleep(50);
    expect(host.cli.has("flow")).toBe(false);
  });

  it("unsubscribing a lagging viewer releases the pause; resume re-sends the pause state", async () => {
    h = await startRelay({ limits });
    const host = await openSession(h);
    await createdShell(host, 1);
    const { b } = await join(h, host, "admin");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    b.send({ t: "ack", shellId: 1, seq: 0 });
    for (let seq = 0; seq < 10; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(FRAME) });
    expect((await host.cli.next("flow")).pause).toBe(true);
    b.send({ t: "unsubscribe", shellId: 1 });
    expect((await host.cli.next("flow")).pause).toBe(false);
  });
});

describe("flow control without acks", () => {
  it("a viewer whose socket stops reading is held at the window (bufferedAmount), pauses the CLI, then stalls out and catches up in order", async () => {
    h = await startRelay({ limits: { viewerWindowBytes: 64 * 1024, viewerStallMs: 300, flowTickMs: 20, shellRingBytes: 256 * 1024 } });
    const host = await openSession(h);
    await createdShell(host, 1);
    const { b } = await join(h, host, "admin");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    await sleep(20);
    const raw = (b.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause(); // the browser stops reading: kernel buffers fill, then the relay's bufferedAmount
    const total = 1200; // 1200 × 16 KiB ≈ 19 MiB of output
    for (let seq = 0; seq < total; seq++) {
      host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(16 * 1024, seq % 256) });
      if (seq % 50 === 49) await sleep(1);
    }
    expect(await host.cli.next("flow", () => true, 10_000)).toEqual({ t: "flow", shellId: 1, pause: true });
    expect(await host.cli.next("flow", () => true, 5_000)).toEqual({ t: "flow", shellId: 1, pause: false }); // stall rule
    raw.resume();
    const seqs = await collect(b, [], 400);
    expect(seqs.at(-1)).toBe(total - 1);
    expect(seqs.length).toBeLessThan(total); // frames trimmed from the ring while it was behind are a gap
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
