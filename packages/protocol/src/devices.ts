/**
 * Devices and remote start (spec §3.14, §11.3.9): HTTP bodies and the CBOR messages of the device
 * daemon's socket `/api/v1/devices/{device_id}/connect`. The server validates every body and
 * message with these; the fragment of a remotely started session only ever travels sealed.
 */
import { z } from "zod";

/** Device ids: the server's own (base62) or a CLI-generated UUID; nothing that needs escaping in a path. */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 characters of A-Z a-z 0-9 _ -");
/** Request ids are minted by the server (base62). */
export const requestIdSchema = z.string().regex(/^[A-Za-z0-9]{8,64}$/, "must be 8-64 base62 characters");
/** Base64 of a raw uncompressed P-256 point (65 bytes → 88 characters). */
export const p256PublicKeySchema = z.string().regex(/^[A-Za-z0-9+/]{86}[A-Za-z0-9+/=]{2}$/, "must be a base64 raw P-256 public key");
/** Working directory on the device, as the dashboard user typed it (the daemon checks it exists). */
export const remoteCwdSchema = z.string().min(1).max(4096).refine((s) => !s.includes("\0"), "must not contain NUL");

/** An http(s) session URL that carries no fragment: the link secret must never reach the server. */
export const fragmentFreeUrl = z
  .string()
  .max(2048)
  .refine((s) => !s.includes("#"), "session URLs must not carry a fragment (#…)")
  .refine((s) => {
    try {
      return /^https?:$/.test(new URL(s).protocol);
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

export const MAX_DEVICE_SESSIONS = 64;

export const deviceRegisterBody = z.object({
  deviceId: deviceIdSchema,
  name: z.string().trim().min(1).max(128),
  hostname: z.string().max(255),
  os: z.string().max(64),
});
export type DeviceRegisterBody = z.infer<typeof deviceRegisterBody>;

/** The register answer, parsed by the CLI (the server it names may be anything). */
export const deviceRegisterResponse = z.object({ deviceId: z.string(), deviceToken: z.string().min(1) });
export type DeviceRegisterResponse = z.infer<typeof deviceRegisterResponse>;

export const deviceHeartbeatBody = z.object({
  deviceId: deviceIdSchema,
  sessions: z.array(fragmentFreeUrl).max(MAX_DEVICE_SESSIONS),
});
export type DeviceHeartbeatBody = z.infer<typeof deviceHeartbeatBody>;

/** One entry of `GET /api/v1/devices`. `daemon` (addition) says whether remote start can reach it now. */
export interface DeviceSummary {
  deviceId: string;
  name: string;
  hostname: string;
  os: string;
  online: boolean;
  lastSeen: number;
  sessions: string[];
  daemon: boolean;
}

export const remoteStartBody = z.object({
  cwd: remoteCwdSchema.optional(),
  clientPublicKey: p256PublicKeySchema,
});
export type RemoteStartBody = z.infer<typeof remoteStartBody>;

/** `GET /api/v1/devices/{device_id}/sessions/{requestId}`: the remote start's state. */
export type RemoteStartResult =
  | { status: "pending" }
  | { status: "started"; sessionUrl: string; sealedFragment: string; daemonPublicKey: string }
  | { status: "failed"; error: string };

// ---- daemon socket (CBOR, one message per binary frame) ----

/** Server → daemon: start a session and seal its fragment to `clientPublicKey`. */
export const startSessionMessage = z.object({
  t: z.literal("startSession"),
  requestId: requestIdSchema,
  cwd: remoteCwdSchema.optional(),
  clientPublicKey: p256PublicKeySchema,
});
export type StartSessionMessage = z.infer<typeof startSessionMessage>;

/** Daemon → server: the session runs; `sealedFragment` is opaque to the server. */
export const sessionStartedMessage = z.object({
  t: z.literal("sessionStarted"),
  requestId: requestIdSchema,
  sessionUrl: fragmentFreeUrl,
  /** base64url(nonce ‖ AES-GCM ciphertext) — see @taiku/crypto remote-start. */
  sealedFragment: z.string().regex(/^[A-Za-z0-9_-]{16,8192}$/, "must be base64url"),
  daemonPublicKey: p256PublicKeySchema,
});
export type SessionStartedMessage = z.infer<typeof sessionStartedMessage>;

/** Daemon → server: the session could not start (bad cwd, spawn failure); `error` is shown to the user. */
export const sessionErrorMessage = z.object({
  t: z.literal("sessionError"),
  requestId: requestIdSchema,
  error: z.string().min(1).max(500),
});
export type SessionErrorMessage = z.infer<typeof sessionErrorMessage>;

export const daemonUpMessage = z.discriminatedUnion("t", [sessionStartedMessage, sessionErrorMessage]);
export type DaemonUpMessage = z.infer<typeof daemonUpMessage>;
export const daemonDownMessage = z.discriminatedUnion("t", [startSessionMessage]);
export type DaemonDownMessage = z.infer<typeof daemonDownMessage>;

/** Close codes of the daemon socket (4xxx: application range). */
export const DEVICE_CLOSE = {
  /** Another daemon connected for the same device; do not reconnect. */
  replaced: 4001,
  /** The device was removed or its token rotated; do not reconnect. */
  revoked: 4003,
  /** A message failed validation. */
  badMessage: 4400,
} as const;
