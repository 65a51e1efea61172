/**
 * Session-scoped HTTP authentication (§2.6.3): `GET /api/s/{id}/auth-challenge` hands out a one-time
 * nonce (single use, bound to the session, 60 s by default); the request then carries
 * `X-Taiku-Session-Nonce`, `X-Taiku-Session-Key` (viewer proof, purpose "http") and, where needed,
 * `X-Taiku-Session-Auth` (write or admin proof). Proofs are checked against the relay's verifiers.
 */
import type { FastifyRequest } from "fastify";
import { randomBytes, toBase64Url, verifyProof } from "@taiku/crypto";
import { ERRORS } from "@taiku/protocol";
import { HttpError } from "../http/errors.js";
import type { Relay, SessionAccess } from "../seams.js";

/** Outstanding nonces per session; beyond this, challenges answer 429 until some expire or are used. */
export const MAX_NONCES_PER_SESSION = 256;

export type SessionLevel = "viewer" | "writer" | "admin";

interface Nonce {
  sessionId: string;
  expiresAt: number;
}

export class NonceStore {
  private readonly nonces = new Map<string, Nonce>();
  private readonly perSession = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  issue(sessionId: string, ttlMs: number): { nonce: string; expiresAt: number } | null {
    this.sweep();
    const count = this.perSession.get(sessionId) ?? 0;
    if (count >= MAX_NONCES_PER_SESSION) return null;
    const nonce = toBase64Url(randomBytes(32));
    const expiresAt = this.now() + ttlMs;
    this.nonces.set(nonce, { sessionId, expiresAt });
    this.perSession.set(sessionId, count + 1);
    return { nonce, expiresAt };
  }

  /** Consumes the nonce (whatever the outcome) and says whether it was valid for this session. */
  consume(nonce: string, sessionId: string): boolean {
    const n = this.nonces.get(nonce);
    if (!n) return false;
    this.drop(nonce, n);
    return n.sessionId === sessionId && n.expiresAt > this.now();
  }

  get size(): number {
    return this.nonces.size;
  }

  private drop(nonce: string, n: Nonce): void {
    this.nonces.delete(nonce);
    const c = (this.perSession.get(n.sessionId) ?? 1) - 1;
    if (c <= 0) this.perSession.delete(n.sessionId);
    else this.perSession.set(n.sessionId, c);
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, n] of this.nonces) if (n.expiresAt <= now) this.drop(k, n);
  }
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function decodeProof(v: string | undefined): Uint8Array | undefined {
  if (!v || !/^[A-Za-z0-9+/]+={0,2}$/.test(v.trim())) return undefined;
  const b = Buffer.from(v.trim(), "base64");
  return b.byteLength === 32 ? new Uint8Array(b) : undefined;
}

export interface SessionCaller {
  access: SessionAccess;
  level: SessionLevel;
}

/**
 * Checks the session headers for `level`. Texts (§11.4): 401 `missing session auth challenge` for a
 * missing/used/expired nonce or a bad viewer proof; 403 `write auth required` (writer level on a
 * write-protected session without a write or admin proof); 403 `tunnel admin auth required`.
 */
export async function requireSession(
  relay: Relay,
  nonces: NonceStore,
  req: FastifyRequest<{ Params: { id: string } }>,
  level: SessionLevel,
  notFound: string = ERRORS.sessionNotFoundDot,
): Promise<SessionCaller> {
  return requireSessionFor(relay, nonces, req, req.params.id, level, notFound);
}

/** `requireSession` for routes whose session id is not the `:id` parameter (e.g. plugin storage's `:sessionId`). */
export async function requireSessionFor(
  relay: Relay,
  nonces: NonceStore,
  req: FastifyRequest,
  sessionId: string,
  level: SessionLevel,
  notFound: string = ERRORS.sessionNotFoundDot,
): Promise<SessionCaller> {
  const access = relay.session?.(sessionId);
  if (!access) throw new HttpError(404, notFound);
  const nonce = header(req, "x-taiku-session-nonce");
  if (!nonce || !nonces.consume(nonce.trim(), sessionId)) throw new HttpError(401, ERRORS.missingChallenge);
  const v = access.verifiers();
  if (!(await verifyProof(v.view, "http", sessionId, nonce.trim(), decodeProof(header(req, "x-taiku-session-key"))))) {
    throw new HttpError(401, ERRORS.missingChallenge);
  }
  const auth = decodeProof(header(req, "x-taiku-session-auth"));
  const admin = auth ? await verifyProof(v.admin, "http", sessionId, nonce.trim(), auth) : false;
  const write = !admin && auth ? await verifyProof(v.write, "http", sessionId, nonce.trim(), auth) : false;
  const granted: SessionLevel = admin ? "admin" : write || !access.readersEnabled ? "writer" : "viewer";
  if (level === "admin" && granted !== "admin") throw new HttpError(403, ERRORS.adminAuthRequired);
  if (level === "writer" && granted === "viewer") throw new HttpError(403, ERRORS.writeAuthRequired);
  return { access, level: granted };
}
