/**
 * CBOR heads (RFC 8949 §3: major type + argument) for the messages the relay encodes by hand, where
 * the generic encoder would copy every byte of a large byte string once more (cli-data.ts,
 * chunks-message.ts). Internal to @taiku/protocol.
 */

export const TEXT = 0x60;
export const BYTES = 0x40;
export const ARRAY = 0x80;
export const MAP = 0xa0;

/** A short ASCII text string (key or fixed value), head included. */
export const ascii = (s: string): number[] => [TEXT + s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];

/** Keys the hand-encoded output messages share, encoded once. */
export const KEY_SHELL = ascii("shellId");
export const KEY_SEQ = ascii("seq");
export const KEY_N = ascii("n");
export const KEY_C = ascii("c");

/** Bytes of a CBOR head (major type + argument) for argument `v`. */
export function headSize(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`CBOR unsigned integer out of range: ${v}`);
  if (v < 24) return 1;
  if (v < 0x100) return 2;
  if (v < 0x10000) return 3;
  if (v < 0x100000000) return 5;
  return 9;
}

export function writeHead(out: Uint8Array, at: number, major: number, v: number): number {
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

/** Writes CBOR pieces into a buffer sized beforehand (the hand encoders' one cursor). */
export class CborWriter {
  at = 0;

  constructor(readonly out: Uint8Array) {}

  byte(b: number): void {
    this.out[this.at++] = b;
  }

  put(bytes: ArrayLike<number>): void {
    this.out.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A head of major type `major` (0 unsigned, 2 byte string, 4 array, 5 map) with argument `v`. */
  head(major: number, v: number): void {
    this.at = writeHead(this.out, this.at, major, v);
  }

  /** A pre-encoded key and the unsigned integer `v`. */
  uintField(key: readonly number[], v: number): void {
    this.put(key);
    this.head(0, v);
  }

  /** A pre-encoded key and the head of a `length`-byte byte string (its bytes follow). */
  bytesField(key: readonly number[], length: number): void {
    this.put(key);
    this.head(BYTES >> 5, length);
  }
}
