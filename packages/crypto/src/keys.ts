/**
 * Key schedule of `taiku-e2e-v1` (spec §2.4.2). Argon2id parameters, written down:
 * t = 2 passes, m = 19456 KiB, p = 1, 32-byte output, salt = "taiku-e2e-v1:" + session_id.
 */
import { argon2id } from "hash-wasm";
import { utf8 } from "./encoding.js";
import type { FragmentSecrets } from "./links.js";
import { hkdfSha256, importAeadKey, type AeadKey, type ImportAeadKey } from "./primitives.js";

export const ARGON2_PARAMS = { iterations: 2, memorySize: 19456, parallelism: 1, hashLength: 32 } as const;
export const SUITE = "taiku-e2e-v1";

export interface Verifiers {
  view: Uint8Array;
  write: Uint8Array;
  admin: Uint8Array;
}

/** Keys a client holds for one session. Fields are absent when its link does not carry the secret. */
export interface SessionKeys {
  sessionId: string;
  /** K_enc: terminal output, titles, agent events, documents; input in open sessions. */
  enc: AeadKey;
  /** K_in: terminal input in write-protected sessions (only writers and admins hold it). */
  input?: AeadKey;
  /** Key sealing admin-only notices (new links after rotation). */
  adminNotice?: AeadKey;
  viewVerifier: Uint8Array;
  writeVerifier?: Uint8Array;
  adminVerifier?: Uint8Array;
}

export interface KdfOptions {
  /** Argon2id memory in KiB; only tests lower it. Both ends of a session must agree. */
  memorySize?: number;
}

export interface DeriveOptions extends KdfOptions {
  /**
   * AES-256-GCM implementation for the derived keys (default: WebCrypto, or @noble off secure contexts).
   * The CLI passes a synchronous `node:crypto` one; keys, nonces and AAD are the same either way.
   */
  importAeadKey?: ImportAeadKey;
}

export async function stretchKey(sessionId: string, key: string, opts: KdfOptions = {}): Promise<Uint8Array> {
  return argon2id({
    password: key,
    salt: utf8(`${SUITE}:${sessionId}`),
    iterations: ARGON2_PARAMS.iterations,
    memorySize: opts.memorySize ?? ARGON2_PARAMS.memorySize,
    parallelism: ARGON2_PARAMS.parallelism,
    hashLength: ARGON2_PARAMS.hashLength,
    outputType: "binary",
  });
}

const info = (s: string) => utf8(`${SUITE}/${s}`);
const EMPTY = new Uint8Array(0);

/** Derive every key and verifier the given secrets allow. */
export async function deriveSessionKeys(sessionId: string, secrets: FragmentSecrets, opts: DeriveOptions = {}): Promise<SessionKeys> {
  const importKey = opts.importAeadKey ?? importAeadKey;
  const ikm = await stretchKey(sessionId, secrets.key, opts);
  const salt = utf8(sessionId);
  const keys: SessionKeys = {
    sessionId,
    enc: await importKey(await hkdfSha256(ikm, EMPTY, info("enc"), 32)),
    viewVerifier: await hkdfSha256(ikm, EMPTY, info("view-verifier"), 32),
  };
  if (secrets.writeSecret) {
    const w = utf8(secrets.writeSecret);
    keys.writeVerifier = await hkdfSha256(w, salt, info("write-verifier"), 32);
    keys.input = await importKey(await hkdfSha256(w, salt, info("input"), 32));
  }
  if (secrets.adminSecret) {
    const a = utf8(secrets.adminSecret);
    keys.adminVerifier = await hkdfSha256(a, salt, info("admin-verifier"), 32);
    keys.adminNotice = await importKey(await hkdfSha256(a, salt, info("admin-notice"), 32));
  }
  return keys;
}

/** The verifiers the CLI registers with the server (it holds all three secrets). */
export function verifiersOf(keys: SessionKeys): Verifiers {
  if (!keys.writeVerifier || !keys.adminVerifier) throw new Error("verifiers need the write and admin secrets");
  return { view: keys.viewVerifier, write: keys.writeVerifier, admin: keys.adminVerifier };
}

/** Key for terminal input: K_in in write-protected sessions, K_enc otherwise (spec §2.4.2). */
export function inputKey(keys: SessionKeys, writeProtected: boolean): AeadKey | undefined {
  return writeProtected ? keys.input : keys.enc;
}
