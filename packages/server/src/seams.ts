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
  /** Public URL of a session's tunnel (browsers' `tunnels` message). Default `{publicUrl}/t/{id}/p/{port}/`. (additive, relay) */
  tunnelUrl?: (sessionId: string, port: number) => string;
  /** Client address for the per-IP auth-failure limit (e.g. honouring a trusted proxy's X-Forwarded-For). Default: the socket's remote address. (additive, relay) */
  clientIp?: (req: IncomingMessage) => string;
  /**
   * The app's origins (as for cookie-authenticated HTTP writes): a browser socket whose `Origin` is another
   * one is not signed in by the `taiku_session` cookie. Default: any Origin. (additive, relay)
   */
  allowedOrigins?: ReadonlySet<string>;
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
  /**
   * Session-scoped operations for the routes of `sessions/` (§2.6.3, §11.3.2, §11.3.4, §11.3.5, §13).
   * Optional (additive): stand-in relays may omit it, and the routes then answer 404 `Session not found.`.
   */
  session?(sessionId: string): SessionAccess | undefined;
  /**
   * The live session whose id equals `sessionId` ignoring case, unless two do (isolated tunnel hosts:
   * browsers lowercase host names, session ids are mixed case). Optional (additive).
   */
  sessionIgnoringCase?(sessionId: string): SessionAccess | undefined;
  /** Whether a session with this id ended recently (remote routes answer 410 `Session closed`). */
  sessionEnded?(sessionId: string): boolean;
  /** Called whenever a session ends (staged downloads of that session are deleted). */
  onSessionEnd?(listener: (sessionId: string) => void): void;
  /** Number of live sessions (GET /healthz). Optional: added by the app side; 0 when absent. */
  sessionCount?(): number;
  /** Snapshot everything and close every socket (graceful shutdown). */
  close(): Promise<void>;
}

/** A filesystem request answered by the CLI (§2.3 FsRequest/FsResponse), as the routes see it. */
export type FsOp = "ls" | "read" | "stat" | "stream" | "write";
export interface FsCall {
  op: FsOp;
  path: string;
  userId: number;
  offset?: number;
  length?: number;
  data?: Uint8Array;
  /** `stream`/`read`: called with each `data` chunk as it arrives (else chunks are collected into `data`). */
  onData?: (chunk: Uint8Array) => void | Promise<void>;
  /** Abort when more than this many data bytes arrive (the CLI is told nothing; the answer is dropped). */
  maxBytes?: number;
}
export type FsOutcome =
  | { ok: true; json: unknown; data: Uint8Array; bytes: number }
  | { ok: false; kind: "cli" | "notConnected" | "timeout" | "tooLarge"; error: string };

/** A browser client eligible for remote commands (§13.3). */
export interface RemoteClient {
  userId: number;
  name: string;
  device: string;
  role: "reader" | "writer" | "admin";
  focus: number | null;
  /** Ordinal of the last meaningful message from this client: larger = more recent. */
  activeAt: number;
}

export type RemoteOutcome = { ok: true; result: unknown } | { ok: false; kind: "timeout" | "gone"; error: string } | { ok: false; kind: "handler"; error: string };

/** Session-scoped state and operations the HTTP routes of `sessions/` need (from the relay). */
export interface SessionAccess {
  readonly sessionId: string;
  readonly ownerAccountId: string | null;
  readonly readersEnabled: boolean;
  readonly cliConnected: boolean;
  /** Current verifiers (they change after a link rotation). */
  verifiers(): { view: Uint8Array; write: Uint8Array; admin: Uint8Array };
  /** Tunable settings (defaults per spec; `limits` overrides). */
  readonly settings: SessionHttpSettings;
  // Session KV (§9.3): HTTP writes broadcast `pluginKvDiff` with userId 0.
  kvList(pluginId: string): Array<{ key: string; value: unknown }>;
  kvGet(pluginId: string, key: string): { found: boolean; value?: unknown };
  kvSet(pluginId: string, key: string, value: unknown): { ok: true } | { ok: false; code: "quota" | "bad_request"; message: string };
  kvDelete(pluginId: string, key: string): void;
  // Session-managed plugins (§10)
  plugins(): Record<string, { manifest_url: string; enabled: boolean }>;
  /** false when the plugin is not in the set. */
  setPluginEnabled(pluginId: string, enabled: boolean): boolean;
  // CLI filesystem (§11.3.5)
  fs(call: FsCall): Promise<FsOutcome>;
  /** A file of a `taiku --plugin ./dir` directory, read through the CLI (`pluginFile`). */
  pluginFile?(pluginId: string, path: string, maxBytes: number): Promise<FsOutcome>;
  // Remote commands (§13)
  remoteClients(): RemoteClient[];
  /** userId of the client owning the shell (connected), else undefined. */
  shellOwner(shellId: number): number | undefined;
  remoteCommand(userId: number, method: string, params: unknown, sourceShellId: number | null): Promise<RemoteOutcome>;
  // HTTP tunnels (§3.12): optional (additive); routes answer 404 `Session not found` without them.
  /** Ports the CLI published with `--tunnel`. */
  tunnelPorts?(): number[];
  /** Proxy one request through the CLI; the sink hears the answer. */
  tunnel?(call: TunnelCall, sink: TunnelSink): TunnelExchange;
}

/** One HTTP request for a tunnel (§2.3 TunnelRequest), as the route hands it to the relay. */
export interface TunnelHeader {
  name: string;
  value: Uint8Array;
}
export interface TunnelCall {
  port: number;
  method: string;
  /** Path with query, starting with `/`. */
  path: string;
  headers: TunnelHeader[];
  /** The request body, or null when there is none. */
  body: AsyncIterable<Uint8Array> | null;
}
export type TunnelFailureKind = "notFound" | "notConnected" | "timeout" | "cli" | "tooLarge" | "overflow" | "closed" | "busy";
/** Receives the CLI's answer. After `head`, a failure aborts the response (the status is already sent). */
export interface TunnelSink {
  head(status: number, headers: TunnelHeader[]): void;
  /** A body chunk; returns the bytes now waiting for the HTTP client (the relay bounds it). */
  data(chunk: Uint8Array): number;
  end(): void;
  fail(kind: TunnelFailureKind, error: string): void;
}
export interface TunnelExchange {
  /** The HTTP client went away: the CLI is told to stop; the sink hears nothing more. */
  cancel(): void;
}

export interface SessionHttpSettings {
  /** CLI answer timeout for filesystem requests (ms). Default 15 000. */
  fsAnswerMs: number;
  /** Concurrent filesystem reads per user per session. Default 4. */
  fsReadsPerUser: number;
  /** Largest file `file/stream` stages (bytes). Default 512 MiB. */
  fsStageMaxBytes: number;
  /** Largest `PUT …/file` body (bytes). Default 32 MiB. */
  fsWriteMaxBytes: number;
  /** Download token lifetime (ms). Default 10 minutes. */
  downloadTokenMs: number;
  /** Session auth-challenge nonce lifetime (ms). Default 60 s. */
  sessionNonceMs: number;
  /** Remote command answer timeout (ms). Default 10 s. */
  remoteCommandMs: number;
  /** Largest tunneled request body (bytes). Default 32 MiB. */
  tunnelBodyMaxBytes: number;
  /** Several eligible clients and no target: "error" (spec §13.3 rule 3, default) or "mostRecent". */
  remoteAmbiguous: "error" | "mostRecent";
}
