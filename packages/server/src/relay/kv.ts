/**
 * Session KV (§9.3): server-authoritative, per plugin per session. Quota per plugin:
 * Σ (UTF-8 bytes of key + UTF-8 bytes of JSON.stringify(value)) ≤ cap. Conflict rule: last write in
 * server arrival order wins; `rev` increases by one per accepted change of that plugin.
 *
 * `pluginKvBatch` (taiku addition, `applyKvBatch`): the ops of one message run one by one with exactly
 * the single-op rules, in order, so a batch is the same as its ops sent back to back; the changes go out
 * as one `pluginKvDiffs` and the refusals after it, as `error`s to the writer.
 */
import type { ClientMsg, ServerMessage, ServerMsg } from "@taiku/protocol";

export interface PluginStore {
  entries: Map<string, unknown>;
  /** Each entry's accounted size, so replacing or deleting it does not re-encode the old value. */
  sizes: Map<string, number>;
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
      s = { entries: new Map(), sizes: new Map(), bytes: 0, rev: 0 };
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
    const size = entrySize(key, value);
    const next = s.bytes - (s.sizes.get(key) ?? 0) + size;
    if (next > this.capBytes) return { ok: false, code: "quota", message: KV_QUOTA_MESSAGE };
    s.entries.set(key, value);
    s.sizes.set(key, size);
    s.bytes = next;
    return { ok: true, rev: ++s.rev };
  }

  /** Delete; null when the key did not exist (nothing changes, no diff). */
  delete(pluginId: string, key: string): { rev: number } | null {
    const s = this.plugins.get(pluginId);
    if (!s || !s.entries.has(key)) return null;
    s.bytes -= s.sizes.get(key) ?? 0;
    s.entries.delete(key);
    s.sizes.delete(key);
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
        const size = entrySize(k, v);
        s.entries.set(k, v);
        s.sizes.set(k, size);
        s.bytes += size;
      }
      s.rev = p.rev ?? 0;
    }
    return kv;
  }
}

/** Names that would alter an object's prototype when used as a plain-object key (here or in a decoder). */
export const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

/** What `applyKvBatch` needs of the session and the writer (structural, so tests can pass fakes). */
export interface KvSession {
  kv: SessionKv;
  dirty: boolean;
  broadcast(msg: ServerMessage): void;
}
export interface KvWriter {
  userId: number;
  send(msg: ServerMessage): void;
}

type Diff = ServerMsg<"pluginKvDiffs">["diffs"][number];

/**
 * Apply a `pluginKvBatch` in order, each op with the rules of `pluginKvSet` / `pluginKvDelete` (reserved
 * names, JSON values, quota; a delete of a missing key changes nothing). The changes are broadcast as
 * one `pluginKvDiffs` (none when nothing changed), then each refused op is answered with its `error`.
 */
export function applyKvBatch(session: KvSession, writer: KvWriter, msg: ClientMsg<"pluginKvBatch">): void {
  const diffs: Diff[] = [];
  const errors: Array<{ code: string; message: string }> = [];
  for (const op of msg.ops) {
    if (RESERVED.has(op.pluginId) || RESERVED.has(op.key)) {
      errors.push({ code: "bad_request", message: "reserved name" });
    } else if (op.op === "set") {
      const r = session.kv.set(op.pluginId, op.key, op.value);
      if (r.ok) diffs.push({ pluginId: op.pluginId, key: op.key, value: op.value, deleted: false, rev: r.rev });
      else errors.push({ code: r.code, message: r.message });
    } else {
      const r = session.kv.delete(op.pluginId, op.key);
      if (r) diffs.push({ pluginId: op.pluginId, key: op.key, value: null, deleted: true, rev: r.rev });
    }
  }
  if (diffs.length > 0) {
    session.dirty = true;
    session.broadcast({ t: "pluginKvDiffs", userId: writer.userId, diffs });
  }
  for (const e of errors) writer.send({ t: "error", ...e });
}
