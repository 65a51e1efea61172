/**
 * Seams between the server's two halves (CONTRACT between the relay and the app/accounts code):
 * - `relay/` owns sessions, the CLI link (/api/cli) and the browser socket (/api/s/:id).
 * - `app/`, `db/`, `accounts/` own Fastify, SQLite (Kysely), accounts, HTTP routes, TLS, static files.
 * The app creates the relay with these services and routes WebSocket upgrades to it.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Limits } from "@taiku/protocol";

export interface Account {
  id: string;
  name: string;
  email?: string;
}

/** Resolves who is calling. Implemented by accounts/, used by relay/ for owner checks. */
export interface AccountResolver {
  /** API key from `X-Taiku-Token` or `Authorization: Bearer` (raw key). */
  fromApiKey(apiKey: string): Promise<Account | null>;
  /** The `taiku_session` cookie value. */
  fromSessionCookie(cookieValue: string): Promise<Account | null>;
}

/** Durable snapshots of live sessions so a server restart keeps them. Implemented by db/. */
export interface SessionSnapshotStore {
  save(sessionId: string, ownerAccountId: string | null, snapshot: Uint8Array): Promise<void>;
  loadAll(): Promise<Array<{ sessionId: string; snapshot: Uint8Array }>>;
  delete(sessionId: string): Promise<void>;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface RelayDeps {
  accounts: AccountResolver;
  snapshots: SessionSnapshotStore;
  logger: Logger;
  limits: Limits;
  /** Base URL printed in links (returned to the CLI in `opened.baseUrl`). */
  publicUrl: string;
  serverVersion: string;
  viewerAuth: boolean;
  now: () => number;
  /** How often live sessions are snapshotted (ms). */
  snapshotIntervalMs: number;
  /** Initial session-managed plugin set of new sessions (§10, `TAIKU_SESSION_PLUGINS`). Default: none. (additive, relay) */
  defaultSessionPlugins?: Record<string, { manifest_url: string; enabled: boolean }>;
  /** Feature strings announced in the browser `hello` (e.g. "userKv", "integrations"). Default: none. (additive, relay) */
  features?: string[];
  /** Client address for the per-IP auth-failure limit (e.g. honouring a trusted proxy's X-Forwarded-For). Default: the socket's remote address. (additive, relay) */
  clientIp?: (req: IncomingMessage) => string;
}

/** What the relay exposes to the app. */
export interface Relay {
  /** Handle an HTTP upgrade for /api/cli or /api/s/:id; returns false when the path is not the relay's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Restore snapshotted sessions (CLI-disconnected, grace window restarted). */
  restore(): Promise<void>;
  /** Live sessions owned by an account (for GET /api/v1/sessions). */
  listSessions(accountId: string): Array<{
    sessionId: string; name: string | null; createdAt: number; cliConnected: boolean; users: number; shells: number; cwdLabel: string | null;
  }>;
  /** Owner account id of a live session, or undefined when no such session; null when anonymous. */
  sessionOwner(sessionId: string): string | null | undefined;
  /** Last ≤100 chat messages as [userId, name, text] (remote chat API, §3.9). */
  chatTuples(sessionId: string): Array<[number, string, string]> | undefined;
  /** Number of live sessions (GET /healthz). Optional: added by the app side; 0 when absent. */
  sessionCount?(): number;
  /** Snapshot everything and close every socket (graceful shutdown). */
  close(): Promise<void>;
}
