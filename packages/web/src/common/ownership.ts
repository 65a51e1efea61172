/**
 * Shell ownership tokens (spec §3.6): `localStorage["taiku:owned:" + sessionId]` =
 * JSON `{ [shellId]: base64(token) }`. Sent back as `claimShells` after every (re)connect so a
 * refresh or a network drop keeps the user's shells.
 */
import { fromBase64, toBase64 } from "@taiku/crypto";
import type { KeyValueStorage } from "./services.js";

export interface OwnershipStore {
  claims(): Array<{ shellId: number; token: Uint8Array }>;
  set(shellId: number, token: Uint8Array): void;
  /** Keep only tokens of shells that still exist. */
  retain(shellIds: readonly number[]): void;
}

export function ownershipStore(storage: KeyValueStorage, sessionId: string): OwnershipStore {
  const key = `taiku:owned:${sessionId}`;
  const read = (): Record<string, string> => {
    try {
      const v = JSON.parse(storage.getItem(key) ?? "{}") as unknown;
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  const write = (m: Record<string, string>) => {
    try {
      if (Object.keys(m).length === 0) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(m));
    } catch {
      // Storage unavailable: ownership lasts for this page only.
    }
  };
  return {
    claims() {
      const out: Array<{ shellId: number; token: Uint8Array }> = [];
      for (const [id, b64] of Object.entries(read())) {
        const shellId = Number(id);
        try {
          const token = fromBase64(b64);
          if (Number.isInteger(shellId) && shellId >= 1 && token.length === 32) out.push({ shellId, token });
        } catch {
          // A damaged entry is skipped, not fatal.
        }
      }
      return out;
    },
    set(shellId, token) {
      write({ ...read(), [String(shellId)]: toBase64(token) });
    },
    retain(shellIds) {
      const live = new Set(shellIds.map(String));
      const m = read();
      const kept = Object.fromEntries(Object.entries(m).filter(([id]) => live.has(id)));
      if (Object.keys(kept).length !== Object.keys(m).length) write(kept);
    },
  };
}
