/** The session client's options, timing and events (session-client.ts). */
import type { DeriveOptions } from "@taiku/crypto";
import type { ServerMsg } from "@taiku/protocol";
import type { AckOptions } from "./ack.js";
import type { AliasInvocation } from "./alias-frames.js";
import type { BackoffOptions } from "./backoff.js";
import type { Clock, KeyValueStorage, SocketFactory } from "./services.js";
import type { SessionState } from "./session-state.js";
import type { AgentEvent } from "./side-frames.js";

export interface SessionTiming {
  pingMs: number;
  livenessMs: number;
  backoff: BackoffOptions;
  offlineQueueMax: number;
  staleInputMs: number;
  ack: AckOptions;
  focusLockMs: number;
  /** Least time between two session KV batches (outbox.ts, `KvBatcher`). */
  kvGapMs: number;
}

export interface SessionClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080` (http → ws, https → wss). */
  baseUrl: string;
  sessionId: string;
  /** URL fragment: `key[,writeSecret[,adminSecret]]` (leading `#` allowed). */
  fragment: string;
  WebSocket: SocketFactory;
  /** localStorage in the page; in-memory by default. */
  storage?: KeyValueStorage;
  clock?: Clock;
  random?: () => number;
  /** Presence device label; default derived from `userAgent` as `<OS> Web`. */
  device?: string;
  userAgent?: string;
  name?: string;
  /**
   * Argon2id parameters (only tests lower them, and the CLI must use the same) and, optionally, the
   * AES-GCM implementation: a Node viewer can pass a synchronous `node:crypto` one (bench/relay).
   */
  kdf?: DeriveOptions;
  timing?: Partial<SessionTiming>;
}

export interface SessionEvents extends Record<string, unknown> {
  state: SessionState;
  focusLocked: ServerMsg<"focusLocked">;
  adoptionResult: ServerMsg<"adoptionResult">;
  error: { code: string; message: string };
  pluginEvent: ServerMsg<"pluginEvent">;
  /** A decrypted agent event of a shell (spec §2.4.3 "Agent events", §8): `agent_status` / `agent.*`. */
  agentEvent: AgentEvent;
  /** A session KV change (after it is folded into `state.pluginKv`): the plugin host turns it into events. */
  pluginKvDiff: ServerMsg<"pluginKvDiff">;
  remoteCommand: ServerMsg<"remoteCommand">;
  /** An opened alias call (§4.8) to answer with `answerAlias`; frames that fail authentication are dropped. */
  aliasInvocation: AliasInvocation;
  /** The links were rotated and this admin received the new fragment (update the address bar). */
  fragment: string;
  /** First frame that failed authentication (spec §2.4.3: warn once in the UI). */
  decryptWarning: { shellId: number; seq: number };
  /** The first frame of a document that failed authentication (dropped; the tile warns). */
  docWarning: { docId: string; userId: number; counter: number; seq: number | null };
  /** A shell's output skipped from seq `after` to `next` (the relay had trimmed them); the tile shows a notice. */
  outputGap: { shellId: number; after: number; next: number };
}
