/**
 * Who is calling (§2.6.4): an API key (`X-Taiku-Token` or `Authorization: Bearer`) or the
 * `taiku_session` cookie. Cookie-authenticated state-changing requests must carry the app's
 * Origin, which rejects plugin iframes (origin "null") and other sites (CSRF); API keys are not
 * ambient credentials, so they need no Origin.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { ERRORS } from "@taiku/protocol";
import type { Account, AccountResolver } from "../seams.js";
import { apiKeyOf, cookieOf } from "../credentials.js";
import { HttpError, TEXT } from "./errors.js";

export const SESSION_COOKIE = "taiku_session";

export interface AuthConfig {
  resolver: AccountResolver;
  /** Origins accepted on cookie-authenticated state-changing requests. */
  allowedOrigins: ReadonlySet<string>;
  /** Adds `Secure` to the cookie (TLS, or a public https URL behind a proxy). */
  secureCookie: boolean;
  webSessionTtlMs: number;
}

export interface Caller {
  account: Account;
  via: "cookie" | "apiKey";
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A browser that sends an Origin must send ours. Used on sign-in routes too (login CSRF). */
export function checkOriginIfPresent(cfg: AuthConfig, req: FastifyRequest): void {
  const origin = first(req.headers.origin);
  if (origin !== undefined && !cfg.allowedOrigins.has(origin)) throw new HttpError(403, TEXT.badOrigin);
}

/**
 * Resolves the caller or throws 401 with `unauthenticated` text. When an API key header is present
 * it alone decides (a bad key is not rescued by a cookie). `apiKeyOnly` routes ignore cookies.
 */
export async function requireCaller(
  cfg: AuthConfig,
  req: FastifyRequest,
  opts: { apiKeyOnly?: boolean; unauthenticated?: string } = {},
): Promise<Caller> {
  const unauthenticated = opts.unauthenticated ?? ERRORS.missingAuth;
  const key = apiKeyOf(req.headers);
  if (key !== null) {
    const account = await cfg.resolver.fromApiKey(key);
    if (!account) throw new HttpError(401, unauthenticated);
    return { account, via: "apiKey" };
  }
  if (opts.apiKeyOnly) throw new HttpError(401, unauthenticated);
  const token = cookieOf(req.headers, SESSION_COOKIE);
  const account = token ? await cfg.resolver.fromSessionCookie(token) : null;
  if (!account) throw new HttpError(401, unauthenticated);
  if (!SAFE_METHODS.has(req.method)) {
    const origin = first(req.headers.origin);
    if (origin === undefined || !cfg.allowedOrigins.has(origin)) throw new HttpError(403, TEXT.badOrigin);
  }
  return { account, via: "cookie" };
}

export function setSessionCookie(cfg: AuthConfig, reply: FastifyReply, token: string): void {
  const maxAge = Math.floor(cfg.webSessionTtlMs / 1000);
  reply.header("set-cookie", `${SESSION_COOKIE}=${token}; ${cookieAttributes(cfg)}; Max-Age=${maxAge}`);
}

export function clearSessionCookie(cfg: AuthConfig, reply: FastifyReply): void {
  reply.header("set-cookie", `${SESSION_COOKIE}=; ${cookieAttributes(cfg)}; Max-Age=0`);
}

const cookieAttributes = (cfg: AuthConfig): string => `HttpOnly; SameSite=Lax; Path=/${cfg.secureCookie ? "; Secure" : ""}`;
