/**
 * The relay's output message `{ t: "chunks", shellId, frames: [{ seq, n, c }, …] }` (browser.ts) as
 * pieces: small CBOR heads between the frames' own ciphertext, which is not copied. The server sends
 * the pieces as the fragments of one WebSocket message, so the ciphertext it already holds in its
 * ring goes to the socket as is instead of being copied into a fresh buffer per viewer (a copy and a
 * large allocation per message, whose garbage dominated the relay's CPU under bulk output:
 * docs/benchmarks.md). Joined, the pieces are the bytes `encodeCbor` writes for the same object.
 */
import type { SeqFrame } from "./common.js";
import { ARRAY, ascii, CborWriter, headSize, KEY_C, KEY_N, KEY_SEQ, KEY_SHELL, MAP } from "./cbor-heads.js";

const KEY_T = [...ascii("t"), ...ascii("chunks")];
const KEY_FRAMES = ascii("frames");

/** Bytes of one frame's heads (everything but its ciphertext). */
function frameHeadSize(f: SeqFrame): number {
  return 1 + KEY_SEQ.length + headSize(f.seq) + KEY_N.length + headSize(f.n.byteLength) + f.n.byteLength + KEY_C.length + headSize(f.c.byteLength);
}

/**
 * `[heads₀, c₀, heads₁, c₁, …]`: heads are views into one small buffer (the nonces are copied there),
 * each `cᵢ` is `frames[i].c` itself. An empty `frames` gives one piece.
 */
export function encodeChunksParts(shellId: number, frames: readonly SeqFrame[]): Uint8Array[] {
  let size = 1 + KEY_T.length + KEY_SHELL.length + headSize(shellId) + KEY_FRAMES.length + headSize(frames.length);
  for (const f of frames) size += frameHeadSize(f);
  const w = new CborWriter(new Uint8Array(size));
  w.byte(MAP + 3);
  w.put(KEY_T);
  w.uintField(KEY_SHELL, shellId);
  w.put(KEY_FRAMES);
  w.head(ARRAY >> 5, frames.length);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const f of frames) {
    w.byte(MAP + 3);
    w.uintField(KEY_SEQ, f.seq);
    w.bytesField(KEY_N, f.n.byteLength);
    w.put(f.n);
    w.bytesField(KEY_C, f.c.byteLength);
    parts.push(w.out.subarray(from, w.at), f.c);
    from = w.at;
  }
  if (frames.length === 0) parts.push(w.out);
  return parts;
}
