/**
 * Connector host wiring: the @taiku/connectors runtime over the server's database, tokens from the
 * integrations vault (one OAuth connection per user and provider, refreshed ahead of expiry there),
 * `/hook/<token>` ingress and the HTTP API of connections, channels and the inbox (routes.ts).
 * The queue worker starts once the server listens (the hook origin is the public URL) and requeues
 * the leases its previous process held (single node).
 */
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { ConnectorTables, Runtime, RuntimeConfig, TwistClass } from "@taiku/connectors";
import type { AuthConfig } from "../http/auth.js";
import type { IntegrationsService } from "../integrations/index.js";
import { registerConnectorRoutes, type ConsentGate } from "./routes.js";

export interface ConnectorsOptions {
  /** Default: on whenever integrations are enabled (connectors read tokens from the same vault). */
  enabled?: boolean;
  /** Origin of `/hook/<token>` URLs. Default: the server's public URL. Loopback origins switch connectors to polling. */
  hookBaseUrl?: string;
  /** Queue and execution timers and limits (spec defaults; tests shorten them). */
  leaseMs?: number;
  retryDelaysMs?: number[];
  retryJitter?: number;
  maxAttempts?: number;
  concurrency?: number;
  pollIntervalMs?: number;
  requestBudget?: number;
  executionTimeoutMs?: number;
  fetchTimeoutMs?: number;
  /** Handled webhook deliveries are deleted; others are kept at most this long (default 7 days). */
  deliveryRetentionMs?: number;
  /** Options of new connections per connector id, e.g. `{ github: { pollIntervalMs: 60000 } }`. */
  instanceOptions?: Record<string, Record<string, unknown>>;
  /** Extra connector classes by id (the built-ins are `github` and `linear`). */
  twists?: Record<string, TwistClass>;
}

export interface ConnectorsSetup {
  runtime: Runtime | null;
  register(app: FastifyInstance, auth: AuthConfig): void;
  /** Called once listening: sets the hook origin and starts the worker. */
  start(publicUrl: string): Promise<void>;
  close(): Promise<void>;
}

/** The built-in connector classes by id, loaded with the runtime (only when connectors are on). */
export async function builtinConnectors(): Promise<Record<string, TwistClass>> {
  const { GitHub, Linear } = await import("@taiku/connectors");
  return { github: GitHub, linear: Linear };
}

export async function setupConnectors(p: {
  options: ConnectorsOptions | undefined;
  integrationsEnabled: boolean;
  service: IntegrationsService | null;
  db: object;
  egressHosts: Record<string, string> | undefined;
  now: () => number;
}): Promise<ConnectorsSetup> {
  const o = p.options ?? {};
  const enabled = o.enabled ?? p.integrationsEnabled;
  if (!enabled) return { runtime: null, register: (app, auth) => registerConnectorRoutes(app, { runtime: null, auth, instanceOptions: {}, consent: null }), start: async () => {}, close: async () => {} };
  // The runtime is loaded only when connectors are on (docs/decisions.md, "Smaller choices").
  const { KyselyConnectorStorage, Runtime } = await import("@taiku/connectors");
  const db = p.db as Kysely<ConnectorTables>;
  const clock = { now: p.now };
  const storage = new KyselyConnectorStorage(db, clock);
  const config: Partial<RuntimeConfig> & { hookBaseUrl: string } = {
    clock,
    hookBaseUrl: o.hookBaseUrl ?? "http://localhost",
    egressHosts: p.egressHosts ?? {},
    ...pick(o, ["leaseMs", "retryDelaysMs", "retryJitter", "maxAttempts", "concurrency", "pollIntervalMs", "requestBudget", "executionTimeoutMs", "fetchTimeoutMs", "deliveryRetentionMs"]),
  };
  const service = p.service;
  const runtime = new Runtime(storage, config, {
    token: async ({ userId, provider }) => {
      if (!service) return null;
      try {
        const t = await service.accessToken(userId, provider);
        return { token: t.token, scopes: t.scopes };
      } catch {
        return null;
      }
    },
  }, {
    user: async (userId) => {
      const row = await (db as unknown as Kysely<{ accounts: { id: string; name: string; email: string | null } }>).selectFrom("accounts").select(["name", "email"]).where("id", "=", userId).executeTakeFirst();
      return row ? { name: row.name, email: row.email } : null;
    },
  });
  for (const [id, cls] of Object.entries({ ...(await builtinConnectors()), ...o.twists })) runtime.register(id, cls);
  const consent = service ? consentGate(runtime, service) : null;
  return {
    runtime,
    register: (app, auth) => registerConnectorRoutes(app, { runtime, auth, instanceOptions: o.instanceOptions ?? {}, consent }),
    start: async (publicUrl) => {
      if (!o.hookBaseUrl) runtime.config.hookBaseUrl = publicUrl;
      await runtime.start();
    },
    close: () => runtime.stop(),
  };
}

