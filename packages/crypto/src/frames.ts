/** Sealing and opening of `{n, c}` frames with the AAD strings of spec §2.4.3. */
import { utf8 } from "./encoding.js";
import { SUITE } from "./keys.js";
import type { AeadKey } from "./primitives.js";

export interface SealedFrame {
  n: Uint8Array;
  c: Uint8Array;
}

export const aad = {
  output: (sessionId: string, shellId: number, seq: number) => utf8(`${SUITE}|${sessionId}|out|${shellId}|${seq}`),
  input: (sessionId: string, shellId: number, userId: number, counter: number) =>
    utf8(`${SUITE}|${sessionId}|in|${shellId}|${userId}|${counter}`),
  title: (sessionId: string, shellId: number, version: number) => utf8(`${SUITE}|${sessionId}|title|${shellId}|${version}`),
  agent: (sessionId: string, shellId: number, seq: number) => utf8(`${SUITE}|${sessionId}|agent|${shellId}|${seq}`),
  doc: (sessionId: string, docId: string, userId: number, counter: number) =>
    utf8(`${SUITE}|${sessionId}|doc|${docId}|${userId}|${counter}`),
  /** taiku addition: a document's awareness state (cursors, selections), same position rules as `doc`. */
  docAwareness: (sessionId: string, docId: string, userId: number, counter: number) =>
    utf8(`${SUITE}|${sessionId}|doc-awareness|${docId}|${userId}|${counter}`),
  alias: (sessionId: string, shellId: number, invocationId: number) => utf8(`${SUITE}|${sessionId}|alias|${shellId}|${invocationId}`),
  aliasResult: (sessionId: string, shellId: number, invocationId: number) =>
    utf8(`${SUITE}|${sessionId}|alias-result|${shellId}|${invocationId}`),
  /** taiku addition: the new admin fragment after a link rotation, sealed for the old admins. */
  adminNotice: (sessionId: string, epoch: number) => utf8(`${SUITE}|${sessionId}|admin-notice|${epoch}`),
};

/**
 * Fresh 12-byte nonces, cut from a CSPRNG pool refilled 4 KiB at a time: one `getRandomValues` per 341
 * frames instead of one per frame (it was ~5 % of the CLI's time under a `cat`). Each nonce is a copy,
 * so a caller keeping it (a frame in a resend buffer) never sees the pool change.
 */
const NONCE = 12;
const pool = new Uint8Array(NONCE * 341);
let poolAt = pool.length;
export function freshNonce(): Uint8Array {
  if (poolAt + NONCE > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const n = pool.slice(poolAt, poolAt + NONCE);
  poolAt += NONCE;
  return n;
}

/** Seal with a fresh 12-byte CSPRNG nonce. */
export async function sealFrame(key: AeadKey, plaintext: Uint8Array, associated: Uint8Array): Promise<SealedFrame> {
  const n = freshNonce();
  return { n, c: await key.seal(n, plaintext, associated) };
}

/** Returns null when the frame fails authentication: callers discard it and warn once (§2.4.3). */
export async function openFrame(key: AeadKey, f: SealedFrame, associated: Uint8Array): Promise<Uint8Array | null> {
  if (f.n.length !== 12 || f.c.length < 16) return null;
  return key.open(f.n, f.c, associated);
}

/**
 * `openFrame` with each key in turn (the current K_enc first, then the one before a link rotation, for
 * frames sealed before it); null when none opens it.
 */
export async function openFrameWithAny(keys: readonly AeadKey[], f: SealedFrame, associated: Uint8Array): Promise<Uint8Array | null> {
  for (const key of keys) {
    const plain = await openFrame(key, f, associated);
    if (plain) return plain;
  }
  return null;
}

/** `sealFrame` for keys with a synchronous implementation (`sealSync`); same nonce and AAD rules. */
export function sealFrameSync(key: AeadKey, plaintext: Uint8Array, associated: Uint8Array): SealedFrame {
  if (!key.sealSync) throw new Error("this AEAD key has no synchronous implementation");
  const n = freshNonce();
  return { n, c: key.sealSync(n, plaintext, associated) };
}

/**
 * `sealFrameSync` without joining its output (`sealPartsSync`): the nonce and the pieces whose
 * concatenation is the ciphertext, for a caller that writes them straight into a message.
 */
export function sealFramePartsSync(key: AeadKey, plaintext: Uint8Array, associated: Uint8Array): { n: Uint8Array; parts: Uint8Array[] } {
  if (!key.sealPartsSync) throw new Error("this AEAD key has no synchronous implementation");
  const n = freshNonce();
  return { n, parts: key.sealPartsSync(n, plaintext, associated) };
}

/** `openFrame` for keys with a synchronous implementation (`openSync`); null when authentication fails. */
export function openFrameSync(key: AeadKey, f: SealedFrame, associated: Uint8Array): Uint8Array | null {
  if (!key.openSync) throw new Error("this AEAD key has no synchronous implementation");
  if (f.n.length !== 12 || f.c.length < 16) return null;
  return key.openSync(f.n, f.c, associated);
}
