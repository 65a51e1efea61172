import { freshNonce } from "./frames.js";
import { describe, expect, it } from "vitest";
import {
  aad, deriveSessionKeys, formatFragment, generateLinkSecrets, generateSessionId, openFrame, parseFragment, proof,
  randomBase62, sealFrame, sessionLinks, utf8, verifiersOf, verifyProof, wsChallenge, fromUtf8, toBase64, fromBase64,
  toBase64Url, fromBase64Url, randomBytes, importAeadKey,
} from "./index.js";

const fast = { memorySize: 64 }; // tests only: both ends use the same parameters

describe("link secrets", () => {
  it("generates base62 ids and secrets of the documented lengths", () => {
    expect(generateSessionId()).toMatch(/^[0-9A-Za-z]{10}$/);
    const s = generateLinkSecrets();
    expect(s.key).toMatch(/^[0-9A-Za-z]{14}$/);
    expect(s.writeSecret).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(s.adminSecret).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(new Set(Array.from({ length: 200 }, () => randomBase62(14))).size).toBe(200);
  });
  it("formats and parses fragments; rejects junk", () => {
    const s = generateLinkSecrets();
    expect(parseFragment("#" + formatFragment(s))).toEqual(s);
    expect(parseFragment(formatFragment({ key: s.key }))).toEqual({ key: s.key });
    for (const bad of ["", "#", "a,b", "abc$defghijk", "x".repeat(100), `${s.key},,${s.adminSecret}`]) expect(parseFragment(bad)).toBeNull();
    const links = sessionLinks("http://h:1/", "abcDEF1234", s);
    expect(links.participant).toBe(`http://h:1/s/abcDEF1234#${s.key}`);
    expect(links.admin.endsWith(`#${s.key},${s.writeSecret},${s.adminSecret}`)).toBe(true);
  });
});

describe("encodings", () => {
  it("round-trips base64 and base64url", () => {
    for (let i = 0; i < 50; i++) {
      const b = randomBytes(i * 7);
      expect(fromBase64(toBase64(b))).toEqual(b);
      expect(fromBase64Url(toBase64Url(b))).toEqual(b);
      expect(toBase64Url(b)).not.toMatch(/[+/=]/);
    }
  });
});

describe("taiku-e2e-v1", () => {
  it("derives the same keys on both ends and distinct verifiers per level", async () => {
    const id = generateSessionId();
    const s = generateLinkSecrets();
    const cli = await deriveSessionKeys(id, s, fast);
    const reader = await deriveSessionKeys(id, { key: s.key }, fast);
    expect(reader.viewVerifier).toEqual(cli.viewVerifier);
    expect(reader.writeVerifier).toBeUndefined();
    expect(reader.input).toBeUndefined();
    const v = verifiersOf(cli);
    expect(new Set([toBase64(v.view), toBase64(v.write), toBase64(v.admin)]).size).toBe(3);
    const f = await sealFrame(cli.enc, utf8("hello"), aad.output(id, 1, 0));
    expect(fromUtf8((await openFrame(reader.enc, f, aad.output(id, 1, 0)))!)).toBe("hello");
  });

  it("rejects a frame bound to another position, tampered, or sealed with another key", async () => {
    const id = generateSessionId();
    const s = generateLinkSecrets();
    const k = await deriveSessionKeys(id, s, fast);
    const other = await deriveSessionKeys(id, generateLinkSecrets(), fast);
    const f = await sealFrame(k.enc, utf8("secret"), aad.output(id, 1, 5));
    expect(await openFrame(k.enc, f, aad.output(id, 1, 6))).toBeNull();
    expect(await openFrame(k.enc, f, aad.output(id, 2, 5))).toBeNull();
    expect(await openFrame(k.enc, f, aad.input(id, 1, 1, 5))).toBeNull();
    expect(await openFrame(other.enc, f, aad.output(id, 1, 5))).toBeNull();
    const tampered = { n: f.n, c: f.c.slice() };
    tampered.c[0]! ^= 1;
    expect(await openFrame(k.enc, tampered, aad.output(id, 1, 5))).toBeNull();
  });

  it("uses a fresh nonce for every frame", async () => {
    const k = await importAeadKey(randomBytes(32));
    const nonces = new Set<string>();
    for (let i = 0; i < 100; i++) nonces.add(toBase64((await sealFrame(k, utf8("x"), utf8("a"))).n));
    expect(nonces.size).toBe(100);
  });

  it("proofs verify only with the right verifier, purpose, session and challenge", async () => {
    const id = generateSessionId();
    const k = await deriveSessionKeys(id, generateLinkSecrets(), fast);
    const ch = wsChallenge(randomBytes(32), 7);
    const p = await proof(k.viewVerifier, "ws", id, ch);
    expect(await verifyProof(k.viewVerifier, "ws", id, ch, p)).toBe(true);
    expect(await verifyProof(k.viewVerifier, "http", id, ch, p)).toBe(false);
    expect(await verifyProof(k.writeVerifier!, "ws", id, ch, p)).toBe(false);
    expect(await verifyProof(k.viewVerifier, "ws", id + "x", ch, p)).toBe(false);
    expect(await verifyProof(k.viewVerifier, "ws", id, ch + "1", p)).toBe(false);
    expect(await verifyProof(k.viewVerifier, "ws", id, ch, undefined)).toBe(false);
  });

  it("derives with the documented Argon2id parameters by default", async () => {
    const id = "abcDEF1234";
    const a = await deriveSessionKeys(id, { key: "e8Xk9mBzQ2pR4w" });
    const b = await deriveSessionKeys(id, { key: "e8Xk9mBzQ2pR4w" }, fast);
    expect(a.viewVerifier).not.toEqual(b.viewVerifier);
  });
});

describe("Node buffers", () => {
  it("opens frames whose bytes are views into a larger Buffer (as cbor-x decodes them)", async () => {
    const id = generateSessionId();
    const k = await deriveSessionKeys(id, generateLinkSecrets(), fast);
    const f = await sealFrame(k.enc, utf8("inside a pool"), aad.output(id, 1, 0));
    const pool = Buffer.alloc(256, 9);
    pool.set(f.n, 10);
    pool.set(f.c, 40);
    const view = { n: pool.subarray(10, 22), c: pool.subarray(40, 40 + f.c.length) };
    expect(fromUtf8((await openFrame(k.enc, view, aad.output(id, 1, 0)))!)).toBe("inside a pool");
  });
});

describe("freshNonce", () => {
  it("hands out distinct 12-byte nonces across pool refills, each its own copy", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const n = freshNonce();
      expect(n.byteLength).toBe(12);
      expect(n.byteOffset).toBe(0);
      const hex = Array.from(n, (b) => b.toString(16).padStart(2, "0")).join("");
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      n.fill(0); // a caller scribbling on its nonce must not touch the next ones
    }
  });
});
