/**
 * The CLI's output message `{ t: "data", shellId, seq, frame: { n, c } }` (cli.ts) encoded by hand
 * into one buffer, with the ciphertext given as pieces (AES-GCM output and tag). The generic encoder
 * needs `c` as one array first and then copies it again; at tens of MB/s each extra copy of every
 * output byte is an allocation the CLI's garbage collector pays for (docs/benchmarks.md). The bytes
 * are plain CBOR that `decodeCbor` reads as the same object as `encodeCbor` would have written.
 */

import { ascii, BYTES, headSize, MAP, writeHead } from "./cbor-heads.js";

/** Key/value prefix up to `frame.c`'s byte-string header: fixed strings, so computed once. */
const KEY_T = [...ascii("t"), ...ascii("data")];
const KEY_SHELL = ascii("shellId");
const KEY_SEQ = ascii("seq");
const KEY_FRAME = ascii("frame");
const KEY_N = ascii("n");
const KEY_C = ascii("c");

export interface EncodedCliData {
  /** The whole message, ready for one WebSocket frame. */
  bytes: Uint8Array;
  /** Views into `bytes`: the frame's nonce and ciphertext (for the CLI's resend buffer). */
  n: Uint8Array;
  c: Uint8Array;
}

export function encodeCliData(shellId: number, seq: number, nonce: Uint8Array, cParts: readonly Uint8Array[]): EncodedCliData {
  let cLength = 0;
  for (const p of cParts) cLength += p.byteLength;
  const size =
    1 + KEY_T.length + KEY_SHELL.length + headSize(shellId) + KEY_SEQ.length + headSize(seq) + KEY_FRAME.length +
    1 + KEY_N.length + headSize(nonce.byteLength) + nonce.byteLength + KEY_C.length + headSize(cLength) + cLength;
  const out = new Uint8Array(size);
  let at = 0;
  const put = (bytes: ArrayLike<number>): void => {
    out.set(bytes, at);
    at += bytes.length;
  };
  out[at++] = MAP + 4;
  put(KEY_T);
  put(KEY_SHELL);
  at = writeHead(out, at, 0, shellId);
  put(KEY_SEQ);
  at = writeHead(out, at, 0, seq);
  put(KEY_FRAME);
  out[at++] = MAP + 2;
  put(KEY_N);
  at = writeHead(out, at, BYTES >> 5, nonce.byteLength);
  const nAt = at;
  put(nonce);
  put(KEY_C);
  at = writeHead(out, at, BYTES >> 5, cLength);
  const cAt = at;
  for (const p of cParts) put(p);
  return { bytes: out, n: out.subarray(nAt, nAt + nonce.byteLength), c: out.subarray(cAt, cAt + cLength) };
}
