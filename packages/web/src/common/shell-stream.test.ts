/** ShellStream: seq gaps are accepted (spec §2.4.3) but reported, in order with the output around them. */
import { describe, expect, it } from "vitest";
import { aad, fromUtf8, importAeadKey, randomBytes, sealFrame, utf8 } from "@taiku/crypto";
import type { SeqFrame } from "@taiku/protocol";
import { ShellStream } from "./shell-stream.js";
import { FakeClock } from "./testing/fakes.js";

const SESSION = "abcDEF1234";

describe("ShellStream gaps", () => {
  it("accepts a seq jump, reports it once between the output before and after it, and acks past it", async () => {
    const key = await importAeadKey(randomBytes(32));
    const frame = async (seq: number): Promise<SeqFrame> => ({ seq, ...(await sealFrame(key, utf8(`<${seq}>`), aad.output(SESSION, 1, seq))) });
    const events: string[] = [];
    const acks: number[] = [];
    const stream = new ShellStream(1, {
      sessionId: SESSION,
      clock: new FakeClock(),
      keys: () => [key],
      sendAck: (_id, seq) => acks.push(seq),
      onDecryptFailure: () => events.push("decrypt failure"),
      onGap: (id, after, next) => events.push(`gap ${id}: ${after} -> ${next}`),
      ack: { bytes: 1, delayMs: 1000 },
    });
    stream.attach({ write: (data, done) => { events.push(fromUtf8(data)); done(); } });

    await stream.push([await frame(3), await frame(4)]); // the first frames after attach are the replay start: no gap
    await stream.push([await frame(5), await frame(9), await frame(10)]); // 6..8 were trimmed by the relay
    await stream.push([await frame(10), await frame(11)]); // a replayed 10 is dropped, not a gap
    await stream.push([await frame(20)]);

    expect(events).toEqual(["<3><4>", "<5>", "gap 1: 5 -> 9", "<9><10>", "<11>", "gap 1: 11 -> 20", "<20>"]);
    expect(stream.lastApplied).toBe(20);
    expect(acks.at(-1)).toBe(20);
  });
});
