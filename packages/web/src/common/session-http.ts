/**
 * Session-scoped HTTP calls (spec §2.6.3) for the page and the plugin host: fetch a one-time nonce
 * from `GET /api/s/{id}/auth-challenge`, then send `X-Taiku-Session-Nonce`, `X-Taiku-Session-Key`
 * (viewer proof) and, when this link has a write or admin secret, `X-Taiku-Session-Auth`.
 *
 * Nonces are single-use and expire after 60 s: call `sessionAuthHeaders` (or use `sessionFetch`)
 * once per request, never reuse the headers. Errors of the routes are `text/plain` with the
 * documented texts (`missing session auth challenge`, `write auth required`, …).
 */

import { proof, type SessionKeys } from "@taiku/crypto";

/** The viewer proof, and the admin (else write) proof when the link has one, base64, for `nonce`. */
export async function httpProofsFor(keys: SessionKeys, sessionId: string, nonce: string): Promise<{ key: string; auth?: string }> {
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  const key = b64(await proof(keys.viewVerifier, "http", sessionId, nonce));
  const elevated = keys.adminVerifier ?? keys.writeVerifier;
  return elevated ? { key, auth: b64(await proof(elevated, "http", sessionId, nonce)) } : { key };
}

/** What the helpers need from a session client (`SessionClient` has both). */
export interface SessionProofSource {
  readonly sessionId: string;
  httpProofs(nonce: string): Promise<{ key: string; auth?: string }>;
}

export interface SessionHttpOptions {
  /** Origin of the taiku server; "" (default) = same origin (relative URLs). */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export class SessionHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const SESSION_HEADERS = {
  nonce: "x-taiku-session-nonce",
  key: "x-taiku-session-key",
  auth: "x-taiku-session-auth",
} as const;

const base = (o: SessionHttpOptions) => (o.baseUrl ?? "").replace(/\/+$/, "");

/** Fresh session auth headers for exactly one request. */
export async function sessionAuthHeaders(client: SessionProofSource, opts: SessionHttpOptions = {}): Promise<Record<string, string>> {
  const f = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const res = await f(`${base(opts)}/api/s/${encodeURIComponent(client.sessionId)}/auth-challenge`, { credentials: "same-origin", cache: "no-store" });
  if (!res.ok) throw new SessionHttpError(res.status, (await res.text().catch(() => "")).trim() || `HTTP ${res.status}`);
  const { nonce } = (await res.json()) as { nonce: string };
  const p = await client.httpProofs(nonce);
  return { [SESSION_HEADERS.nonce]: nonce, [SESSION_HEADERS.key]: p.key, ...(p.auth ? { [SESSION_HEADERS.auth]: p.auth } : {}) };
}

/**
 * `fetch` with fresh session auth headers. `path` is relative to the server (e.g.
 * `/api/v1/sessions/${id}/ls?path=.`). Non-2xx answers throw `SessionHttpError` with the server's text.
 */
export async function sessionFetch(client: SessionProofSource, path: string, init: RequestInit = {}, opts: SessionHttpOptions = {}): Promise<Response> {
  const f = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(await sessionAuthHeaders(client, opts))) headers.set(k, v);
  const res = await f(`${base(opts)}${path}`, { credentials: "same-origin", ...init, headers });
  if (!res.ok) throw new SessionHttpError(res.status, (await res.text().catch(() => "")).trim() || `HTTP ${res.status}`);
  return res;
}

/** Path of a session-scoped route: `sessionPath(id, "/ls?path=.")` → `/api/v1/sessions/<id>/ls?path=.`. */
export const sessionPath = (sessionId: string, rest: string): string => `/api/v1/sessions/${encodeURIComponent(sessionId)}${rest}`;
