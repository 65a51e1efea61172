import { describe, expect, it } from "vitest";
import { decodeCbor, encodeCbor } from "./cbor.js";
import { encodeChunksParts } from "./chunks-message.js";
import { parseServerMessage } from "./browser.js";
import type { SeqFrame } from "./common.js";

const join = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const frame = (seq: number, len: number): SeqFrame => ({
  seq,
  n: Uint8Array.from({ length: 12 }, (_, i) => (seq + i) & 0xff),
  c: Uint8Array.from({ length: len }, (_, i) => (seq * 7 + i) & 0xff),
});

describe("encodeChunksParts", () => {
  // Every CBOR head width for shellId, seq, frame count and ciphertext length.
  const ints = [0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];

  it.each(ints)("joins to what encodeCbor writes (shellId = first seq = %d)", (v) => {
    const frames = [frame(v, 16), frame(v + 1, 300), frame(v + 2, 64 * 1024 + 16)].filter((f) => Number.isSafeInteger(f.seq));
    const shellId = Math.min(Math.max(v, 1), 2 ** 32 - 1); // the schema's shell id range
    const parts = encodeChunksParts(shellId, frames);
    const msg = { t: "chunks", shellId, frames };
    expect([...join(parts)]).toEqual([...encodeCbor(msg)]);
    expect(parseServerMessage(decodeCbor(join(parts)))).toMatchObject({ ok: true });
  });

  it("hands the ciphertext over as is, between small heads", () => {
    const frames = Array.from({ length: 30 }, (_, i) => frame(i, 1000 + i));
    const parts = encodeChunksParts(4, frames);
    expect(parts).toHaveLength(60);
    frames.forEach((f, i) => expect(parts[2 * i + 1]).toBe(f.c));
    for (let i = 0; i < parts.length; i += 2) expect(parts[i]!.byteLength).toBeLessThan(64);
  });

  it("encodes an empty batch as one piece", () => {
    const parts = encodeChunksParts(1, []);
    expect(parts).toHaveLength(1);
    expect(decodeCbor(parts[0]!)).toEqual({ t: "chunks", shellId: 1, frames: [] });
  });
});
