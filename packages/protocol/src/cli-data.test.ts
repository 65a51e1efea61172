import { describe, expect, it } from "vitest";
import { decodeCbor, encodeCbor } from "./cbor.js";
import { encodeCliData } from "./cli-data.js";
import { parseCliUp } from "./cli.js";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe("encodeCliData", () => {
  // Every CBOR head width for shellId, seq and the ciphertext length.
  const ints = [0, 1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];
  const lengths = [16, 23, 24, 255, 256, 65_535 + 16];

  it.each(ints)("decodes to the same message as encodeCbor (shellId = seq = %d)", (v) => {
    const n = bytes(12, 7);
    const parts = [bytes(5, 1), bytes(0, 0), bytes(11, 2), bytes(16, 3)];
    const enc = encodeCliData(v, v, n, parts);
    const c = Uint8Array.from([...parts.flatMap((p) => [...p])]);
    const msg = { t: "data", shellId: v, seq: v, frame: { n, c } };
    const back = decodeCbor(enc.bytes) as typeof msg;
    expect({ ...back, frame: { n: [...back.frame.n], c: [...back.frame.c] } }).toEqual({ ...msg, frame: { n: [...n], c: [...c] } });
    expect([...enc.n]).toEqual([...n]);
    expect([...enc.c]).toEqual([...c]);
    // Byte-for-byte what the generic encoder writes for this key order.
    expect([...enc.bytes]).toEqual([...encodeCbor(msg)]);
  });

  it.each(lengths)("encodes a %d-byte ciphertext that the protocol schema accepts", (len) => {
    const c = bytes(len, 9);
    const enc = encodeCliData(3, 41, bytes(12, 1), [c.subarray(0, 10), c.subarray(10)]);
    const parsed = parseCliUp(decodeCbor(enc.bytes));
    expect(parsed.ok).toBe(true);
    expect(enc.c.byteLength).toBe(len);
    expect(enc.c.buffer).toBe(enc.bytes.buffer);
  });

  it("rejects numbers CBOR unsigned integers cannot carry", () => {
    expect(() => encodeCliData(-1, 0, bytes(12, 0), [])).toThrow(RangeError);
    expect(() => encodeCliData(0, 1.5, bytes(12, 0), [])).toThrow(RangeError);
  });
});
