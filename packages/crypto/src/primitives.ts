/**
 * The three primitives taiku-e2e-v1 needs — HKDF-SHA256, HMAC-SHA256, AES-256-GCM — on WebCrypto
 * where it exists (Node, browsers in a secure context) and on the audited @noble libraries where it
 * does not (a page on plain http at a LAN address has no `crypto.subtle`).
 */
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;

/** True when WebCrypto is available; pages warn when it is not (link travels unprotected). */
export const hasWebCrypto = (): boolean => subtle !== undefined;

const buf = (b: Uint8Array): ArrayBuffer => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : Uint8Array.prototype.slice.call(b).buffer as ArrayBuffer);

export async function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  if (!subtle) return nobleHkdf(sha256, ikm, salt, info, length);
  const key = await subtle.importKey("raw", buf(ikm), "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: buf(salt), info: buf(info) }, key, length * 8);
  return new Uint8Array(bits);
}

export async function hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  if (!subtle) return nobleHmac(sha256, key, message);
  const k = await subtle.importKey("raw", buf(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, buf(message)));
}

export async function sha256Digest(data: Uint8Array): Promise<Uint8Array> {
  if (!subtle) return sha256(data);
  return new Uint8Array(await subtle.digest("SHA-256", buf(data)));
}

/** An AES-256-GCM key ready for sealing and opening (16-byte tag appended to the ciphertext). */
export interface AeadKey {
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Returns null when authentication fails (tampered, wrong key, wrong AAD). */
  open(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
  /** Synchronous forms, present when the implementation has them (e.g. `node:crypto` in the CLI). */
  sealSync?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  openSync?(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** `sealSync` without joining its output: pieces (ciphertext, tag) whose concatenation it would return. */
  sealPartsSync?(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array[];
}

/** Turns 32 raw key bytes into an AeadKey; `deriveSessionKeys` accepts another one (see DeriveOptions). */
export type ImportAeadKey = (raw: Uint8Array) => Promise<AeadKey>;

export async function importAeadKey(raw: Uint8Array): Promise<AeadKey> {
  if (raw.length !== 32) throw new Error("AES-256-GCM key must be 32 bytes");
  if (!subtle) {
    const k = raw.slice();
    return {
      seal: async (n, p, aad) => gcm(k, n, aad).encrypt(p),
      open: async (n, c, aad) => {
        try {
          return gcm(k, n, aad).decrypt(c);
        } catch {
          return null;
        }
      },
    };
  }
  const key = await subtle.importKey("raw", buf(raw), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  return {
    seal: async (n, p, aad) =>
      new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: buf(n), additionalData: buf(aad), tagLength: 128 }, key, buf(p))),
    open: async (n, c, aad) => {
      try {
        return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: buf(n), additionalData: buf(aad), tagLength: 128 }, key, buf(c)));
      } catch {
        return null;
      }
    },
  };
}
