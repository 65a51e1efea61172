import type { ServerMessage, ServerMsg } from "@taiku/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvEntries, utf8Length } from "./kv-entries.js";
import { changedExcept, initialState, reduce, type SessionState } from "./session-state.js";

type KvMessage = Extract<ServerMessage, { t: "pluginKv" | "pluginKvDiff" | "pluginKvDiffs" }>;
const diff = (key: string, value: unknown, rev: number, pluginId = "p.a"): KvMessage =>
  ({ t: "pluginKvDiff", pluginId, key, value, deleted: value === undefined, rev, userId: 1 });

/**
 * The reducer as it was: a full copy of the plugin's entries on every diff (writing with
 * defineProperty: the old `entries[key] = value` set the prototype for a key named `__proto__`).
 */
function reference(kv: Record<string, Record<string, unknown>>, msg: KvMessage): Record<string, Record<string, unknown>> {
  if (msg.t === "pluginKvDiffs") return msg.diffs.reduce((acc, d) => reference(acc, { t: "pluginKvDiff", ...d, userId: msg.userId }), kv);
  if (msg.t === "pluginKv") return { ...kv, [msg.pluginId]: { ...msg.entries } };
  const entries = { ...kv[msg.pluginId] };
  if (msg.deleted) delete entries[msg.key];
  else Object.defineProperty(entries, msg.key, { value: msg.value, enumerable: true, writable: true, configurable: true });
  return { ...kv, [msg.pluginId]: entries };
}

/** The quota bytes of §9.3 measured the plain way (TextEncoder), against the running totals. */
const enc = new TextEncoder();
const bytesOf = (entries: Record<string, unknown>) =>
  Object.entries(entries).reduce((n, [k, v]) => n + enc.encode(k).byteLength + enc.encode(JSON.stringify(v)).byteLength, 0);
const plain = (st: SessionState) => Object.fromEntries(Object.entries(st.pluginKv).map(([id, p]) => [id, p.entries.toRecord()]));
/** How many of the 64 shards two versions do not share (test-only look inside). */
const unshared = (a: KvEntries, b: KvEntries) => {
  const [x, y] = [a, b].map((e) => (e as unknown as { shards: unknown[] }).shards);
  return x!.filter((s, i) => s !== y![i]).length;
};

describe("session KV in the session state (pluginKv / pluginKvDiff)", () => {
  const full = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`key-${i}`, { n: i, text: "x".repeat(90) }]));
  const loaded = reduce(initialState("s"), { t: "pluginKv", pluginId: "p.a", entries: full, rev: 1 });

  it("a diff touching one key replaces that key only: other values keep their identity, one shard is copied", () => {
    const before = loaded.pluginKv["p.a"]!.entries;
    const next = reduce(loaded, diff("key-7", { n: -1 }, 2));
    const after = next.pluginKv["p.a"]!;
    expect(after.rev).toBe(2);
    expect(after.entries.get("key-7")).toEqual({ n: -1 });
    before.forEach((value, key) => key !== "key-7" && expect(after.entries.get(key)).toBe(value));
    expect(unshared(before, after.entries)).toBe(1);
    // Immutable: the previous state still holds the old value, and a new state object came out.
    expect(before.get("key-7")).toBe(full["key-7"]);
    expect(next).not.toBe(loaded);
    expect(next.pluginKv).not.toBe(loaded.pluginKv);
  });

  it("deletes, counts and looks up any key, including Object.prototype names", () => {
    let st = loaded;
    const odd = ["__proto__", "constructor", "hasOwnProperty", "toString", "", "0", "ключ", "🙂"];
    odd.forEach((key, i) => (st = reduce(st, diff(key, i, 10 + i))));
    const e = st.pluginKv["p.a"]!.entries;
    expect(e.size).toBe(608);
    for (const [i, key] of odd.entries()) expect([e.has(key), e.get(key)]).toEqual([true, i]);
    expect(Object.getPrototypeOf(e.toRecord())).toBe(Object.prototype);
    expect(Object.hasOwn(e.toRecord(), "__proto__")).toBe(true);
    expect(e.has("valueOf")).toBe(false);
    expect(e.get("valueOf")).toBeUndefined();
    const gone = reduce(st, diff("__proto__", undefined, 30)).pluginKv["p.a"]!.entries;
    expect([gone.size, gone.has("__proto__")]).toEqual([607, false]);
    expect(e.without("missing")).toBe(e);
    expect(KvEntries.empty.without("x")).toBe(KvEntries.empty);
    expect(JSON.parse(JSON.stringify(KvEntries.from({ a: 1 })))).toEqual({ a: 1 });
  });

  it("matches the old full copy on random message sequences, and every earlier state keeps its entries", () => {
    const key = fc.constantFrom("a", "b", "c", "d", "__proto__", "constructor", "k1", "k2", "k3", "0", "", "ключ", "🙂");
    const pluginId = fc.constantFrom("p.a", "p.b");
    // Any UTF-16 (lone surrogates too): the running byte totals must match TextEncoder's count.
    const text = fc.string({ unit: "binary" });
    const value = fc.option(fc.oneof(fc.integer(), text, fc.constant(null), fc.record({ x: fc.integer(), s: text })), { nil: undefined });
    const msg: fc.Arbitrary<KvMessage> = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(key, value, pluginId).map(([k, v, p]) => diff(k, v, 0, p)) },
      {
        weight: 3,
        arbitrary: fc.array(fc.tuple(key, value, pluginId), { minLength: 1, maxLength: 6 }).map(
          (ops) => ({ t: "pluginKvDiffs", userId: 1, diffs: ops.map(([k, v, p]) => { const { t: _t, userId: _u, ...d } = diff(k, v, 0, p) as ServerMsg<"pluginKvDiff">; return d; }) }) as KvMessage,
        ),
      },
      { weight: 1, arbitrary: fc.tuple(pluginId, fc.dictionary(key, fc.integer())).map(([p, entries]) => ({ t: "pluginKv", pluginId: p, entries, rev: 0 }) as KvMessage) },
    );
    fc.assert(
      fc.property(fc.array(msg, { maxLength: 80 }), (msgs) => {
        let st = initialState("s");
        let ref: Record<string, Record<string, unknown>> = {};
        const history: Array<[SessionState, Record<string, Record<string, unknown>>]> = [];
        for (const m of msgs) {
          st = reduce(st, m);
          ref = reference(ref, m);
          expect(plain(st)).toEqual(ref);
          for (const [id, entries] of Object.entries(ref)) {
            expect(st.pluginKv[id]!.entries.size).toBe(Object.keys(entries).length);
            expect(st.pluginKv[id]!.entries.bytes).toBe(bytesOf(entries));
          }
          history.push([st, ref]);
        }
        for (const [old, oldRef] of history) expect(plain(old)).toEqual(oldRef);
      }),
      { numRuns: 300 },
    );
  });
});

