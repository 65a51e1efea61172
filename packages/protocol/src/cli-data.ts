/**
 * The CLI's output message `{ t: "data", shellId, seq, frame: { n, c } }` (cli.ts) encoded by hand
 * into one buffer, with the ciphertext given as pieces (AES-GCM output and tag). The generic encoder
 * needs `c` as one array first and then copies it again; at tens of MB/s each extra copy of every
 * output byte is an allocation the CLI's garbage collector pays for (docs/benchmarks.md). The bytes
 * are plain CBOR that `decodeCbor` reads as the same object as `encodeCbor` would have written.
 */

const TEXT = 0x60;
const BYTES = 0x40;
const MAP = 0xa0;

/** Key/value prefix up to `frame.c`'s byte-string header: fixed strings, so computed once. */
const ascii = (s: string): number[] => [TEXT + s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
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

/** Bytes of a CBOR head (major type + argument) for argument `v`. */
function headSize(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`CBOR unsigned integer out of range: ${v}`);
  if (v < 24) return 1;
  if (v < 0x100) return 2;
  if (v < 0x10000) return 3;
  if (v < 0x100000000) return 5;
  return 9;
}

function writeHead(out: Uint8Array, at: number, major: number, v: number): number {
  const mt = major << 5;
  if (v < 24) {
    out[at] = mt + v;
    return at + 1;
  }
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (v < 0x100) {
    out[at] = mt + 24;
    out[at + 1] = v;
    return at + 2;
  }
  if (v < 0x10000) {
    out[at] = mt + 25;
    dv.setUint16(at + 1, v);
    return at + 3;
  }
  if (v < 0x100000000) {
    out[at] = mt + 26;
    dv.setUint32(at + 1, v);
    return at + 5;
  }
  if (major !== 0) throw new RangeError(`CBOR length out of range: ${v}`);
  // As cbor-x writes numbers past 32 bits (and reads back as numbers, where a 64-bit uint would be a BigInt).
  out[at] = 0xfb;
  dv.setFloat64(at + 1, v);
  return at + 9;
}
