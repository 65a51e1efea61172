/**
 * Wire strings of spec §2.4.2–§2.6.2, written out literally and checked against an independent
 * computation with `node:crypto`, so a change to an AAD, an HKDF label or the proof message cannot pass
 * unnoticed (peers built from the spec would fail to open frames or to authenticate).
 */
import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { aad, deriveSessionKeys, fromUtf8, proof, stretchKey, toBase64Url, wsChallenge } from "./index.js";

const fast = { memorySize: 64 };
const SID = "abcDEF1234";

describe("taiku-e2e-v1 wire strings (§2.4.3)", () => {
  it("AAD = the fields joined by | in the spec's order", () => {
    expect(fromUtf8(aad.output(SID, 2, 7))).toBe("taiku-e2e-v1|abcDEF1234|out|2|7");
    expect(fromUtf8(aad.input(SID, 2, 5, 1))).toBe("taiku-e2e-v1|abcDEF1234|in|2|5|1");
    expect(fromUtf8(aad.title(SID, 2, 3))).toBe("taiku-e2e-v1|abcDEF1234|title|2|3");
    expect(fromUtf8(aad.agent(SID, 2, 9))).toBe("taiku-e2e-v1|abcDEF1234|agent|2|9");
    expect(fromUtf8(aad.doc(SID, "Ab3dEf6hIj9L", 5, 4))).toBe("taiku-e2e-v1|abcDEF1234|doc|Ab3dEf6hIj9L|5|4");
    expect(fromUtf8(aad.alias(SID, 2, 11))).toBe("taiku-e2e-v1|abcDEF1234|alias|2|11");
    expect(fromUtf8(aad.aliasResult(SID, 2, 11))).toBe("taiku-e2e-v1|abcDEF1234|alias-result|2|11");
  });
});

describe("key schedule and proofs (§2.4.2, §2.6)", () => {
  it("verifiers are HKDF-SHA256 with the spec's salts and info labels", async () => {
    const secrets = { key: "e8Xk9mBzQ2pR4w", writeSecret: "w".repeat(22), adminSecret: "a".repeat(22) };
    const keys = await deriveSessionKeys(SID, secrets, fast);
    const ikm = await stretchKey(SID, secrets.key, fast);
    const hk = (k: Uint8Array | string, salt: string, info: string) => new Uint8Array(hkdfSync("sha256", k, salt, info, 32));
    expect(keys.viewVerifier).toEqual(hk(ikm, "", "taiku-e2e-v1/view-verifier"));
    expect(keys.writeVerifier).toEqual(hk(secrets.writeSecret, SID, "taiku-e2e-v1/write-verifier"));
    expect(keys.adminVerifier).toEqual(hk(secrets.adminSecret, SID, "taiku-e2e-v1/admin-verifier"));
  });

  it("proof = HMAC-SHA256(V, \"taiku-auth-v1|purpose|session_id|challenge\"); ws challenge = base64url(bytes)|userId", async () => {
    const challenge = new Uint8Array(32).map((_, i) => i * 7);
    const ch = wsChallenge(challenge, 42);
    expect(ch).toBe(`${Buffer.from(challenge).toString("base64url")}|42`);
    expect(toBase64Url(challenge)).not.toMatch(/=/);
    const v = new Uint8Array(32).fill(3);
    const expected = createHmac("sha256", v).update(`taiku-auth-v1|ws|${SID}|${ch}`).digest();
    expect(Buffer.from(await proof(v, "ws", SID, ch)).equals(expected)).toBe(true);
  });
});
