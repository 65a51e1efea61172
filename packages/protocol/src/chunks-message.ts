/**
 * The relay's output message `{ t: "chunks", shellId, frames: [{ seq, n, c }, …] }` (browser.ts) as
 * pieces: small CBOR heads between the frames' own ciphertext, which is not copied. The server sends
 * the pieces as the fragments of one WebSocket message, so the ciphertext it already holds in its
 * ring goes to the socket as is instead of being copied into a fresh buffer per viewer (a copy and a
 * large allocation per message, whose garbage dominated the relay's CPU under bulk output:
 * docs/benchmarks.md). Joined, the pieces are the bytes `encodeCbor` writes for the same object.
 */
import type { SeqFrame } from "./common.js";
import { ARRAY, ascii, BYTES, headSize, MAP, writeHead } from "./cbor-heads.js";

const KEY_T = [...ascii("t"), ...ascii("chunks")];
const KEY_SHELL = ascii("shellId");
const KEY_FRAMES = ascii("frames");
const KEY_SEQ = ascii("seq");
const KEY_N = ascii("n");
const KEY_C = ascii("c");

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
  const heads = new Uint8Array(size);
  let at = 0;
  const put = (bytes: ArrayLike<number>): void => {
    heads.set(bytes, at);
    at += bytes.length;
  };
  heads[at++] = MAP + 3;
  put(KEY_T);
  put(KEY_SHELL);
  at = writeHead(heads, at, 0, shellId);
  put(KEY_FRAMES);
  at = writeHead(heads, at, ARRAY >> 5, frames.length);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const f of frames) {
    heads[at++] = MAP + 3;
    put(KEY_SEQ);
    at = writeHead(heads, at, 0, f.seq);
    put(KEY_N);
    at = writeHead(heads, at, BYTES >> 5, f.n.byteLength);
    put(f.n);
    put(KEY_C);
    at = writeHead(heads, at, BYTES >> 5, f.c.byteLength);
    parts.push(heads.subarray(from, at), f.c);
    from = at;
  }
  if (frames.length === 0) parts.push(heads);
  return parts;
}
