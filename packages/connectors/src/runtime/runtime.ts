/**
 * The connector runtime (spec §7): executes connector methods by name on a fresh instance per
 * invocation, supplies the tools, runs the persisted task queue and takes webhook deliveries.
 *
 * Storage is `ConnectorStorage` (Kysely; SQLite by default) plus the `Inbox` data plane. The clock
 * and every timer (lease, retry back-off, poll interval, budget wall clock) come from `RuntimeConfig`,
 * so tests drive time by hand and never wait.
 *
 * This class is the public face: registry, executions and the entry points. The work is done by
 * `instantiate.ts` + `builtin-tools.ts` (instances and their tools), `task-runner.ts` + `worker.ts`
 * (the queue), `webhooks.ts` (ingress), `channels.ts` (connections and channels) and `write-back.ts`
 * (dispatch of people's actions to connectors), all through the `RuntimeHost` built here.
 */
import { isConnectorClass } from "../sdk/connector.js";
import { ITool } from "../sdk/tool-shed.js";
import type { Twist } from "../sdk/twist.js";
import type { Actor, Authorization, SyncContext } from "../sdk/types.js";
import * as channels from "./channels.js";
import { DEFAULT_RUNTIME_CONFIG, type ExecutionRecord, type RuntimeConfig, type TokenProvider, type TwistClass, type UserDirectory } from "./config.js";
import { egressContext, installFetchWrapper, isLocalUrl } from "./egress.js";
import { egressFetch, invokeByName, type ExecutionContext } from "./execution.js";
import { enqueueLifecycle, type RuntimeHost } from "./host.js";
import { uuidv7 } from "./ids.js";
import { Inbox } from "./inbox.js";
import { instantiate } from "./instantiate.js";
import type { ChannelRow, ConnectorStorage, InstanceRow } from "./storage.js";
import { runTaskRow } from "./task-runner.js";
import { handleWebhook, type IncomingWebhook, type WebhookAnswer } from "./webhooks.js";
import { TaskWorker } from "./worker.js";
import * as writeBack from "./write-back.js";

export { DEFAULT_RUNTIME_CONFIG, type ExecutionRecord, type RuntimeConfig, type TokenProvider, type TwistClass, type UserDirectory } from "./config.js";
export { reactionAllowed } from "./write-back.js";
export { ITool };

export class Runtime {
  readonly config: RuntimeConfig;
  readonly inbox: Inbox;
  private readonly twists = new Map<string, TwistClass>();
  /** Metadata per class: read once, and a deployed version (a new class) is read afresh. */
  private readonly metadataOf = new WeakMap<TwistClass, Readonly<Record<string, unknown>>>();
  private readonly host: RuntimeHost;
  private readonly worker: TaskWorker;
  readonly executions: ExecutionRecord[] = [];
  /** Keeps the last N execution records for introspection and tests. */
  executionLogLimit = 1000;

  constructor(
    readonly storage: ConnectorStorage,
    config: Partial<RuntimeConfig> & { hookBaseUrl: string },
    tokens: TokenProvider = { token: async () => null },
    users: UserDirectory = { user: async () => null },
  ) {
    this.config = { ...DEFAULT_RUNTIME_CONFIG, ...config };
    this.inbox = new Inbox(storage.db, this.config.clock);
    this.host = {
      config: this.config, storage, inbox: this.inbox, tokens, users,
      now: () => this.now(),
      wake: () => this.wake(),
      registered: (twistId) => this.twists.get(twistId),
      twistClass: (twistId) => this.twistClass(twistId),
      metadata: (twistId) => this.metadata(twistId),
      execute: (instanceId, label, trigger, body) => this.execute(instanceId, label, trigger, body),
      call: (instanceId, method, args, trigger) => this.call(instanceId, method, args, trigger),
    };
    this.worker = new TaskWorker(storage, this.config, (row) => runTaskRow(this.host, row));
    installFetchWrapper();
  }

  private now(): number {
    return this.config.clock.now();
  }

