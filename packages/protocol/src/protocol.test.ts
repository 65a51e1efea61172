import { describe, expect, it } from "vitest";
import { ALIAS_RESULT_PLAIN_MAX, decodeCbor, encodeCbor, parseClientMessage, parseCliDown, parseCliUp, parseServerMessage } from "./index.js";

const b = (n: number) => new Uint8Array(n).fill(7);

describe("CBOR framing", () => {
  it("encodes byte strings as CBOR major type 2 and round-trips maps", () => {
    const enc = encodeCbor({ t: "x", data: b(3) });
    // map(2) "t" "x" "data" bytes(3)
    expect(Array.from(enc).includes(0x43)).toBe(true);
    const dec = decodeCbor(enc) as { t: string; data: Uint8Array };
    expect(dec.t).toBe("x");
    expect(dec.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(dec.data)).toEqual([7, 7, 7]);
  });
});

describe("browser messages", () => {
  it("accepts valid messages through CBOR and strips unknown keys", () => {
    const r = parseClientMessage(decodeCbor(encodeCbor({ t: "data", shellId: 1, counter: 1, frame: { n: b(12), c: b(20) }, extra: 1 })));
    expect(r.ok).toBe(true);
    if (r.ok) expect("extra" in r.message).toBe(false);
  });
  it("ignores unknown types and reports invalid fields clearly", () => {
    expect(parseClientMessage({ t: "fromTheFuture" })).toEqual({ ok: false, unknownType: true, type: "fromTheFuture" });
    const bad = parseClientMessage({ t: "data", shellId: 0, counter: 1, frame: { n: b(12), c: b(20) } });
    expect(bad.ok).toBe(false);
    if (!bad.ok && !bad.unknownType) expect(bad.error).toMatch(/invalid data message at shellId/);
    expect(parseClientMessage({ t: "data", shellId: 1, counter: 1, frame: { n: b(11), c: b(20) } }).ok).toBe(false);
    expect(parseClientMessage({ t: "chat", message: "" }).ok).toBe(false);
    expect(parseClientMessage({ t: "chat", message: "x".repeat(2001) }).ok).toBe(false);
    expect(parseClientMessage([1, 2]).ok).toBe(false);
    expect(parseClientMessage(null).ok).toBe(false);
  });
  it("parses server messages", () => {
    const r = parseServerMessage({ t: "hello", userId: 1, sessionId: "abcd1234", challenge: b(32), serverVersion: "0.1.0", e2e: "taiku-e2e-v1", features: [] });
    expect(r.ok).toBe(true);
  });
});

describe("CLI link messages", () => {
  it("validates open, hello and data", () => {
    expect(parseCliUp({ t: "open", v: 1, cliVersion: "0.1.0", readersEnabled: false, noViewerAuth: true, tunnelPorts: [], deviceId: "", cwdLabel: "x" }).ok).toBe(true);
    expect(parseCliUp({ t: "hello", sessionId: "abcd1234", token: "x".repeat(32), viewVerifier: b(32), writeVerifier: b(32), adminVerifier: b(31), e2e: "taiku-e2e-v1" }).ok).toBe(false);
    expect(parseCliDown({ t: "sync", nextSeq: { "1": 4 } }).ok).toBe(true);
  });
});

describe("alias answers (§4.8, §7.14: respondAlias output ≤ 1 MiB)", () => {
  const frame = (c: number) => ({ n: b(12), c: b(c) });
  it("accept a sealed answer larger than a terminal frame on both links, up to ALIAS_RESULT_PLAIN_MAX", () => {
    const big = 512 * 1024;
    expect(parseClientMessage({ t: "aliasResult", invocationId: 1, frame: frame(big) }).ok).toBe(true);
    expect(parseCliDown({ t: "aliasResult", invocationId: 1, frame: frame(big), timeout: false }).ok).toBe(true);
    expect(parseClientMessage({ t: "aliasResult", invocationId: 1, frame: frame(ALIAS_RESULT_PLAIN_MAX + 16) }).ok).toBe(true);
    expect(parseClientMessage({ t: "aliasResult", invocationId: 1, frame: frame(ALIAS_RESULT_PLAIN_MAX + 17) }).ok).toBe(false);
    // Terminal input keeps its 64 KiB per frame (§2.2.1).
    expect(parseClientMessage({ t: "data", shellId: 1, counter: 1, frame: frame(big) }).ok).toBe(false);
  });
});
