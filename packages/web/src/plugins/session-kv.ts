/**
 * Session KV as the host sees it (spec §9.3): the server's copy (`state.pluginKv`, folded from
 * `pluginKv`/`pluginKvDiff(s)`) plus this client's writes that the server has not echoed yet. Writes are
 * applied optimistically; the server's diff for a key replaces the local value once every write this
 * client made to that key has come back (last writer wins in server arrival order).
 *
 * Quota: Σ over keys (UTF-8 bytes of key + UTF-8 bytes of JSON.stringify(value)) ≤ 65 536 per plugin,
 * checked here before sending, with the same text the server uses. The check is O(1) in the store's
 * size: the server copy carries its byte total (`KvEntries.bytes`), and the writes in flight keep a
 * running total of their own sizes and of the server sizes they hide. It used to walk every entry on
 * each `setPluginData` (≈ 76 µs at 600 keys; docs/benchmarks.md "Plugin bridge").
 */
import { BRIDGE_ERRORS, jsonRoundTrip } from "@taiku/protocol";
import { kvEntryBytes, utf8Length, type KvEntries } from "../common/kv-entries.js";

export { kvEntryBytes };
export const SESSION_KV_QUOTA = 64 * 1024;

/** Full re-measure of a plain record (tests compare the running totals with it). */
export function kvBytes(entries: Record<string, unknown>): number {
  let total = 0;
  for (const [k, v] of Object.entries(entries)) total += kvEntryBytes(k, v);
  return total;
}

type Pending = { count: number; deleted: boolean; value: unknown; bytes: number };
/** One plugin's writes in flight and their running byte totals. */
interface InFlight {
  keys: Map<string, Pending>;
  /** Σ bytes of the pending values (deletes count 0). */
  bytes: number;
  /** Σ bytes of the server entries these keys hide, valid for the server version `hiddenOf`. */
  hidden: number;
  hiddenOf: KvEntries | null;
}

export interface KvSink {
  /** Current server copy of one plugin's entries. */
  serverEntries(pluginId: string): KvEntries;
  /** `bytes`: the write's quota bytes, already measured (the session client sizes its batches with it). */
  sendSet(pluginId: string, key: string, value: unknown, bytes: number): void;
  sendDelete(pluginId: string, key: string): void;
}

export class SessionKvView {
  private readonly pending = new Map<string, InFlight>();

  constructor(
    private readonly sink: KvSink,
    private readonly quota = SESSION_KV_QUOTA,
  ) {}

  entries(pluginId: string): Record<string, unknown> {
    const out = this.sink.serverEntries(pluginId).toRecord();
    for (const [key, p] of this.pending.get(pluginId)?.keys ?? []) {
      if (p.deleted) delete out[key];
      else Object.defineProperty(out, key, { value: p.value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  get(pluginId: string, key: string): unknown {
    const p = this.pending.get(pluginId)?.keys.get(key);
    if (p) return p.deleted ? null : p.value;
    const server = this.sink.serverEntries(pluginId);
    return server.has(key) ? server.get(key) : null;
  }

  /** UTF-8 bytes of the plugin's entries as this client sees them, leaving `except` out. O(1) per write. */
  private usedBytes(pluginId: string, server: KvEntries, except: string): number {
    const f = this.pending.get(pluginId);
    if (!f) return server.bytes - server.bytesOf(except);
    const p = f.keys.get(except);
    const exceptBytes = p ? (p.deleted ? 0 : p.bytes) : server.bytesOf(except);
    return server.bytes - this.hidden(f, server) + f.bytes - exceptBytes;
  }

  /** Σ server sizes under the pending keys: recounted (O(writes in flight)) only when the server copy changed. */
  private hidden(f: InFlight, server: KvEntries): number {
    if (f.hiddenOf !== server) {
      let sum = 0;
      for (const key of f.keys.keys()) sum += server.bytesOf(key);
      f.hidden = sum;
      f.hiddenOf = server;
    }
    return f.hidden;
  }

  /** Throws the documented quota error (nothing sent) when the write would exceed 64 KiB. */
  set(pluginId: string, key: string, value: unknown): void {
    // Round-trip through JSON so what we hold locally is exactly what every other client will see.
    const round = jsonRoundTrip(value);
    if (!round) throw new Error(BRIDGE_ERRORS.invalidParams("value must be JSON"));
    const { text, json } = round;
    const bytes = utf8Length(key) + utf8Length(text);
    const server = this.sink.serverEntries(pluginId);
    if (this.usedBytes(pluginId, server, key) + bytes > this.quota) throw new Error(BRIDGE_ERRORS.sessionKvQuota);
    this.track(pluginId, server, key, { deleted: false, value: json, bytes });
    this.sink.sendSet(pluginId, key, json, bytes);
  }

  delete(pluginId: string, key: string): void {
    const p = this.pending.get(pluginId)?.keys.get(key);
    const server = this.sink.serverEntries(pluginId);
    if (p ? p.deleted : !server.has(key)) return;
    this.track(pluginId, server, key, { deleted: true, value: null, bytes: 0 });
    this.sink.sendDelete(pluginId, key);
  }

  private track(pluginId: string, server: KvEntries, key: string, p: Omit<Pending, "count">): void {
    let f = this.pending.get(pluginId);
    if (!f) this.pending.set(pluginId, (f = { keys: new Map(), bytes: 0, hidden: 0, hiddenOf: server }));
    const old = f.keys.get(key);
    if (old) f.bytes -= old.bytes;
    else if (f.hiddenOf === server) f.hidden += server.bytesOf(key);
    f.bytes += p.bytes;
    f.keys.set(key, { ...p, count: (old?.count ?? 0) + 1 });
  }

  /** A server diff arrived; `mine` when it echoes one of this client's writes. */
  onDiff(pluginId: string, key: string, mine: boolean): void {
    const f = this.pending.get(pluginId);
    const p = f?.keys.get(key);
    if (!f || !p || !mine) return;
    if (p.count > 1) {
      p.count--;
      return;
    }
    f.keys.delete(key);
    f.bytes -= p.bytes;
    f.hiddenOf = null; // the server copy changed with this diff: recount the hidden sizes on the next write
    if (f.keys.size === 0) this.pending.delete(pluginId);
  }

  /** The server refused a write (quota, reconnect): fall back to its copy. */
  reset(pluginId?: string): void {
    if (pluginId === undefined) this.pending.clear();
    else this.pending.delete(pluginId);
  }
}
