/** Authentication proofs (spec §2.6): the server checks them against verifiers, never seeing a secret. */
import { toBase64Url, timingSafeEqual, utf8 } from "./encoding.js";
import { hmacSha256 } from "./primitives.js";

export type ProofPurpose = "ws" | "http";

/** proof(V, purpose, session_id, challenge) = HMAC-SHA256(V, "taiku-auth-v1|purpose|session_id|challenge") */
export function proof(verifier: Uint8Array, purpose: ProofPurpose, sessionId: string, challenge: string): Promise<Uint8Array> {
  return hmacSha256(verifier, utf8(`taiku-auth-v1|${purpose}|${sessionId}|${challenge}`));
}

export async function verifyProof(
  verifier: Uint8Array,
  purpose: ProofPurpose,
  sessionId: string,
  challenge: string,
  candidate: Uint8Array | undefined,
): Promise<boolean> {
  if (!candidate || candidate.length !== 32) return false;
  return timingSafeEqual(await proof(verifier, purpose, sessionId, challenge), candidate);
}

/** WebSocket challenge string: base64url(hello.challenge) + "|" + userId (§2.6.2). */
export const wsChallenge = (challenge: Uint8Array, userId: number): string => `${toBase64Url(challenge)}|${userId}`;
