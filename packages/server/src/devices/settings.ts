/** Device timers (spec §3.14): every one is configuration so tests can shorten them. */
export interface DeviceSettings {
  /** A device counts as online this long after its last heartbeat (or while its daemon is connected). */
  onlineMs: number;
  /** `GET /api/v1/devices` hides devices silent for longer than this (`?all=1` still lists them). */
  pruneMs: number;
  /** A reported session URL is listed this long after the last heartbeat that carried it. */
  sessionTtlMs: number;
  /** How long a remote start waits for the daemon's answer. */
  startTimeoutMs: number;
  /** How long a settled remote-start result stays available to poll. */
  resultTtlMs: number;
  /** WebSocket ping interval on daemon sockets; a daemon that misses one pong is dropped. */
  pingMs: number;
  /** Remote starts waiting for one device's answer at once (429 above). */
  maxPendingPerDevice: number;
}

export const DEFAULT_DEVICE_SETTINGS: DeviceSettings = {
  onlineMs: 5 * 60_000,
  pruneMs: 5 * 60_000,
  // Heartbeats come every 60 s: a URL missing from two and a half of them has ended.
  sessionTtlMs: 150_000,
  startTimeoutMs: 30_000,
  resultTtlMs: 5 * 60_000,
  pingMs: 30_000,
  maxPendingPerDevice: 8,
};

/** Texts of the device routes (§11.1: text/plain errors). */
export const DEVICE_TEXT = {
  notFound: "Device not found.",
  otherAccount: "device id is registered to another account",
  removed: "this device was removed; run 'taiku login' to add it again",
  badToken: "invalid device token",
  tokenMismatch: "device token does not belong to this device",
  noDaemon: "Device daemon not connected: run 'taiku daemon' on that machine",
  tooManyPending: "Too many remote starts waiting for this device",
  requestNotFound: "Remote start request not found.",
  timeout: "The device did not answer in time",
  daemonGone: "The device daemon disconnected",
} as const;