/** Required scopes of a connector: a flat list, or `ScopeConfig.required` (spec §4.8). */
export function requiredScopes(meta: Record<string, unknown>): string[] {
  const s = meta.scopes as string[] | { required?: string[] } | undefined;
  return Array.isArray(s) ? s : (s?.required ?? []);
}

/**
 * Scopes and consent between connectors and the integrations connection they share (issue 6): every
 * authorization asks for the union of the toolkit app's scopes and those of the user's connectors on
 * that toolkit; enabling a channel whose connector needs a scope the connection was not granted
 * answers a re-consent URL, and the enable is held until that authorization completes. A connection
 * becoming ACTIVE also clears the needs-re-auth state of the user's connectors on it and recovers
 * their channels. Held enables live in memory (a restart drops them: enable the channel again).
 */
function consentGate(runtime: Runtime, service: IntegrationsService): ConsentGate {
  const held = new Map<string, Array<{ instanceId: string; channelId: string; scopes: string[] }>>();
  const providerOf = (twistId: string): unknown => { try { return runtime.metadata(twistId).provider; } catch { return undefined; } };
  const instancesOn = async (userId: string, toolkit: string) =>
    (await runtime.storage.instancesOf(userId)).filter((i) => i.status !== "deactivated" && providerOf(i.twist_id) === toolkit);
  service.setConnectionHooks({
    scopes: async (userId, toolkit) => (await instancesOn(userId, toolkit)).flatMap((i) => requiredScopes(runtime.metadata(i.twist_id))),
    activated: async (userId, toolkit, granted) => {
      for (const inst of await instancesOn(userId, toolkit)) if (inst.needs_reauth_at !== null) await runtime.reauthorized(inst.id);
      const key = `${userId}\0${toolkit}`;
      const waiting = held.get(key) ?? [];
      held.delete(key);
      for (const w of waiting) {
        if (!w.scopes.every((s) => granted.includes(s))) continue;
        const row = await runtime.storage.channelGet(w.instanceId, w.channelId);
        if (row && !row.enabled && row.removed_at === null) await runtime.enableChannel(w.instanceId, w.channelId, userId);
      }
    },
  });
  return {
    async check(userId, instance, channelId) {
      const meta = runtime.metadata(instance.twist_id);
      const toolkit = meta.provider as string | undefined;
      if (!toolkit) return null;
      const needed = requiredScopes(meta);
      const granted = await service.grantedScopes(userId, toolkit);
      const missing = granted === null ? needed : needed.filter((s) => !granted.includes(s));
      if (granted !== null && missing.length === 0) return null;
      const { redirectUrl } = await service.connect(userId, toolkit, service.redirectUri, needed);
      const key = `${userId}\0${toolkit}`;
      const list = (held.get(key) ?? []).filter((w) => !(w.instanceId === instance.id && w.channelId === channelId));
      held.set(key, [...list, { instanceId: instance.id, channelId, scopes: needed }]);
      return { redirectUrl, missingScopes: missing };
    },
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
