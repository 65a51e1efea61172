/** Request bodies of the HTTP API that taiku components exchange (spec §11). */
import { z } from "zod";

export const signUpBody = z.object({
  name: z.string().trim().min(1).max(64),
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(8).max(1024),
});
export const signInBody = z.object({
  email: z.string().trim().toLowerCase().max(254),
  password: z.string().min(1).max(1024),
});
export const apiKeyCreateBody = z.object({ label: z.string().trim().min(1).max(64) });
export const cliLoginStartBody = z.object({
  deviceName: z.string().max(128),
  hostname: z.string().max(255),
  os: z.string().max(64),
});
/** Approval of a `taiku login` device code by a signed-in browser (the web app's /verify page). */
export const cliLoginApproveBody = z.object({ code: z.string().trim().min(4).max(32) });
export const cliLoginPollBody = z.object({ pollToken: z.string().min(1).max(128) });
/** One-time sign-in code printed by the CLI for the owner's admin link (local machine). */
export const oneTimeSignInBody = z.object({ code: z.string().min(16).max(128) });
export const remoteCommandBody = z.object({
  method: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
  target_client_id: z.number().int().nonnegative().optional(),
  shellId: z.number().int().positive().optional(),
});

export type SignUpBody = z.infer<typeof signUpBody>;
export type SignInBody = z.infer<typeof signInBody>;

/*
 * Answers the CLI reads from the server (`taiku login`, `logout`, `whoami`): parsed, not cast,
 * because `--server` may name anything. Unknown fields are ignored (a newer server may add some).
 */
export const accountInfo = z.object({
  id: z.string().min(1),
  name: z.string(),
  email: z.string().optional(),
  plan: z.literal("self-hosted"),
});
export type AccountInfo = z.infer<typeof accountInfo>;

export const cliLoginStartAnswer = z.object({
  code: z.string().min(1).max(32),
  verifyUrl: z.string().url(),
  pollToken: z.string().min(1).max(128),
  expiresIn: z.number().positive(),
  interval: z.number().nonnegative(),
});
export type CliLoginStartAnswer = z.infer<typeof cliLoginStartAnswer>;

export const cliLoginPollAnswer = z.object({
  apiKey: z.string().min(1),
  user: z.object({ id: z.string().min(1), name: z.string() }),
  deviceId: z.string().min(1),
  deviceToken: z.string().min(1),
});
export type CliLoginPollAnswer = z.infer<typeof cliLoginPollAnswer>;

/** One row of `GET /api/v1/auth/api-keys`; `current` marks the key the request itself carried. */
export const apiKeyInfo = z.object({
  id: z.string().min(1),
  label: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  current: z.boolean(),
});
export type ApiKeyInfo = z.infer<typeof apiKeyInfo>;
export const apiKeyList = z.array(apiKeyInfo);
export type LiveSessionSummary = {
  sessionId: string;
  name: string | null;
  createdAt: number;
  cliConnected: boolean;
  users: number;
  shells: number;
  cwdLabel: string | null;
};

/** The documented error texts (§11.4), byte-for-byte. */
export const ERRORS = {
  missingChallenge: "missing session auth challenge",
  writeAuthRequired: "write auth required",
  adminAuthRequired: "tunnel admin auth required",
  sessionNotFoundDot: "Session not found.",
  sessionNotFound: "Session not found",
  noUser: "No authenticated user or invalid user ID.",
  missingAuth: "missing authentication",
  notOwner: "Not the session owner",
  databaseError: "Database error.",
  databaseUnavailable: "Database not available",
  invalidUpload: "Invalid upload request.",
  invalidFilename: "Invalid filename.",
  quotaExceeded: "File size or user quota exceeded.",
  rateLimited: "Rate limit exceeded",
  writeRateLimited: "Write rate limit exceeded.",
  readRateLimited: "Read rate limit exceeded.",
  storageFailure: "Storage backend failure.",
  cliReadError: "CLI returned an error from the remote read.",
  cliNotConnected: "CLI not connected",
  tooManyReads: "Too many file reads in progress for this user",
  cliNoResponse: "CLI did not respond",
  pathRequired: "path query parameter required",
  noSuchFile: "No such file or directory",
  shellIdRequired: "shellId is required",
  unauthorized: "Unauthorized",
  sessionClosed: "Session closed",
  noBrowserResponded: "No active browser clients responded",
  commandFailed: "Command failed",
  keyNotFound: "Key not found.",
  sessionKvQuota: "Session KV quota exceeded (64 KiB per plugin per session)",
} as const;
