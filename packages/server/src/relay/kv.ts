/**
 * Session KV (§9.3): server-authoritative, per plugin per session. Quota per plugin:
 * Σ (UTF-8 bytes of key + UTF-8 bytes of JSON.stringify(value)) ≤ cap. Conflict rule: last write in
 * server arrival order wins; `rev` increases by one per accepted change of that plugin.
 */
export interface PluginStore {
  entries: Map<string, unknown>;
  bytes: number;
  rev: number;
}

export type KvResult = { ok: true; rev: number } | { ok: false; code: "quota" | "bad_request"; message: string };

export const KV_QUOTA_MESSAGE = "Session KV quota exceeded (64 KiB per plugin per session)";
/** Distinct plugins with session KV per session: the per-plugin quota alone would not bound memory. */
export const MAX_KV_PLUGINS = 256;

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

/** JSON-compatible value check: CBOR can carry bytes, maps with odd keys, undefined, NaN — JSON cannot. */
export function isJsonValue(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || typeof v === "boolean" || typeof v === "string") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x, depth + 1));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v as object).every((x) => isJsonValue(x, depth + 1));
  }
  return false;
}

export function entrySize(key: string, value: unknown): number {
  return byteLength(key) + byteLength(JSON.stringify(value));
}

export class SessionKv {
  readonly plugins = new Map<string, PluginStore>();

  constructor(private readonly capBytes: number) {}

  private store(pluginId: string): PluginStore {
    let s = this.plugins.get(pluginId);
    if (!s) {
      s = { entries: new Map(), bytes: 0, rev: 0 };
      this.plugins.set(pluginId, s);
    }
    return s;
  }

  set(pluginId: string, key: string, value: unknown): KvResult {
    if (value === undefined || !isJsonValue(value)) return { ok: false, code: "bad_request", message: "value must be JSON" };
    if (!this.plugins.has(pluginId) && this.plugins.size >= MAX_KV_PLUGINS) {
      return { ok: false, code: "quota", message: "too many plugins with session KV" };
    }
    const s = this.store(pluginId);
    const old = s.entries.has(key) ? entrySize(key, s.entries.get(key)) : 0;
    const next = s.bytes - old + entrySize(key, value);
    if (next > this.capBytes) return { ok: false, code: "quota", message: KV_QUOTA_MESSAGE };
    s.entries.set(key, value);
    s.bytes = next;
    return { ok: true, rev: ++s.rev };
  }

  /** Delete; null when the key did not exist (nothing changes, no diff). */
  delete(pluginId: string, key: string): { rev: number } | null {
    const s = this.plugins.get(pluginId);
    if (!s || !s.entries.has(key)) return null;
    s.bytes -= entrySize(key, s.entries.get(key));
    s.entries.delete(key);
    return { rev: ++s.rev };
  }

  toJSON(): Record<string, { entries: Record<string, unknown>; rev: number }> {
    const out: Record<string, { entries: Record<string, unknown>; rev: number }> = {};
    for (const [id, s] of this.plugins) out[id] = { entries: Object.fromEntries(s.entries), rev: s.rev };
    return out;
  }

  static restore(capBytes: number, data: Record<string, { entries: Record<string, unknown>; rev: number }>): SessionKv {
    const kv = new SessionKv(capBytes);
    for (const [id, p] of Object.entries(data ?? {})) {
      const s = kv.store(id);
      for (const [k, v] of Object.entries(p.entries ?? {})) {
        s.entries.set(k, v);
        s.bytes += entrySize(k, v);
      }
      s.rev = p.rev ?? 0;
    }
    return kv;
  }
}
