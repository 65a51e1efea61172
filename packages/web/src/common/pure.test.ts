import { describe, expect, it } from "vitest";
import { AckCoalescer } from "./ack.js";
import { backoffDelay } from "./backoff.js";
import { deviceLabel } from "./device.js";
import { applyCtrl, extraKeySequence } from "./extra-keys.js";
import { loginRedirect, parseSessionLink, safeNext, sessionIdFromPath, stashFragment, takeStashedFragment, withoutQueryParam } from "./fragment.js";
import { Outbox } from "./outbox.js";
import { ownershipStore } from "./ownership.js";
import { MemoryStorage } from "./services.js";
import { FakeClock } from "./testing/fakes.js";

describe("reconnect backoff (§2.2.5)", () => {
  it("starts at 500 ms, doubles, caps at 10 s", () => {
    const mid = () => 0.5; // no jitter at the midpoint
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, mid))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
  it("jitters by ±20 %", () => {
    expect(backoffDelay(0, () => 0)).toBe(400);
    expect(backoffDelay(0, () => 0.999999)).toBe(600);
    expect(backoffDelay(9, () => 0)).toBe(8000);
    expect(backoffDelay(9, () => 0.999999)).toBe(12_000);
  });
});

describe("offline queue", () => {
  it("keeps at most max entries, dropping the oldest", () => {
    const q = new Outbox({ max: 3, staleInputMs: 5000 });
    for (let i = 1; i <= 5; i++) q.push({ kind: "message", message: { t: "chat", message: `m${i}` }, at: 0 });
    expect(q.size).toBe(3);
    expect(q.dropped).toBe(2);
    expect(q.drain(0).map((e) => (e.kind === "message" && e.message.t === "chat" ? e.message.message : ""))).toEqual(["m3", "m4", "m5"]);
    expect(q.size).toBe(0);
  });
  it("drops input older than 5 s but keeps other messages", () => {
    const q = new Outbox({ max: 64, staleInputMs: 5000 });
    q.push({ kind: "input", shellId: 1, data: new Uint8Array([97]), at: 0 });
    q.push({ kind: "message", message: { t: "setFocus", shellId: 1 }, at: 0 });
    q.push({ kind: "input", shellId: 1, data: new Uint8Array([98]), at: 1000 });
    const out = q.drain(6000);
    expect(out.map((e) => e.kind)).toEqual(["message", "input"]);
    expect(out[1]!.kind === "input" && out[1]!.data[0]).toBe(98);
    expect(q.dropped).toBe(1);
  });
});

describe("ack coalescing", () => {
  it("acks once per 64 KiB or after 50 ms, with the highest seq, never going back", () => {
    const clock = new FakeClock();
    const acks: number[] = [];
    const a = new AckCoalescer(clock, (s) => acks.push(s), { bytes: 64 * 1024, delayMs: 50 });
    a.written(1, 100);
    a.written(2, 100);
    expect(acks).toEqual([]);
    clock.advance(49);
    expect(acks).toEqual([]);
    clock.advance(1);
    expect(acks).toEqual([2]);
    a.written(3, 40_000);
    a.written(4, 30_000); // crosses 64 KiB: immediate
    expect(acks).toEqual([2, 4]);
    clock.advance(100);
    expect(acks).toEqual([2, 4]); // timer cancelled, nothing pending
    a.written(3, 10); // stale
    clock.advance(100);
    expect(acks).toEqual([2, 4]);
    a.written(5, 1);
    a.reset(); // new connection: pending forgotten
    clock.advance(100);
    expect(acks).toEqual([2, 4]);
    a.written(6, 1);
    a.flush();
    expect(acks).toEqual([2, 4, 6]);
  });
});

