/**
 * Session KV as the host sees it (spec §9.3): the server's copy (`state.pluginKv`, folded from
 * `pluginKv`/`pluginKvDiff`) plus this client's writes that the server has not echoed yet. Writes are
 * applied optimistically; the server's diff for a key replaces the local value once every write this
 * client made to that key has come back (last writer wins in server arrival order).
 *
 * Quota: Σ over keys (UTF-8 bytes of key + UTF-8 bytes of JSON.stringify(value)) ≤ 65 536 per plugin,
 * checked here before sending, with the same text the server uses. Sizes are remembered per entry
 * (by value identity), so a write measures only what changed: re-encoding a full 64 KiB store on every
 * `setPluginData` made a write cost O(store) (bench/bridge, docs/benchmarks.md "Plugin bridge").
 */
import { BRIDGE_ERRORS, jsonByteLength } from "@taiku/protocol";
import type { KvEntries } from "../common/kv-entries.js";

export const SESSION_KV_QUOTA = 64 * 1024;

const enc = new TextEncoder();
export const kvEntryBytes = (key: string, value: unknown): number => enc.encode(key).byteLength + jsonByteLength(value);

export function kvBytes(entries: Record<string, unknown>): number {
  let total = 0;
  for (const [k, v] of Object.entries(entries)) total += kvEntryBytes(k, v);
  return total;
}

type Pending = { count: number; deleted: boolean; value: unknown };
/** An entry's size as last measured, valid while the entry still holds this very value. */
type Sized = { value: unknown; bytes: number };

export interface KvSink {
  /** Current server copy of one plugin's entries. */
  serverEntries(pluginId: string): KvEntries;
  sendSet(pluginId: string, key: string, value: unknown): void;
  sendDelete(pluginId: string, key: string): void;
}

export class SessionKvView {
  private readonly pending = new Map<string, Map<string, Pending>>();
  private readonly sizes = new Map<string, Map<string, Sized>>();

  constructor(
    private readonly sink: KvSink,
    private readonly quota = SESSION_KV_QUOTA,
  ) {}

  entries(pluginId: string): Record<string, unknown> {
    const out = this.sink.serverEntries(pluginId).toRecord();
    for (const [key, p] of this.pending.get(pluginId) ?? []) {
      if (p.deleted) delete out[key];
      else out[key] = p.value;
    }
    return out;
  }

  get(pluginId: string, key: string): unknown {
    const p = this.pending.get(pluginId)?.get(key);
    if (p) return p.deleted ? null : p.value;
    const server = this.sink.serverEntries(pluginId);
    return server.has(key) ? server.get(key) : null;
  }

  /** UTF-8 bytes of the plugin's entries as this client sees them, leaving `except` out. */
  private usedBytes(pluginId: string, except: string): number {
    const server = this.sink.serverEntries(pluginId);
    const pending = this.pending.get(pluginId);
    const known = this.sizes.get(pluginId);
    const next = new Map<string, Sized>();
    let total = 0;
    const add = (key: string, value: unknown) => {
      let sized = known?.get(key);
      if (!sized || sized.value !== value) sized = { value, bytes: kvEntryBytes(key, value) };
      next.set(key, sized);
      if (key !== except) total += sized.bytes;
    };
    server.forEach((value, key) => !pending?.has(key) && add(key, value));
    for (const [key, p] of pending ?? []) if (!p.deleted) add(key, p.value);
    this.sizes.set(pluginId, next);
    return total;
  }

  /** Throws the documented quota error (nothing sent) when the write would exceed 64 KiB. */
  set(pluginId: string, key: string, value: unknown): void {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined; // cycles, BigInt
    }
    if (text === undefined) throw new Error(BRIDGE_ERRORS.invalidParams("value must be JSON"));
    // Round-trip through JSON so what we hold locally is exactly what every other client will see.
    const json = JSON.parse(text) as unknown;
    const bytes = enc.encode(key).byteLength + enc.encode(text).byteLength;
    if (this.usedBytes(pluginId, key) + bytes > this.quota) throw new Error(BRIDGE_ERRORS.sessionKvQuota);
    this.track(pluginId, key, { deleted: false, value: json });
    this.sizes.get(pluginId)?.set(key, { value: json, bytes });
    this.sink.sendSet(pluginId, key, json);
  }

  delete(pluginId: string, key: string): void {
    const p = this.pending.get(pluginId)?.get(key);
    if (p ? p.deleted : !this.sink.serverEntries(pluginId).has(key)) return;
    this.track(pluginId, key, { deleted: true, value: null });
    this.sink.sendDelete(pluginId, key);
  }

  private track(pluginId: string, key: string, p: Omit<Pending, "count">): void {
    let m = this.pending.get(pluginId);
    if (!m) this.pending.set(pluginId, (m = new Map()));
    m.set(key, { ...p, count: (m.get(key)?.count ?? 0) + 1 });
  }

  /** A server diff arrived; `mine` when it echoes one of this client's writes. */
  onDiff(pluginId: string, key: string, mine: boolean): void {
    const m = this.pending.get(pluginId);
    const p = m?.get(key);
    if (!m || !p) return;
    if (mine && p.count > 1) {
      p.count--;
      return;
    }
    if (mine) m.delete(key);
  }

  /** The server refused a write (quota, reconnect): fall back to its copy. */
  reset(pluginId?: string): void {
    if (pluginId === undefined) this.pending.clear();
    else this.pending.delete(pluginId);
  }
}
