/**
 * AES-256-GCM on `node:crypto` for the CLI (`deriveSessionKeys(..., { importAeadKey: importNodeAeadKey })`).
 * Same cipher, 12-byte nonce, AAD and 16-byte tag appended to the ciphertext as the WebCrypto keys of
 * @taiku/crypto, so either side opens what the other sealed; the difference is that sealing and opening
 * run synchronously on the event loop instead of as a thread-pool job per frame (docs/benchmarks.md).
 */
import { createCipheriv, createDecipheriv, createSecretKey } from "node:crypto";
import type { AeadKey } from "@taiku/crypto";

const TAG = 16;

export async function importNodeAeadKey(raw: Uint8Array): Promise<AeadKey> {
  if (raw.length !== 32) throw new Error("AES-256-GCM key must be 32 bytes");
  const key = createSecretKey(Uint8Array.from(raw));
  const sealPartsSync = (nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array[] => {
    const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG });
    c.setAAD(aad);
    const body = c.update(plaintext);
    const tail = c.final(); // always empty for GCM, kept for correctness
    return tail.length === 0 ? [body, c.getAuthTag()] : [body, tail, c.getAuthTag()];
  };
  const sealSync = (nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array => Buffer.concat(sealPartsSync(nonce, plaintext, aad));
  const openSync = (nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null => {
    if (nonce.length !== 12 || ciphertext.length < TAG) return null;
    try {
      const d = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG });
      d.setAAD(aad);
      d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
      const body = d.update(ciphertext.subarray(0, ciphertext.length - TAG));
      const tail = d.final(); // throws when authentication fails
      return tail.length === 0 ? body : Buffer.concat([body, tail]);
    } catch {
      return null;
    }
  };
  return {
    seal: async (n, p, aad) => sealSync(n, p, aad),
    open: async (n, c, aad) => openSync(n, c, aad),
    sealSync,
    openSync,
    sealPartsSync,
  };
}
