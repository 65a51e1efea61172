/**
 * The CLI's output message `{ t: "data", shellId, seq, frame: { n, c } }` (cli.ts) encoded by hand
 * into one buffer, with the ciphertext given as pieces (AES-GCM output and tag). The generic encoder
 * needs `c` as one array first and then copies it again; at tens of MB/s each extra copy of every
 * output byte is an allocation the CLI's garbage collector pays for (docs/benchmarks.md). The bytes
 * are plain CBOR that `decodeCbor` reads as the same object as `encodeCbor` would have written.
 */

import { ascii, CborWriter, headSize, KEY_C, KEY_N, KEY_SEQ, KEY_SHELL, MAP } from "./cbor-heads.js";

/** Key/value prefix up to `frame.c`'s byte-string header: fixed strings, so computed once. */
const KEY_T = [...ascii("t"), ...ascii("data")];
const KEY_FRAME = ascii("frame");

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
  const w = new CborWriter(new Uint8Array(size));
  w.byte(MAP + 4);
  w.put(KEY_T);
  w.uintField(KEY_SHELL, shellId);
  w.uintField(KEY_SEQ, seq);
  w.put(KEY_FRAME);
  w.byte(MAP + 2);
  w.bytesField(KEY_N, nonce.byteLength);
  const nAt = w.at;
  w.put(nonce);
  w.bytesField(KEY_C, cLength);
  const cAt = w.at;
  for (const p of cParts) w.put(p);
  const out = w.out;
  return { bytes: out, n: out.subarray(nAt, nAt + nonce.byteLength), c: out.subarray(cAt, cAt + cLength) };
}