  // ── registry ────────────────────────────────────────────────
  register(twistId: string, cls: TwistClass): void {
    this.twists.set(twistId, cls);
  }
  twistClass(twistId: string): TwistClass {
    const cls = this.twists.get(twistId);
    if (!cls) throw new Error(`Unknown twist ${twistId}`);
    return cls;
  }
  /** A new version became current: dispatch `upgrade()` once per active instance (§1.8). */
  async deploy(twistId: string, cls: TwistClass): Promise<void> {
    this.twists.set(twistId, cls);
    const rows = await this.storage.db.selectFrom("connector_instances").selectAll().where("twist_id", "=", twistId).where("status", "in", ["active", "suspended_auto"]).execute();
    for (const r of rows) {
      if (r.status === "suspended_auto") await this.storage.instanceUpdate(r.id, { status: "active" });
      await enqueueLifecycle(this.host, r.id, "upgrade", []);
    }
  }
  /** Metadata read off a constructed instance without calling build() (§1.1, §7.2). */
  metadata(twistId: string): Readonly<Record<string, unknown>> {
    const cls = this.twistClass(twistId);
    const known = this.metadataOf.get(cls);
    if (known) return known;
    const inst = new (cls as unknown as new (id: string, s: unknown) => Record<string, unknown>)("introspect", { getTools: () => { throw new Error("no tools during introspection"); } });
    const fields = ["provider", "scopes", "access", "shared", "keyOption", "singleChannel", "channelNoun", "autoEnableNewChannelsByDefault", "fixedChannels", "hiddenChannels", "linkTypes", "reactionCapabilities", "dynamicLinkTypes", "products"];
    const out: Record<string, unknown> = { isConnector: isConnectorClass(cls), handleReplies: cls.handleReplies === true };
    for (const f of fields) if (inst[f] !== undefined) out[f] = inst[f];
    const frozen = Object.freeze(out);
    this.metadataOf.set(cls, frozen);
    return frozen;
  }

