/**
 * Bearer secrets: API keys, cookie tokens, one-time codes, CLI poll/device tokens. Only their
 * SHA-256 is stored, so a copy of the database cannot be replayed as credentials. These are
 * high-entropy random values, so a fast hash is enough (passwords use Argon2id instead).
 */
import { createHash } from "node:crypto";
import { randomBase62 } from "@taiku/crypto";

export const API_KEY_PREFIX = "tk_";
const API_KEY_RE = /^tk_[0-9A-Za-z]{40}$/;

export const sha256Hex = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex");

export const newApiKey = (): string => API_KEY_PREFIX + randomBase62(40);
export const isApiKeyShaped = (s: string): boolean => API_KEY_RE.test(s);

/** 43 base62 chars ≈ 256 bits. */
export const newSecretToken = (): string => randomBase62(43);
export const isSecretTokenShaped = (s: string): boolean => /^[0-9A-Za-z]{16,128}$/.test(s);

export const newId = (): string => randomBase62(16);

/** Device-code alphabet without look-alikes (0/O, 1/I/L, vowels to avoid words). */
const USER_CODE_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789";
export function newUserCode(length = 8): string {
  let out = "";
  const bytes = new Uint8Array(length * 4);
  while (out.length < length) {
    globalThis.crypto.getRandomValues(bytes);
    for (const b of bytes) {
      // 243 = 9 × 27: rejection sampling keeps the distribution uniform.
      if (b < 243) out += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}
/** What a person types: case, spaces and dashes do not matter. */
export const normalizeUserCode = (s: string): string => s.toUpperCase().replace(/[\s-]/g, "");
