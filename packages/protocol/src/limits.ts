/**
 * Protocol limits and timers with the spec's values (taiku-platform.md). These are defaults:
 * components take them as configuration so tests can shorten them (ARCHITECTURE.md, "Decisions").
 */
export const LIMITS = {
  /** §2.2.1 maximum inbound WebSocket frame at the server. */
  maxFrameBytes: 1024 * 1024,
  /** §2.2.1 maximum plaintext per `data` message. */
  maxDataPlaintext: 64 * 1024,
  /** §2.3 CLI emits output every 10 ms or at 16 KiB. */
  outputFlushMs: 10,
  outputFlushBytes: 16 * 1024,
  /** §1.3 per-shell ciphertext ring for replay. */
  shellRingBytes: 2 * 1024 * 1024,
  /** §1.5 grace window after the CLI disconnects. */
  cliGraceMs: 5 * 60 * 1000,
  /** §2.2.2 authenticate deadline, ping interval, idle timeout. */
  authTimeoutMs: 10_000,
  pingIntervalMs: 15_000,
  idleTimeoutMs: 60_000,
  /** §2.3 server→CLI ping and sync. */
  cliPingMs: 2_000,
  cliSyncMs: 5_000,
  /** §2.2.5 reconnect backoff. */
  reconnectInitialMs: 500,
  reconnectMaxMs: 10_000,
  offlineQueueMax: 64,
  staleInputMs: 5_000,
  /** §3.5 focus lock. */
  focusLockMs: 1_500,
  /** §3.7 adoption request expiry. */
  adoptionTimeoutMs: 60_000,
  /** §3.9 chat. */
  chatMaxChars: 2000,
  chatRing: 100,
  chatRateCount: 10,
  chatRateWindowMs: 10_000,
  /** §2.6.2 auth failures per IP before 4429. */
  authFailuresPerMinute: 10,
  /** Plugin event payload (§2.2.3 pluginEvent). */
  pluginEventBytes: 16 * 1024,
  /** §9.3 session KV quota per plugin per session. */
  sessionKvBytes: 64 * 1024,
  /** §3.11 buffered document frames per document (oldest dropped first, snapshots compact it). */
  docBufferBytes: 2 * 1024 * 1024,
  /** Documents per session (taiku's bound on what one session can make the server hold). */
  docsPerSession: 64,
  /** Flow control: unacknowledged output a viewer may have in flight before the relay holds back. */
  viewerWindowBytes: 1024 * 1024,
} as const;

export type Limits = { -readonly [K in keyof typeof LIMITS]: number };

/** WebSocket close codes (§2.2.2). */
export const CLOSE = {
  normal: 1000,
  textFrame: 1003,
  malformed: 4400,
  loginRequired: 4401,
  authFailed: 4403,
  notFound: 4404,
  timeout: 4408,
  replaced: 4409,
  sessionClosed: 4410,
  rateLimited: 4429,
} as const;
