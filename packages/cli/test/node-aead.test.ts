/** The CLI's node:crypto AES-256-GCM interoperates with @taiku/crypto's WebCrypto keys in both directions. */
import { describe, expect, it } from "vitest";
import {
  aad, deriveSessionKeys, fromUtf8, generateLinkSecrets, generateSessionId, importAeadKey, openFrame, openFrameSync, randomBytes,
  sealFrame, sealFrameSync, utf8, type SealedFrame,
} from "@taiku/crypto";
import { importNodeAeadKey } from "../src/node-aead.js";

const fast = { memorySize: 64 };

describe("node:crypto AEAD", () => {
  it("opens what WebCrypto sealed and the other way round, for empty to 64 KiB plaintexts", async () => {
    const raw = randomBytes(32);
    const web = await importAeadKey(raw);
    const node = await importNodeAeadKey(raw);
    for (const size of [0, 1, 15, 16, 17, 4096, 65_536]) {
      const plain = randomBytes(size);
      const ad = aad.output("abcDEF1234", 1, size);
      const fromNode = sealFrameSync(node, plain, ad);
      expect(await openFrame(web, fromNode, ad)).toEqual(plain);
      const fromWeb = await sealFrame(web, plain, ad);
      expect(new Uint8Array(openFrameSync(node, fromWeb, ad)!)).toEqual(plain);
      expect(new Uint8Array((await openFrame(node, fromWeb, ad))!)).toEqual(plain); // async form too
      // Same nonce, key and AAD: identical ciphertext and tag.
      expect(new Uint8Array(await node.seal(fromWeb.n, plain, ad))).toEqual(fromWeb.c);
    }
  });

  it("rejects tampering, another AAD, another key and short frames", async () => {
    const node = await importNodeAeadKey(randomBytes(32));
    const other = await importNodeAeadKey(randomBytes(32));
    const ad = aad.input("abcDEF1234", 1, 2, 3);
    const f = sealFrameSync(node, utf8("secret"), ad);
    const flip = (x: SealedFrame, i: number): SealedFrame => {
      const c = Uint8Array.from(x.c);
      c[i]! ^= 1;
      return { n: x.n, c };
    };
    expect(fromUtf8(openFrameSync(node, f, ad)!)).toBe("secret");
    expect(openFrameSync(node, flip(f, 0), ad)).toBeNull();
    expect(openFrameSync(node, flip(f, f.c.length - 1), ad)).toBeNull(); // tag
    expect(openFrameSync(node, f, aad.input("abcDEF1234", 1, 2, 4))).toBeNull();
    expect(openFrameSync(other, f, ad)).toBeNull();
    expect(openFrameSync(node, { n: f.n, c: f.c.subarray(0, 15) }, ad)).toBeNull();
    expect(openFrameSync(node, { n: f.n.subarray(0, 11), c: f.c }, ad)).toBeNull();
  });

  it("deriveSessionKeys with importAeadKey: a CLI on node:crypto and a viewer on WebCrypto share the session", async () => {
    const id = generateSessionId();
    const s = generateLinkSecrets();
    const cli = await deriveSessionKeys(id, s, { ...fast, importAeadKey: importNodeAeadKey });
    const viewer = await deriveSessionKeys(id, { key: s.key, writeSecret: s.writeSecret }, fast);
    expect(cli.viewVerifier).toEqual(viewer.viewVerifier);
    expect(cli.enc.sealSync).toBeTypeOf("function");
    expect(viewer.enc.sealSync).toBeUndefined();
    const out = sealFrameSync(cli.enc, utf8("output"), aad.output(id, 1, 0));
    expect(fromUtf8((await openFrame(viewer.enc, out, aad.output(id, 1, 0)))!)).toBe("output");
    const typed = await sealFrame(viewer.input!, utf8("ls\r"), aad.input(id, 1, 1, 1));
    expect(fromUtf8(openFrameSync(cli.input!, typed, aad.input(id, 1, 1, 1))!)).toBe("ls\r");
  });

  it("the sync helpers refuse keys without a synchronous implementation", async () => {
    const web = await importAeadKey(randomBytes(32));
    expect(() => sealFrameSync(web, utf8("x"), utf8("a"))).toThrow(/synchronous/);
  });
});

describe("sealPartsSync", () => {
  it("pieces join to exactly what sealSync returns, and encodeCliData carries a frame WebCrypto opens", async () => {
    const { encodeCliData, decodeCbor } = await import("@taiku/protocol");
    const raw = randomBytes(32);
    const node = await importNodeAeadKey(raw);
    const web = await importAeadKey(raw);
    for (const size of [0, 1, 4096, 65_536]) {
      const plain = randomBytes(size);
      const ad = aad.output("abcDEF1234", 2, size);
      const n = randomBytes(12);
      const parts = node.sealPartsSync!(n, plain, ad);
      expect(Buffer.concat(parts)).toEqual(Buffer.from(node.sealSync!(n, plain, ad)));
      const msg = decodeCbor(encodeCliData(2, size, n, parts).bytes) as { frame: SealedFrame };
      expect(new Uint8Array((await openFrame(web, msg.frame, ad))!)).toEqual(plain);
    }
  });
});
