/**
 * Whose data a plugin storage request touches. User-scoped routes act on the caller's account; the
 * session-scoped forms (§11.3.3, §11.3.6) act on the account that owns the session, and only that
 * account may use them. Shared by User KV and plugin file storage so both answer identically.
 */
import type { FastifyRequest } from "fastify";
import { ERRORS, PLUGIN_ID_RE } from "@taiku/protocol";
import type { Relay } from "../seams.js";
import { type AuthConfig, requireCaller, SESSION_COOKIE } from "../http/auth.js";
import { apiKeyOf, cookieOf } from "../credentials.js";
import { HttpError } from "../http/errors.js";
import { type NonceStore, requireSessionFor } from "../sessions/auth.js";
import { PLUGIN_TEXT } from "./texts.js";

export interface OwnerDeps {
  auth: AuthConfig;
  relay: () => Relay;
  /** The session-scoped HTTP auth nonces (§2.6.3); absent = session viewer auth is not accepted. */
  nonces?: NonceStore;
}

export interface Target {
  accountId: string;
  pluginId: string;
}

export interface ScopeParams {
  pluginId: string;
  sessionId?: string;
}

/**
 * The account behind the request, or 401: `missing authentication` when no credential was sent, and
 * `No authenticated user or invalid user ID.` when one was sent but names no account (§11.4 lists both).
 */
export async function requireAccount(deps: OwnerDeps, req: FastifyRequest): Promise<string> {
  const presented = apiKeyOf(req.headers) !== null || cookieOf(req.headers, SESSION_COOKIE) !== null;
  const caller = await requireCaller(deps.auth, req, { unauthenticated: presented ? ERRORS.noUser : ERRORS.missingAuth });
  return caller.account.id;
}

export function checkPluginId(pluginId: string): string {
  if (!PLUGIN_ID_RE.test(pluginId)) throw new HttpError(400, PLUGIN_TEXT.invalidPluginId);
  return pluginId;
}

/**
 * Resolves the account and plugin a storage route acts on. `sessionNotFound` differs per route: the
 * spec writes `Session not found` (no period) for storage reads and `Session not found.` elsewhere.
 */
export async function resolveTarget(
  deps: OwnerDeps,
  req: FastifyRequest<{ Params: ScopeParams }>,
  sessionNotFound: string = ERRORS.sessionNotFoundDot,
): Promise<Target> {
  const accountId = await requireAccount(deps, req);
  const { sessionId, pluginId } = req.params;
  if (sessionId !== undefined) {
    const owner = deps.relay().sessionOwner(sessionId);
    if (owner === undefined) throw new HttpError(404, sessionNotFound);
    // Anonymous sessions (owner null) have no account to serve.
    if (owner !== accountId) throw new HttpError(403, ERRORS.notOwner);
  }
  return { accountId, pluginId: checkPluginId(pluginId) };
}

/**
 * Plugin file reads on the session-scoped route (§9.5, §11.3.6) accept account auth as
 * `resolveTarget` does, or session viewer auth, which reads the session OWNER's file: participants
 * play what the owner uploaded (bridge `readPluginFile({ from: "sessionOwner" })`). Session auth is
 * used when its headers are sent, or when no account credential is; a missing, used or wrong proof
 * is 401 `missing session auth challenge`. An anonymous session's owner has no files (404).
 */
export async function resolveReadTarget(deps: OwnerDeps, req: FastifyRequest<{ Params: ScopeParams }>, sessionNotFound: string): Promise<Target> {
  const { sessionId, pluginId } = req.params;
  const sessionHeaders = req.headers["x-taiku-session-nonce"] !== undefined || req.headers["x-taiku-session-key"] !== undefined;
  const account = apiKeyOf(req.headers) !== null || cookieOf(req.headers, SESSION_COOKIE) !== null;
  if (sessionId === undefined || !deps.nonces || (!sessionHeaders && account)) return resolveTarget(deps, req, sessionNotFound);
  const { access } = await requireSessionFor(deps.relay(), deps.nonces, req, sessionId, "viewer", sessionNotFound);
  checkPluginId(pluginId);
  if (access.ownerAccountId === null) throw new HttpError(404, PLUGIN_TEXT.fileNotFound);
  return { accountId: access.ownerAccountId, pluginId };
}

/** Both URL prefixes of a storage area: `/api/v1/<area>` and `/api/v1/sessions/:sessionId/<area>`. */
export const scopedPrefixes = (area: string): string[] => [`/api/v1/${area}`, `/api/v1/sessions/:sessionId/${area}`];
