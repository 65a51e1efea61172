import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { AuthLimiter } from "../../src/relay/auth-limiter.js";
import { applyKvBatch, entrySize, SessionKv } from "../../src/relay/kv.js";
import { SnapshotWriter } from "../../src/relay/persist.js";
import { FrameRing } from "../../src/relay/ring.js";
import type { RelayDeps } from "../../src/seams.js";
import { MemoryLogger, MemorySnapshots } from "./harness.js";

const f = (seq: number, size: number) => ({ seq, n: new Uint8Array(12), c: new Uint8Array(size) });

describe("FrameRing", () => {
  it("keeps seq order, drops duplicates, trims oldest while over the cap, and serves from any seq", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 16, max: 400 })), { maxLength: 200 }), fc.integer({ min: 100, max: 3000 }), (steps, cap) => {
        const ring = new FrameRing(cap);
        let next = 0;
        for (const [jump, size] of steps) {
          const seq = Math.max(0, next + jump - 1); // jump 0 = duplicate, 1 = next, >1 = gap
          const accepted = ring.push(f(seq, size));
          expect(accepted).toBe(seq >= next);
          if (accepted) next = seq + 1;
          expect(ring.bytes).toBeLessThanOrEqual(cap);
        }
        const all = ring.all();
        expect(all.map((x) => x.seq)).toEqual([...all.map((x) => x.seq)].sort((a, b) => a - b));
        expect(ring.bytes).toBe(all.reduce((n, x) => n + x.c.byteLength, 0));
        expect(ring.nextSeq).toBe(next);
        const mid = all[Math.floor(all.length / 2)]?.seq ?? 0;
        expect(ring.from(mid).every((x) => x.seq >= mid)).toBe(true);
      }),
    );
  });

  it("stores compact copies of frames that are views into a larger received buffer", () => {
    const chunk = new Uint8Array(65536);
    const ring = new FrameRing(1000);
    ring.push({ seq: 0, n: chunk.subarray(0, 12), c: chunk.subarray(12, 62) });
    const [stored] = ring.all();
    expect(stored!.c.buffer.byteLength).toBe(50);
    expect(stored!.n.buffer.byteLength).toBe(12);
  });

  it("keeps frames a live viewer still needs beyond the cap, never beyond the hard cap", () => {
    const ring = new FrameRing(100);
    for (let seq = 0; seq < 10; seq++) ring.push(f(seq, 50), 0, 300);
    expect(ring.bytes).toBe(300);
    expect(ring.all()[0]!.seq).toBe(4); // hard cap: 6 frames
    ring.push(f(10, 50), 9, 300); // the viewer moved on to seq 9: back under the cap, keeping seq ≥ 9
    expect(ring.all().map((x) => x.seq)).toEqual([9, 10]);
  });

  it("clear keeps seqs going; restore rebuilds", () => {
    const ring = new FrameRing(1000);
    ring.push(f(0, 20));
    ring.push(f(1, 20));
    ring.clear();
    expect(ring.length).toBe(0);
    expect(ring.push(f(1, 20))).toBe(false);
    expect(ring.nextSeq).toBe(2);
    const r2 = FrameRing.restore(1000, 9, [f(3, 20), f(4, 20)]);
    expect(r2.nextSeq).toBe(9);
    expect(r2.from(0, 10).map((x) => x.seq)).toEqual([3]); // at least one frame, then the byte budget
  });
});

describe("AuthLimiter", () => {
  it("blocks an IP for the window after `max` failures within it, then lets it in again", () => {
    let now = 0;
    const l = new AuthLimiter(3, () => now);
    expect(l.fail("a")).toBe(false);
    now = 59_000;
    expect(l.fail("a")).toBe(false);
    expect(l.isBlocked("a")).toBe(false);
    expect(l.fail("a")).toBe(true);
    expect(l.isBlocked("a")).toBe(true);
    expect(l.isBlocked("b")).toBe(false);
    now += 59_999;
    expect(l.isBlocked("a")).toBe(true);
    now += 1;
    expect(l.isBlocked("a")).toBe(false);
    // Failures older than the window do not count.
    l.fail("c");
    now += 61_000;
    l.fail("c");
    expect(l.fail("c")).toBe(false);
  });
});

