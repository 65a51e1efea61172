import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "./encoding.js";
import { generateRemoteStartKeyPair, openRemoteFragment, sealRemoteFragment } from "./remote-start.js";

const FRAGMENT = "e8Xk9mBzQ2pR4w";
const REQ = "req0000000000001";
const URL1 = "https://taiku.example/s/cvmfNfOcKG";

describe("remote start sealing (ECDH P-256 + HKDF + AES-256-GCM)", () => {
  it("round-trips: the page opens what the daemon sealed", async () => {
    const page = await generateRemoteStartKeyPair();
    expect(page.publicKey).toMatch(/^[A-Za-z0-9+/]{86}[A-Za-z0-9+/=]{2}$/);
    const sealed = await sealRemoteFragment(FRAGMENT, page.publicKey, REQ, URL1);
    expect(sealed.sealedFragment).not.toContain(FRAGMENT);
    await expect(openRemoteFragment(sealed.sealedFragment, sealed.daemonPublicKey, page.privateKey, REQ, URL1)).resolves.toBe(FRAGMENT);
  });

  it("uses a fresh nonce and a fresh daemon key each time", async () => {
    const page = await generateRemoteStartKeyPair();
    const a = await sealRemoteFragment(FRAGMENT, page.publicKey, REQ, URL1);
    const b = await sealRemoteFragment(FRAGMENT, page.publicKey, REQ, URL1);
    expect(a.sealedFragment).not.toBe(b.sealedFragment);
    expect(a.daemonPublicKey).not.toBe(b.daemonPublicKey);
  });

  it("refuses a flipped bit, another request id, another session URL, another page key and a swapped daemon key", async () => {
    const page = await generateRemoteStartKeyPair();
    const other = await generateRemoteStartKeyPair();
    const sealed = await sealRemoteFragment(FRAGMENT, page.publicKey, REQ, URL1);
    const bytes = fromBase64Url(sealed.sealedFragment);
    for (const i of [0, 12, bytes.length - 1]) {
      const t = bytes.slice();
      t[i]! ^= 1;
      await expect(openRemoteFragment(toBase64Url(t), sealed.daemonPublicKey, page.privateKey, REQ, URL1)).rejects.toThrow(/authentication/);
    }
    await expect(openRemoteFragment(sealed.sealedFragment, sealed.daemonPublicKey, page.privateKey, "req0000000000002", URL1)).rejects.toThrow(/authentication/);
    await expect(openRemoteFragment(sealed.sealedFragment, sealed.daemonPublicKey, page.privateKey, REQ, "https://evil.example/s/cvmfNfOcKG")).rejects.toThrow(/authentication/);
    await expect(openRemoteFragment(sealed.sealedFragment, sealed.daemonPublicKey, other.privateKey, REQ, URL1)).rejects.toThrow(/authentication/);
    await expect(openRemoteFragment(sealed.sealedFragment, other.publicKey, page.privateKey, REQ, URL1)).rejects.toThrow(/authentication/);
    await expect(openRemoteFragment("AAAA", sealed.daemonPublicKey, page.privateKey, REQ, URL1)).rejects.toThrow(/too short/);
  });

  it("rejects malformed or off-curve public keys before deriving anything", async () => {
    await expect(sealRemoteFragment(FRAGMENT, "not base64!", REQ, URL1)).rejects.toThrow(/public key/);
    const short = btoa(String.fromCharCode(4, ...new Array(32).fill(1)));
    await expect(sealRemoteFragment(FRAGMENT, short, REQ, URL1)).rejects.toThrow(/65 raw/);
    const offCurve = btoa(String.fromCharCode(4, ...new Array(64).fill(7)));
    await expect(sealRemoteFragment(FRAGMENT, offCurve, REQ, URL1)).rejects.toThrow();
  });
});