describe("fragment and link handling", () => {
  it("parses session links and paths", () => {
    const l = parseSessionLink("http://127.0.0.1:8080/s/abcDEF1234#e8Xk9mBzQ2pR4w,aaaaaaaaaaaaaaaaaaaaaa");
    expect(l).toEqual({ sessionId: "abcDEF1234", fragment: "e8Xk9mBzQ2pR4w,aaaaaaaaaaaaaaaaaaaaaa", secrets: { key: "e8Xk9mBzQ2pR4w", writeSecret: "aaaaaaaaaaaaaaaaaaaaaa" } });
    expect(parseSessionLink("http://h/s/abcDEF1234")).toBeNull();
    expect(parseSessionLink("http://h/x/abcDEF1234#e8Xk9mBzQ2pR4w")).toBeNull();
    expect(sessionIdFromPath("/s/abc1234xyz/")).toBe("abc1234xyz");
    expect(sessionIdFromPath("/s/a")).toBeNull();
    expect(sessionIdFromPath("/s/abc/def")).toBeNull();
  });
  it("stashes the fragment across the sign-in redirect, once", () => {
    const st = new MemoryStorage();
    stashFragment(st, "abc1234xyz", "e8Xk9mBzQ2pR4w");
    expect(loginRedirect("abc1234xyz")).toBe("/login?next=%2Fs%2Fabc1234xyz");
    expect(takeStashedFragment(st, "abc1234xyz")).toBe("e8Xk9mBzQ2pR4w");
    expect(takeStashedFragment(st, "abc1234xyz")).toBeNull();
  });
  it("accepts only same-site next targets", () => {
    expect(safeNext("/s/abc1234xyz")).toBe("/s/abc1234xyz");
    for (const bad of ["//evil.example", "https://evil.example", "/\\evil", "", null]) expect(safeNext(bad)).toBe("/account");
    // URL parsers drop tabs and newlines, so "/<tab>/evil" is "//evil": another site after sign-in (?next=/%09/evil.example).
    expect(new URL("/\t/evil.example", "https://app.example").host).toBe("evil.example");
    for (const bad of ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example"]) expect(safeNext(bad)).toBe("/account");
  });
  it("removes the one-time signin parameter but keeps the fragment", () => {
    expect(withoutQueryParam("http://h/s/abc1234xyz?signin=XYZ&x=1#k,w,a", "signin")).toBe("/s/abc1234xyz?x=1#k,w,a");
    expect(withoutQueryParam("http://h/s/abc1234xyz?signin=XYZ#k", "signin")).toBe("/s/abc1234xyz#k");
  });
});

describe("device label (§3.4)", () => {
  it("derives <OS> Web from the user agent", () => {
    expect(deviceLabel("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")).toBe("iPhone Web");
    expect(deviceLabel("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)")).toBe("Mac Web");
    expect(deviceLabel("Mozilla/5.0 (X11; Linux x86_64)")).toBe("Linux Web");
    expect(deviceLabel("Mozilla/5.0 (Linux; Android 14; Pixel 8)")).toBe("Android Web");
    expect(deviceLabel("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")).toBe("Windows Web");
    expect(deviceLabel(undefined)).toBe("Web");
  });
});

describe("extra-keys bar", () => {
  it("sends the terminal's escape sequences", () => {
    expect(extraKeySequence("esc")).toBe("\x1b");
    expect(extraKeySequence("tab")).toBe("\t");
    expect(extraKeySequence("up")).toBe("\x1b[A");
    expect(extraKeySequence("left")).toBe("\x1b[D");
    expect(extraKeySequence("up", { applicationCursor: true })).toBe("\x1bOA");
    expect(extraKeySequence("right", { ctrl: true })).toBe("\x1b[1;5C");
    expect(extraKeySequence("pgdn")).toBe("\x1b[6~");
  });
  it("applies a sticky Ctrl to the next character only", () => {
    expect(applyCtrl("c")).toBe("\x03");
    expect(applyCtrl("C")).toBe("\x03");
    expect(applyCtrl("d")).toBe("\x04");
    expect(applyCtrl("[")).toBe("\x1b");
    expect(applyCtrl(" ")).toBe("\x00");
    expect(applyCtrl("?")).toBe("\x7f");
    expect(applyCtrl("ab")).toBe("\x01b");
    expect(applyCtrl("1")).toBe("1");
  });
});

describe("ownership tokens (§3.6)", () => {
  it("stores tokens per session as base64 and prunes closed shells", () => {
    const st = new MemoryStorage();
    const o = ownershipStore(st, "abc1234xyz");
    const t1 = new Uint8Array(32).fill(1);
    const t2 = new Uint8Array(32).fill(2);
    o.set(1, t1);
    o.set(2, t2);
    expect(JSON.parse(st.getItem("taiku:owned:abc1234xyz")!)).toEqual({ "1": expect.any(String), "2": expect.any(String) });
    expect(ownershipStore(st, "abc1234xyz").claims()).toEqual([{ shellId: 1, token: t1 }, { shellId: 2, token: t2 }]);
    o.retain([2]);
    expect(o.claims()).toEqual([{ shellId: 2, token: t2 }]);
    expect(ownershipStore(st, "other12345").claims()).toEqual([]);
    st.setItem("taiku:owned:abc1234xyz", "{not json");
    expect(o.claims()).toEqual([]);
  });
});
