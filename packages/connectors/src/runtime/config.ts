/**
 * Configuration and collaborators of the connector runtime: timers and limits (`RuntimeConfig`), the
 * server-supplied token and user lookups, and the record kept per execution.
 */
import type { Twist } from "../sdk/twist.js";
import type { AuthToken } from "../sdk/types.js";
import { systemClock, type Clock } from "./ids.js";
import type { InstanceRow } from "./storage.js";

export type TwistClass = (abstract new (id: string, toolShed: any) => Twist<any>) & { handleReplies?: boolean; isConnector?: boolean };

export interface RuntimeConfig {
  clock: Clock;
  /** Lease of a claimed task; an expired lease is requeued (at-least-once). Default 15 min + 1 min. */
  leaseMs: number;
  /** Delay before attempts 2..n. Default 10 s, 1 min, 5 min, 30 min. */
  retryDelaysMs: number[];
  /** ± fraction of random jitter on retry delays. Default 0.1. */
  retryJitter: number;
  maxAttempts: number;
  /** Request units per execution (§1.5). Default 1,000. */
  requestBudget: number;
  /** Wall clock per execution. Default 15 min. */
  executionTimeoutMs: number;
  /** Outbound request timeout. Default 60 s. */
  fetchTimeoutMs: number;
  /** Concurrent executions of the worker loop. Default 4. */
  concurrency: number;
  /** Longest idle sleep of the worker loop between polls. Default 1 s. */
  pollIntervalMs: number;
  /** Public origin that `/hook/<token>` URLs are minted under. */
  hookBaseUrl: string;
  egressHosts: Record<string, string>;
  /** Allow plain http outbound (development). Default false. */
  allowHttp: boolean;
  /** Webhook deliveries (raw bodies) older than this are deleted at start. Default 7 days. */
  deliveryRetentionMs: number;
}

export const DEFAULT_RUNTIME_CONFIG: Omit<RuntimeConfig, "hookBaseUrl"> = {
  clock: systemClock,
  leaseMs: 16 * 60_000,
  retryDelaysMs: [10_000, 60_000, 300_000, 1_800_000],
  retryJitter: 0.1,
  maxAttempts: 5,
  requestBudget: 1000,
  executionTimeoutMs: 15 * 60_000,
  fetchTimeoutMs: 60_000,
  concurrency: 4,
  pollIntervalMs: 1000,
  egressHosts: {},
  allowHttp: false,
  deliveryRetentionMs: 7 * 86_400_000,
};

/** Supplies OAuth tokens from the server's vault (refreshed ahead of expiry there). */
export interface TokenProvider {
  token(args: { instance: InstanceRow; userId: string; provider: string }): Promise<AuthToken | null>;
}
export interface UserDirectory {
  user(userId: string): Promise<{ name: string | null; email: string | null } | null>;
}

export interface ExecutionRecord {
  instanceId: string;
  method: string;
  trigger: string;
  ok: boolean;
  error?: string;
  requests: number;
  ms: number;
}
