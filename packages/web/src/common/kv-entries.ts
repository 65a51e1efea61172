/**
 * One plugin's session KV entries as the session state holds them (`state.pluginKv[id].entries`): an
 * immutable string-keyed map whose updates share structure. Keys are spread over 64 shards by a hash of
 * the key; `with`/`without` copy the list of shards (64 references) and the one shard the key lives in
 * (≈ n / 64 entries), not all n entries, so folding a `pluginKvDiff` stays cheap however full the store
 * is — it used to copy every entry on every diff (docs/benchmarks.md "Plugin bridge"). Every version
 * stays valid (older session states keep theirs), and values are never copied.
 *
 * Each version also knows its quota bytes (spec §9.3: Σ UTF-8 bytes of key + of `JSON.stringify(value)`),
 * kept up to date per change from each entry's size measured once when it arrives, so the plugin host's
 * 64 KiB check costs O(1) per write instead of a walk over the store. Iteration order is by shard, not by
 * insertion.
 */
const SHARDS = 64;

type Entry = { readonly value: unknown; readonly bytes: number };
type Shard = ReadonlyMap<string, Entry>;
const NO_ENTRIES: Shard = new Map();

/** One change of a batch: a set, or a delete (`deleted`). */
export type KvChange = { key: string; value: unknown; deleted: boolean };

/** UTF-8 length of a string without encoding it (a lone surrogate counts 3, as TextEncoder writes U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Quota bytes of one entry (§9.3); Infinity for a value with no JSON form. */
export function kvEntryBytes(key: string, value: unknown): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return Infinity;
  }
  return utf8Length(key) + utf8Length(text ?? "");
}

function shardOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return h & (SHARDS - 1);
}

/** Server values are JSON (the relay checks); a size that is not finite must not poison the running total. */
const entry = (key: string, value: unknown): Entry => {
  const bytes = kvEntryBytes(key, value);
  return { value, bytes: Number.isFinite(bytes) ? bytes : 0 };
};

export class KvEntries {
  static readonly empty = new KvEntries(new Array<Shard>(SHARDS).fill(NO_ENTRIES), 0, 0);

  private constructor(
    private readonly shards: readonly Shard[],
    readonly size: number,
    /** Quota bytes of every entry of this version. */
    readonly bytes: number,
  ) {}

  static from(record: Readonly<Record<string, unknown>>): KvEntries {
    return KvEntries.empty.withChanges(Object.entries(record).map(([key, value]) => ({ key, value, deleted: false })));
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  /** The value, or `undefined` when the key is absent (a stored value is JSON, never `undefined`). */
  get(key: string): unknown {
    return this.shards[shardOf(key)]!.get(key)?.value;
  }

  /** Quota bytes of the entry at `key` (0 when absent). */
  bytesOf(key: string): number {
    return this.shards[shardOf(key)]!.get(key)?.bytes ?? 0;
  }

  forEach(fn: (value: unknown, key: string) => void): void {
    for (const s of this.shards) if (s.size > 0) s.forEach((e, k) => fn(e.value, k));
  }

  /** A new version with `key` set to `value`; this one is unchanged. */
  with(key: string, value: unknown): KvEntries {
    return this.withChanges([{ key, value, deleted: false }]);
  }

  /** A new version without `key` (this very one when the key is absent). */
  without(key: string): KvEntries {
    return this.has(key) ? this.withChanges([{ key, value: null, deleted: true }]) : this;
  }

  /**
   * A new version with the changes applied in order: each touched shard and the shard list are copied
   * once for the whole batch (a `pluginKvDiffs` of 32 writes costs one copy, not 32).
   */
  withChanges(changes: Iterable<KvChange>): KvEntries {
    let shards: Shard[] | null = null;
    const copied = new Set<number>();
    let size = this.size;
    let bytes = this.bytes;
    for (const c of changes) {
      const i = shardOf(c.key);
      const current = (shards ?? this.shards)[i]!;
      const old = current.get(c.key);
      if (c.deleted && !old) continue;
      shards ??= this.shards.slice();
      if (!copied.has(i)) {
        copied.add(i);
        shards[i] = new Map(current);
      }
      const shard = shards[i] as Map<string, Entry>;
      if (old) {
        size--;
        bytes -= old.bytes;
      }
      if (c.deleted) shard.delete(c.key);
      else {
        const e = entry(c.key, c.value);
        shard.set(c.key, e);
        size++;
        bytes += e.bytes;
      }
    }
    return shards ? new KvEntries(shards, size, bytes) : this;
  }

  /** A plain object copy (what `getPluginData` hands a plugin). */
  toRecord(): Record<string, unknown> {
    const pairs: Array<[string, unknown]> = [];
    this.forEach((value, key) => pairs.push([key, value]));
    return Object.fromEntries(pairs) as Record<string, unknown>; // own data properties, `__proto__` too
  }

  toJSON(): Record<string, unknown> {
    return this.toRecord();
  }
}
