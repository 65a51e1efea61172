/**
 * Remote start (spec §3.14): the dashboard page and the device daemon agree on a key with ephemeral
 * ECDH P-256, HKDF-SHA256 (info "taiku-e2e-v1/remote-start") turns the shared secret into an
 * AES-256-GCM key, and the daemon seals the new session's URL fragment with it. The server relays
 * both public keys and the sealed fragment, so it never learns the link secret.
 *
 * ECDH needs WebCrypto (Node, browsers in a secure context); there is no fallback for it.
 */
import { concatBytes, fromBase64, fromBase64Url, fromUtf8, randomBytes, toBase64, toBase64Url, utf8 } from "./encoding.js";
import { hkdfSha256, importAeadKey } from "./primitives.js";

export const REMOTE_START_INFO = "taiku-e2e-v1/remote-start";
const NONCE_BYTES = 12;
const ECDH = { name: "ECDH", namedCurve: "P-256" } as const;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error("remote start needs WebCrypto (open the dashboard over https or on localhost)");
  return s;
}

/** Copies into a fresh ArrayBuffer (WebCrypto rejects views of shared or offset buffers in some engines). */
const ab = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

export interface RemoteStartKeyPair {
  /** base64 of the raw uncompressed public point (65 bytes), as sent on the wire. */
  publicKey: string;
  privateKey: CryptoKey;
}

/** A fresh, non-extractable ephemeral key pair: one per remote start. */
export async function generateRemoteStartKeyPair(): Promise<RemoteStartKeyPair> {
  const pair = (await subtle().generateKey(ECDH, false, ["deriveBits"])) as CryptoKeyPair;
  const raw = new Uint8Array(await subtle().exportKey("raw", pair.publicKey));
  return { publicKey: toBase64(raw), privateKey: pair.privateKey };
}

async function importPeerKey(publicKey: string): Promise<CryptoKey> {
  let raw: Uint8Array;
  try {
    raw = fromBase64(publicKey);
  } catch {
    throw new Error("invalid P-256 public key: not base64");
  }
  if (raw.length !== 65 || raw[0] !== 4) throw new Error("invalid P-256 public key: expected 65 raw uncompressed bytes");
  // importKey rejects points that are not on the curve (invalid-curve attacks).
  return subtle().importKey("raw", ab(raw), ECDH, false, []);
}

async function deriveKey(privateKey: CryptoKey, peerPublicKey: string, requestId: string) {
  const peer = await importPeerKey(peerPublicKey);
  const shared = new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: peer }, privateKey, 256));
  // The request id doubles as the HKDF salt, so each remote start has its own key even if a key pair were reused.
  const key = await hkdfSha256(shared, utf8(requestId), utf8(REMOTE_START_INFO), 32);
  return importAeadKey(key);
}

/** The AAD binds the request and the session URL: a server cannot swap in another URL to send the secret to. */
const aad = (requestId: string, sessionUrl: string): Uint8Array => utf8(`${REMOTE_START_INFO}|${requestId}|${sessionUrl}`);

/**
 * Daemon side: seals `fragment` (of `sessionUrl`) for the page that sent `clientPublicKey`. Returns the daemon's
 * ephemeral public key and base64url(nonce ‖ ciphertext ‖ tag).
 */
export async function sealRemoteFragment(
  fragment: string,
  clientPublicKey: string,
  requestId: string,
  sessionUrl: string,
): Promise<{ sealedFragment: string; daemonPublicKey: string }> {
  const mine = await generateRemoteStartKeyPair();
  const key = await deriveKey(mine.privateKey, clientPublicKey, requestId);
  const nonce = randomBytes(NONCE_BYTES);
  const ct = await key.seal(nonce, utf8(fragment), aad(requestId, sessionUrl));
  return { sealedFragment: toBase64Url(concatBytes(nonce, ct)), daemonPublicKey: mine.publicKey };
}

/** Page side: opens the sealed fragment; throws when it was tampered with or meant for another request, URL or key. */
export async function openRemoteFragment(
  sealedFragment: string,
  daemonPublicKey: string,
  privateKey: CryptoKey,
  requestId: string,
  sessionUrl: string,
): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(sealedFragment);
  } catch {
    throw new Error("sealed fragment is not base64url");
  }
  if (bytes.length <= NONCE_BYTES + 16) throw new Error("sealed fragment is too short");
  const key = await deriveKey(privateKey, daemonPublicKey, requestId);
  const plain = await key.open(bytes.subarray(0, NONCE_BYTES), bytes.subarray(NONCE_BYTES), aad(requestId, sessionUrl));
  if (!plain) throw new Error("sealed fragment failed authentication");
  return fromUtf8(plain);
}