describe("pluginKvDiffs (one batch of changes)", () => {
  it("folds in order into one new state, copying each touched shard once", () => {
    const base = reduce(initialState("s"), { t: "pluginKv", pluginId: "p.a", entries: { a: 1, b: 2 }, rev: 4 });
    const d = (key: string, value: unknown, rev: number, pluginId = "p.a") => ({ pluginId, key, value, deleted: value === null, rev });
    const next = reduce(base, { t: "pluginKvDiffs", userId: 3, diffs: [d("a", 10, 5), d("c", 3, 6), d("a", 11, 7), d("b", null, 8), d("x", "y", 1, "p.b")] });
    expect(plain(next)).toEqual({ "p.a": { a: 11, c: 3 }, "p.b": { x: "y" } });
    expect([next.pluginKv["p.a"]!.rev, next.pluginKv["p.b"]!.rev]).toEqual([8, 1]);
    expect(next.pluginKv["p.a"]!.entries.bytes).toBe(bytesOf({ a: 11, c: 3 }));
    expect(plain(base)).toEqual({ "p.a": { a: 1, b: 2 } });
    expect(reduce(base, { t: "pluginKvDiffs", userId: 3, diffs: [] })).toBe(base);
    // A batch of 50 writes to one shard's worth of keys copies that shard once: the rest stay shared.
    const many = Array.from({ length: 50 }, (_, i) => d("same", i, 10 + i));
    const after = reduce(base, { t: "pluginKvDiffs", userId: 3, diffs: many }).pluginKv["p.a"]!.entries;
    expect(unshared(base.pluginKv["p.a"]!.entries, after)).toBe(1);
    expect(after.get("same")).toBe(49);
  });

  it("counts UTF-8 bytes as TextEncoder does, lone surrogates included", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => utf8Length(s) === enc.encode(s).byteLength));
    expect(utf8Length("\ud83d\ude42\ud83d")).toBe(4 + 3);
  });
});

describe("changedExcept (the session page skips state changes it does not show)", () => {
  it("compares fields by identity, leaving the ignored ones out", () => {
    const ignore = new Set<keyof SessionState>(["pluginKv", "latencyMs"]);
    const s0 = reduce(initialState("s"), { t: "shellLatency", ms: 5 });
    const kv = reduce(s0, diff("k", 1, 1));
    const latency = reduce(kv, { t: "shellLatency", ms: 7 });
    expect([changedExcept(s0, kv, ignore), changedExcept(kv, latency, ignore)]).toEqual([false, false]);
    const chat = reduce(latency, { t: "chat", id: 1, userId: 1, name: "a", message: "hi", ts: 1 });
    expect(changedExcept(latency, chat, ignore)).toBe(true);
    expect(changedExcept(s0, latency, new Set())).toBe(true);
  });
});

describe("tunnels (§3.12)", () => {
  it("keeps only http(s) tunnel URLs: they become frame sources and links in the page", () => {
    const tunnels = [
      { port: 3000, url: "http://localhost:8080/t/abc/p/3000/" },
      { port: 3001, url: "javascript:alert(document.domain)" },
      { port: 3002, url: "https://3002-abc.tunnels.example/" },
      { port: 3003, url: "data:text/html,<script>1</script>" },
      { port: 3004, url: "not a url" },
    ];
    const st = reduce(initialState("abc"), { t: "tunnels", tunnels });
    expect(st.tunnels.map((t) => t.port)).toEqual([3000, 3002]);
  });
});
