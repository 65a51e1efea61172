import { randomBytes } from "node:crypto";

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
/** `prefix` + 26 base32 characters of random bytes (130 bits; §3.1 token format, §7.14 webhook tokens). */
export function randomToken(prefix = ""): string {
  const bytes = randomBytes(17);
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return prefix + out;
}

// Random bytes for ids come from a pooled buffer: one randomBytes call per 256 ids instead of one each.
let pool = Buffer.alloc(0);
let poolAt = 0;
function random16(): Buffer {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const out = Buffer.from(pool.subarray(poolAt, poolAt + 16));
  poolAt += 16;
  return out;
}

let lastMs = -1;
let seq = 0;

/**
 * UUID v7: time-ordered, so primary keys of new rows cluster. Within one millisecond a 12-bit
 * counter in `rand_a` keeps ids of this process in creation order (RFC 9562 §6.2, method 1).
 */
export function uuidv7(nowMs = Date.now()): string {
  const b = random16();
  if (nowMs <= lastMs) {
    seq++;
    if (seq > 0xfff) { lastMs++; seq = 0; }
  } else {
    lastMs = nowMs;
    seq = 0;
  }
  let t = BigInt(lastMs);
  for (let i = 5; i >= 0; i--) {
    b[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const Uuid = { Generate: (): string => uuidv7() };

/** 32-bit FNV-1a as 8 hex characters (upstream `utils/hash.ts`). */
export function quickHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
