/** What every relay module shares: injected services, the live-session registry, the auth limiter. */
import type { RelayDeps } from "../seams.js";
import type { AuthLimiter } from "./auth-limiter.js";
import type { SnapshotWriter } from "./persist.js";
import type { Session } from "./session.js";

export interface RelayContext {
  deps: RelayDeps;
  sessions: Map<string, Session>;
  authLimiter: AuthLimiter;
  snapshots: SnapshotWriter;
  /** A viewer without progress this long no longer holds the CLI back (flow control). */
  stallMs: number;
  /** Ring bytes a shell may keep beyond `shellRingBytes` for live viewers that are behind (flow control). */
  ringHardCapBytes: number;
  /** Interval of the flow-control tick while a shell is paused or a viewer is held back. */
  flowTickMs: number;
  /** Called after a session ended (additive: remembers ended ids for 410, cleans staged downloads). */
  onEnded?: (sessionId: string) => void;
  /** Whether a session with this id ended (remembered, bounded): a browser then gets 4410, not 4404 (§2.2.2). */
  isEnded?: (sessionId: string) => boolean;
}

/** Read an optional timer that older `Limits` objects may not carry. */
export function limitOr(deps: RelayDeps, key: string, fallback: number): number {
  const v = (deps.limits as unknown as Record<string, unknown>)[key];
  return typeof v === "number" && v >= 0 ? v : fallback;
}
