/**
 * Password hashing with Argon2id (hash-wasm). Stored as a PHC string
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) so parameters can be raised later without breaking
 * existing hashes: verification always uses the parameters recorded in the hash.
 */
import { timingSafeEqual } from "node:crypto";
import { argon2id } from "hash-wasm";
import { fromBase64, randomBytes, toBase64 } from "@taiku/crypto";

export interface Argon2Params {
  /** Memory cost in KiB. */
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/**
 * RFC 9106 §4 second recommendation ("if much less memory is available"): 64 MiB, t=3, p=1,
 * 16-byte salt, 32-byte tag. Above OWASP's minimum (19 MiB, t=2); ~0.2 s on one core.
 */
export const DEFAULT_ARGON2: Argon2Params = { memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;

const b64 = (bytes: Uint8Array): string => toBase64(bytes).replace(/=+$/, "");

async function rawHash(password: string, salt: Uint8Array, p: Argon2Params, length: number): Promise<Uint8Array> {
  return argon2id({
    password,
    salt,
    parallelism: p.parallelism,
    iterations: p.iterations,
    memorySize: p.memoryKiB,
    hashLength: length,
    outputType: "binary",
  });
}

export async function hashPassword(password: string, p: Argon2Params = DEFAULT_ARGON2): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await rawHash(password, salt, p, HASH_BYTES);
  return `$argon2id$v=19$m=${p.memoryKiB},t=${p.iterations},p=${p.parallelism}$${b64(salt)}$${b64(hash)}`;
}

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const unpad = (s: string): Uint8Array => fromBase64(s + "=".repeat((4 - (s.length % 4)) % 4));

/** Recomputes the hash with the stored parameters and compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PHC.exec(stored);
  if (!m) return false;
  const params = { memoryKiB: Number(m[1]), iterations: Number(m[2]), parallelism: Number(m[3]) };
  const expected = unpad(m[5]!);
  const actual = await rawHash(password, unpad(m[4]!), params, expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * Burns the same work as a real verification when the email is unknown, so response time does
 * not reveal which emails have accounts.
 */
export async function dummyVerify(password: string, p: Argon2Params = DEFAULT_ARGON2): Promise<false> {
  await rawHash(password, new Uint8Array(SALT_BYTES), p, HASH_BYTES);
  return false;
}
