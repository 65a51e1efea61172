/**
 * One plugin's session KV entries as the session state holds them (`state.pluginKv[id].entries`): an
 * immutable string-keyed map whose updates share structure. Keys are spread over 64 shards by a hash of
 * the key; `with`/`without` copy the list of shards (64 references) and the one shard the key lives in
 * (≈ n / 64 entries), not all n entries, so folding a `pluginKvDiff` stays cheap however full the store
 * is — it used to copy every entry on every diff (docs/benchmarks.md "Plugin bridge"). Every version
 * stays valid (older session states keep theirs), and values are never copied: an entry a diff does not
 * touch keeps its very value, which the plugin host's quota check relies on (`SessionKvView` remembers
 * sizes by value identity). Iteration order is by shard, not by insertion.
 */
const SHARDS = 64;

type Shard = ReadonlyMap<string, unknown>;
const NO_ENTRIES: Shard = new Map();

function shardOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return h & (SHARDS - 1);
}

export class KvEntries {
  static readonly empty = new KvEntries(new Array<Shard>(SHARDS).fill(NO_ENTRIES), 0);

  private constructor(
    private readonly shards: readonly Shard[],
    readonly size: number,
  ) {}

  static from(record: Readonly<Record<string, unknown>>): KvEntries {
    const shards = new Array<Shard>(SHARDS).fill(NO_ENTRIES);
    let size = 0;
    for (const [key, value] of Object.entries(record)) {
      const i = shardOf(key);
      if (shards[i] === NO_ENTRIES) shards[i] = new Map();
      (shards[i] as Map<string, unknown>).set(key, value);
      size++;
    }
    return new KvEntries(shards, size);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  /** The value, or `undefined` when the key is absent (a stored value is JSON, never `undefined`). */
  get(key: string): unknown {
    return this.shards[shardOf(key)]!.get(key);
  }

  /** Calls `fn` for every entry (a plain loop: this runs per `setPluginData` for the quota check). */
  forEach(fn: (value: unknown, key: string) => void): void {
    for (const s of this.shards) if (s.size > 0) s.forEach(fn);
  }

  /** A new version with `key` set to `value`; this one is unchanged. */
  with(key: string, value: unknown): KvEntries {
    const i = shardOf(key);
    const next = new Map(this.shards[i]);
    const added = !next.has(key);
    next.set(key, value);
    return this.replace(i, next, added ? 1 : 0);
  }

  /** A new version without `key` (this very one when the key is absent). */
  without(key: string): KvEntries {
    const i = shardOf(key);
    if (!this.shards[i]!.has(key)) return this;
    const next = new Map(this.shards[i]);
    next.delete(key);
    return this.replace(i, next, -1);
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

  private replace(i: number, next: Shard, delta: number): KvEntries {
    const shards = this.shards.slice();
    shards[i] = next;
    return new KvEntries(shards, this.size + delta);
  }
}