  // ── executions ──────────────────────────────────────────────
  /**
   * One execution: fresh instance, fresh budget, egress scope, wall-clock guard. `body` runs with the
   * instance ready. Returns the method's result; throws what it threw.
   */
  async execute<T>(instanceId: string, label: string, trigger: string, body: (ctx: ExecutionContext, twist: Twist<unknown>) => Promise<T>): Promise<T> {
    const instance = await this.storage.instanceGet(instanceId);
    if (!instance) throw new Error(`Unknown connector instance ${instanceId}`);
    const ctx: ExecutionContext = { id: uuidv7(), instance, requests: 0, patterns: [] };
    const started = Date.now();
    const scope = { fetch: egressFetch(ctx, this.config) };
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await egressContext.run(scope, async () => {
        const twist = await instantiate(this.host, ctx);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Execution of ${label} exceeded ${this.config.executionTimeoutMs} ms`)), this.config.executionTimeoutMs);
          timer.unref?.();
        });
        return Promise.race([body(ctx, twist), timeout]);
      });
      if (ctx.aborted) throw ctx.aborted;
      this.record({ instanceId, method: label, trigger, ok: true, requests: ctx.requests, ms: Date.now() - started });
      return result;
    } catch (err) {
      const e = ctx.aborted ?? err;
      this.record({ instanceId, method: label, trigger, ok: false, error: (e as Error).message, requests: ctx.requests, ms: Date.now() - started });
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private record(r: ExecutionRecord): void {
    this.executions.push(r);
    if (this.executions.length > this.executionLogLimit) this.executions.splice(0, this.executions.length - this.executionLogLimit);
    if (!r.ok) console.warn(`connector execution ${r.method} (${r.instanceId}) failed: ${r.error}`);
  }

  /** Calls a method by name in its own execution (lifecycle, getChannels, tests). */
  call<T = unknown>(instanceId: string, method: string, args: unknown[], trigger = "lifecycle"): Promise<T> {
    return this.execute(instanceId, method, trigger, (ctx) => invokeByName(ctx, "", method, args) as Promise<T>);
  }

  // ── queue (§7.5) ────────────────────────────────────────────
  /** Claims and runs due tasks until none is due (tests and benches drive time through the clock). */
  runDue(opts: { max?: number } = {}): Promise<number> {
    return this.worker.runDue(opts);
  }

  /** Starts the worker loop: requeues leases of the previous process (single node), then polls. */
  start(): Promise<void> {
    return this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** New work was queued: the loop claims at once instead of finishing its idle sleep. */
  wake(): void {
    this.worker.wake();
  }

  /** Resolves when no task is due and nothing runs (tests with the real clock). */
  idle(timeoutMs = 30_000): Promise<void> {
    return this.worker.idle(timeoutMs);
  }

  // ── webhook ingress (§7.6) ──────────────────────────────────
  handleWebhook(publicToken: string, req: IncomingWebhook): Promise<WebhookAnswer> {
    return handleWebhook(this.host, publicToken, req);
  }

  webhooksReachable(): boolean {
    return !isLocalUrl(this.config.hookBaseUrl);
  }

  // ── connections and channels (§2.9, §7.8) ───────────────────
  /** Connect: create the instance, activate, list channels, persist them, apply the default selection. */
  connect(args: { twistId: string; ownerUserId: string; authorization?: Authorization | null; actor?: Actor; options?: Record<string, unknown> }): Promise<{ instance: InstanceRow; channels: ChannelRow[] }> {
    return channels.connect(this.host, args);
  }

  /** getChannels → channel rows (flattened, parents kept); new channels auto-enabled per preference. */
  refreshChannels(instanceId: string, opts: { authorization?: Authorization | null; initial?: boolean } = {}): Promise<ChannelRow[]> {
    return channels.refreshChannels(this.host, instanceId, opts);
  }

  /** Persists the enable synchronously, then queues onChannelEnabled as its own execution (§2.7 Decision). */
  enableChannel(instanceId: string, channelId: string, userId: string, context: SyncContext = {}): Promise<void> {
    return channels.enableChannel(this.host, instanceId, channelId, userId, context);
  }

  disableChannel(instanceId: string, channelId: string): Promise<void> {
    return channels.disableChannel(this.host, instanceId, channelId);
  }

  /** After a successful re-auth: clear the flag and recover every enabled channel (§7.7). */
  reauthorized(instanceId: string): Promise<void> {
    return channels.reauthorized(this.host, instanceId);
  }

  uninstall(instanceId: string): Promise<void> {
    return channels.uninstall(this.host, instanceId);
  }

  suspend(instanceId: string, manual: boolean): Promise<void> {
    return channels.suspend(this.host, instanceId, manual);
  }
  unsuspend(instanceId: string): Promise<void> {
    return channels.unsuspend(this.host, instanceId);
  }

  // ── write-back dispatch (§7.10) ─────────────────────────────
  /** A person created a note in taiku. Returns true when a write-back was queued. */
  noteCreated(userId: string, noteId: string): Promise<boolean> {
    return writeBack.noteCreated(this.host, userId, noteId);
  }
  noteUpdated(userId: string, noteId: string): Promise<boolean> {
    return writeBack.noteUpdated(this.host, userId, noteId);
  }
  linkUpdated(userId: string, linkId: string): Promise<boolean> {
    return writeBack.linkUpdated(this.host, userId, linkId);
  }
  threadRead(userId: string, threadId: string, unread: boolean): Promise<boolean> {
    return writeBack.threadRead(this.host, userId, threadId, unread);
  }
  threadToDo(userId: string, threadId: string, todo: boolean, date: string | null): Promise<boolean> {
    return writeBack.threadToDo(this.host, userId, threadId, todo, date);
  }
  /** A person added or removed a reaction (§2.10); see `write-back.ts` for the gate and echo rule. */
  noteReactionChanged(userId: string, noteId: string, emoji: string, added: boolean, source: string | null = null): Promise<boolean> {
    return writeBack.noteReactionChanged(this.host, userId, noteId, emoji, added, source);
  }
}
