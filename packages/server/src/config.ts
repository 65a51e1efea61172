/**
 * Turns ServerOptions into the resolved settings the rest of the server uses: every timer and
 * limit has the spec's value as default and can be overridden (ARCHITECTURE.md, "Decisions").
 */
import { LIMITS, type Limits } from "@taiku/protocol";
import { DEFAULT_ACCOUNT_TIMERS } from "./accounts/accounts.js";
import { DEFAULT_CLI_LOGIN_TIMERS } from "./accounts/cli-login.js";
import { DEFAULT_ARGON2, type Argon2Params } from "./accounts/passwords.js";

/** Account-related settings (additive ServerOptions.auth). */
export interface AuthSettings {
  /** Allow `POST /api/v1/auth/signup` (default true). */
  allowSignup: boolean;
  webSessionTtlMs: number;
  oneTimeCodeTtlMs: number;
  cliLoginTtlMs: number;
  cliLoginPollIntervalMs: number;
  /** Sign-in / sign-up / one-time attempts allowed per IP and per email in each window. */
  signInAttempts: number;
  signInWindowMs: number;
  argon2: Argon2Params;
}

export const DEFAULT_AUTH: AuthSettings = {
  allowSignup: true,
  webSessionTtlMs: DEFAULT_ACCOUNT_TIMERS.webSessionTtlMs,
  oneTimeCodeTtlMs: DEFAULT_ACCOUNT_TIMERS.oneTimeCodeTtlMs,
  cliLoginTtlMs: DEFAULT_CLI_LOGIN_TIMERS.ttlMs,
  cliLoginPollIntervalMs: DEFAULT_CLI_LOGIN_TIMERS.pollIntervalMs,
  signInAttempts: 10,
  signInWindowMs: 60_000,
  argon2: DEFAULT_ARGON2,
};

/** JSON request bodies larger than this get 413 (the API has no large JSON bodies). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 30_000;

export const mergeLimits = (overrides: Partial<Limits> | undefined): Limits => ({ ...LIMITS, ...overrides });
export const mergeAuth = (overrides: Partial<AuthSettings> | undefined): AuthSettings => ({ ...DEFAULT_AUTH, ...overrides });

const WILDCARD_OR_LOOPBACK = new Set(["0.0.0.0", "127.0.0.1", "::", "::1", "localhost"]);
const bracket = (host: string): string => (host.includes(":") ? `[${host}]` : host);

/** Where a local client connects: a wildcard listen address is reached through loopback. */
export function connectUrl(scheme: "http" | "https", host: string, port: number): string {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `${scheme}://${bracket(h)}:${port}`;
}

/** Default public origin: `localhost` for loopback and wildcard listens (a secure context in browsers). */
export function derivePublicUrl(scheme: "http" | "https", host: string, port: number): string {
  return `${scheme}://${WILDCARD_OR_LOOPBACK.has(host) ? "localhost" : bracket(host)}:${port}`;
}

/**
 * Origins accepted on cookie-authenticated writes: the public origin, extra configured ones, and,
 * for a loopback or wildcard listen, the loopback spellings of this very server (a browser on
 * http://127.0.0.1:port is the same server as http://localhost:port).
 */
export function allowedOrigins(publicUrl: string, scheme: "http" | "https", host: string, port: number, extra: string[] = []): Set<string> {
  const origins = new Set([new URL(publicUrl).origin, ...extra.map((o) => new URL(o).origin)]);
  if (WILDCARD_OR_LOOPBACK.has(host)) {
    for (const h of ["localhost", "127.0.0.1", "[::1]"]) origins.add(`${scheme}://${h}:${port}`);
  }
  return origins;
}
