/**
 * Regression (docs/benchmarks.md "Data loss under contention"): output the CLI had already sent when it
 * was told to pause (its socket buffer, the kernel's socket buffers — on loopback the receive buffer
 * autotunes up to tens of MiB) could exceed the ring's hard cap; the relay then trimmed frames a slow
 * but still acking viewer had not received, and every viewer saw a seq jump. The relay must stop
 * reading the CLI link instead (TCP backpressure reaches the CLI, whose own high-water mark pauses the
 * PTY), and never drop a frame a counting viewer still needs.
 *
 * The clock is injected and only moves when the test says so, so the stall rule (5 s) can never fire.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createdShell, fakeFrame, join, openSession, startRelay, type Harness, type Msg, type TestClient } from "./harness.js";

let h: Harness;
afterEach(async () => h?.close());

const FRAME = 1000;

async function collect(b: TestClient, seqs: number[], quietMs = 150): Promise<number[]> {
  for (;;) {
    const got = await b.next("chunks", () => true, quietMs).catch(() => null);
    if (!got) return seqs;
    for (const f of got.frames as Msg[]) seqs.push(f.seq);
  }
}

describe("relay backpressure on the CLI link", () => {
  it("slow viewers that keep acking lose nothing however far the CLI overshoots the pause", async () => {
    let clock = 1_000_000;
    h = await startRelay({
      now: () => clock,
      limits: { viewerWindowBytes: 32 * FRAME, shellRingBytes: 4 * FRAME, shellRingHardBytes: 256 * FRAME, viewerStallMs: 5000, flowTickMs: 20 },
    });
    const host = await openSession(h);
    await createdShell(host, 1);
    const viewers = [await join(h, host, "admin"), await join(h, host, "writer")];
    for (const v of viewers) {
      v.b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
      v.b.send({ t: "ack", shellId: 1, seq: 0 }); // opt into the ack window before any output
    }
    // The CLI keeps sending (output already in flight when the pause arrives): ≈ 4 × the hard cap.
    const total = 1000;
    for (let seq = 0; seq < total; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(FRAME, seq % 256) });
    expect((await host.cli.next("flow", () => true, 5000)).pause).toBe(true);

    const seqs: number[][] = viewers.map(() => []);
    for (let round = 0; round < 2000 && seqs.some((s) => s.at(-1) !== total - 1); round++) {
      clock += 1000; // each viewer acks once a second: slow, but far from the 5 s stall time
      for (const [i, v] of viewers.entries()) {
        await collect(v.b, seqs[i]!, 40);
        if (seqs[i]!.length) v.b.send({ t: "ack", shellId: 1, seq: seqs[i]!.at(-1)! });
      }
    }
    for (const s of seqs) expect(s).toEqual([...Array(total).keys()]); // no gap, no duplicate, in order
  });
});