describe("SessionKv", () => {
  it("accounts key + JSON bytes in UTF-8 and rejects writes over the cap without changing anything", () => {
    expect(entrySize("ké", "ü")).toBe(3 + 4);
    const kv = new SessionKv(20);
    expect(kv.set("p", "a", "0123456789")).toEqual({ ok: true, rev: 1 }); // 1 + 12 = 13
    expect(kv.set("p", "b", "01234")).toMatchObject({ ok: false, code: "quota" }); // 13 + 8 = 21
    expect(kv.set("p", "b", "0123")).toEqual({ ok: true, rev: 2 }); // exactly 20
    expect(kv.set("p", "a", "x")).toEqual({ ok: true, rev: 3 }); // replacing frees the old size
    expect(kv.delete("p", "missing")).toBeNull();
    expect(kv.toJSON()).toEqual({ p: { entries: { a: "x", b: "0123" }, rev: 3 } });
    expect(kv.set("p", "u", undefined)).toMatchObject({ ok: false, code: "bad_request" });
    expect(kv.set("p", "n", Number.NaN)).toMatchObject({ ok: false, code: "bad_request" });
  });
});

describe("applyKvBatch", () => {
  it("is the same as its ops sent one by one: store, revs, sizes, changes and refusals", () => {
    const key = fc.constantFrom("a", "b", "c", "ключ", "__proto__");
    const op = fc.oneof(
      fc.record({ op: fc.constant("set" as const), pluginId: fc.constantFrom("p", "q"), key, value: fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(undefined)) }),
      fc.record({ op: fc.constant("delete" as const), pluginId: fc.constantFrom("p", "q", "__proto__"), key }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { maxLength: 10 }), (batches) => {
        const single = new SessionKv(40);
        const batched = { kv: new SessionKv(40), dirty: false, out: [] as unknown[], broadcast(m: unknown) { this.out.push(m); } };
        const sent: unknown[] = [];
        const expected: unknown[] = [];
        for (const ops of batches) {
          const diffs: unknown[] = [];
          const errors: unknown[] = [];
          for (const o of ops) {
            if ((o.pluginId as string) === "__proto__" || o.key === "__proto__") errors.push({ t: "error", code: "bad_request", message: "reserved name" });
            else if (o.op === "set") {
              const r = single.set(o.pluginId, o.key, o.value);
              if (r.ok) diffs.push({ pluginId: o.pluginId, key: o.key, value: o.value, deleted: false, rev: r.rev });
              else errors.push({ t: "error", code: r.code, message: r.message });
            } else {
              const r = single.delete(o.pluginId, o.key);
              if (r) diffs.push({ pluginId: o.pluginId, key: o.key, value: null, deleted: true, rev: r.rev });
            }
          }
          if (diffs.length) expected.push({ t: "pluginKvDiffs", userId: 3, diffs });
          applyKvBatch(batched, { userId: 3, send: (m) => sent.push(m) }, { t: "pluginKvBatch", ops });
          expect(sent.splice(0)).toEqual(errors);
        }
        expect(batched.out).toEqual(expected);
        expect(batched.kv.toJSON()).toEqual(single.toJSON());
        for (const s of batched.kv.plugins.values()) {
          expect(s.bytes).toBe([...s.entries].reduce((n, [k, v]) => n + entrySize(k, v), 0));
          expect(s.bytes).toBeLessThanOrEqual(40);
        }
        expect(batched.dirty).toBe(expected.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("SnapshotWriter", () => {
  it("applies writes per session in call order even when the store is slow, and reports failures", async () => {
    const store = new MemorySnapshots();
    const delays = [30, 0, 0];
    const realSave = store.save.bind(store);
    store.save = async (id, owner, bytes) => {
      await new Promise((r) => setTimeout(r, delays.shift() ?? 0));
      if (bytes[0] === 99) throw new Error("disk full");
      return realSave(id, owner, bytes);
    };
    const logger = new MemoryLogger();
    const w = new SnapshotWriter({ snapshots: store, logger } as unknown as RelayDeps);
    void w.save("s1", null, new Uint8Array([1]));
    void w.save("s1", null, new Uint8Array([2]));
    expect(w.busy("s1")).toBe(true);
    void w.save("s2", null, new Uint8Array([7]));
    void w.delete("s2");
    expect(await w.save("s3", null, new Uint8Array([99]))).toBe(false);
    await w.idle();
    expect(w.busy("s1")).toBe(false);
    expect([...store.data.get("s1")!.snapshot]).toEqual([2]);
    expect(store.data.has("s2")).toBe(false);
    expect(logger.lines.some((l) => l.includes("snapshot save failed"))).toBe(true);
  });
});
