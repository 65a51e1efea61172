/**
 * Persistence of the runtime behind one interface (`ConnectorStorage`). `KyselyConnectorStorage`
 * is the implementation the server passes in: SQLite by default, the same queries on Postgres
 * (task claims add `FOR UPDATE SKIP LOCKED` there). Every multi-row change runs in one write
 * transaction, so a crash never leaves half of a `setMany` or a half-claimed task.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { ConnectorTables } from "./schema.js";
import { randomToken, uuidv7, type Clock } from "./ids.js";

export type Db = Kysely<ConnectorTables>;
export type Tx = Transaction<ConnectorTables>;
export type TaskRow = ConnectorTables["connector_tasks"];
export type InstanceRow = ConnectorTables["connector_instances"];
export type ChannelRow = ConnectorTables["connector_channels"];
export type CallbackRow = ConnectorTables["connector_callbacks"];
export type WebhookRow = ConnectorTables["connector_webhooks"];
export type DeliveryRow = ConnectorTables["connector_deliveries"];

export interface NewTask {
  instanceId: string;
  toolPath: string;
  kind: "immediate" | "scheduled" | "keyed" | "recurring" | "webhook" | "lifecycle" | "dispatch";
  runAt: number;
  callbackToken?: string | null;
  methodName?: string | null;
  args?: string | null;
  taskKey?: string | null;
  intervalMs?: number | null;
  maxAttempts: number;
  cancelToken?: string | null;
  deliveryId?: string | null;
}

export interface ConnectorStorage {
  readonly db: Db;
  readonly dialect: "sqlite" | "postgres";
  // kv
  kvGet(ns: string, keys: string[]): Promise<Map<string, string>>;
  kvSet(ns: string, entries: Array<[string, string]>): Promise<void>;
  kvClear(ns: string, keys: string[]): Promise<void>;
  kvClearAll(ns: string): Promise<void>;
  kvList(ns: string, prefix: string, withValues: boolean): Promise<Array<{ key: string; value: string }>>;
  lockAcquire(ns: string, key: string, ttlMs: number): Promise<boolean>;
  lockRelease(ns: string, key: string): Promise<void>;
  // callbacks
  callbackCreate(row: Omit<CallbackRow, "token" | "created_at">): Promise<string>;
  callbackGet(token: string): Promise<CallbackRow | undefined>;
  callbackDelete(instanceId: string, token: string): Promise<void>;
  callbackDeleteAll(instanceId: string, toolPath: string): Promise<void>;
  // tasks
  taskInsert(t: NewTask): Promise<string>;
  taskScheduleKeyed(t: NewTask & { taskKey: string }, coalesce: boolean): Promise<string>;
  taskCancelByToken(instanceId: string, toolPath: string, cancelToken: string): Promise<void>;
  taskCancelByKey(instanceId: string, toolPath: string, key: string): Promise<void>;
  taskCancelAllScheduled(instanceId: string, toolPath: string | null): Promise<void>;
  taskClaim(limit: number, leaseMs: number): Promise<TaskRow[]>;
  taskComplete(id: string): Promise<void>;
  taskFail(row: TaskRow, error: string, retryAt: number | null, budgetOverrun: boolean): Promise<void>;
  taskRequeueLeases(): Promise<number>;
  taskNextRunAt(): Promise<number | null>;
  taskList(filter: { instanceId?: string; status?: string }): Promise<TaskRow[]>;
  // webhooks
  webhookCreate(row: Omit<WebhookRow, "id" | "public_token" | "created_at" | "deleted_at">): Promise<WebhookRow>;
  webhookByToken(publicToken: string): Promise<WebhookRow | undefined>;
  webhookDelete(instanceId: string, publicToken: string): Promise<void>;
  deliveryInsert(row: Omit<DeliveryRow, "id">): Promise<string>;
  deliveryGet(id: string): Promise<DeliveryRow | undefined>;
  deliveryDone(id: string, status: string): Promise<void>;
  /** Deletes handled deliveries and any older than `before` (raw bodies are kept at most 7 days, §7.14). */
  deliveryPrune(before: number): Promise<number>;
  // instances and channels
  instanceCreate(row: { twistId: string; ownerUserId: string; options?: Record<string, unknown>; autoEnableNewChannels?: boolean }): Promise<InstanceRow>;
  instanceGet(id: string): Promise<InstanceRow | undefined>;
  instanceUpdate(id: string, patch: Partial<InstanceRow>): Promise<void>;
  instancesOf(ownerUserId: string): Promise<InstanceRow[]>;
  /** The user's first active instance of one connector (the one a write-back goes to). */
  activeInstanceOf(ownerUserId: string, twistId: string): Promise<InstanceRow | undefined>;
  channelUpsert(rows: Array<Omit<ChannelRow, "updated_at" | "enabled" | "enabled_by_user_id" | "observe_only" | "syncing_since" | "initial_sync_completed_at" | "last_error" | "removed_at">>): Promise<void>;
  channelGet(instanceId: string, channelId: string): Promise<ChannelRow | undefined>;
  channelList(instanceId: string): Promise<ChannelRow[]>;
  channelUpdate(instanceId: string, channelId: string, patch: Partial<ChannelRow>): Promise<void>;
}

let seqCounter = 0;

export class KyselyConnectorStorage implements ConnectorStorage {
  constructor(readonly db: Db, private readonly clock: Clock, readonly dialect: "sqlite" | "postgres" = "sqlite") {}

  private now(): number {
    return this.clock.now();
  }
  private nextSeq(): number {
    seqCounter = (seqCounter + 1) % 1000;
    return Date.now() * 1000 + seqCounter;
  }

  // ── kv ──────────────────────────────────────────────────────
  async kvGet(ns: string, keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!keys.length) return out;
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db.selectFrom("connector_kv").select(["key", "value"]).where("namespace", "=", ns).where("key", "in", keys.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.key, r.value);
    }
    return out;
  }
  async kvSet(ns: string, entries: Array<[string, string]>): Promise<void> {
    if (!entries.length) return;
    const write = async (db: Db | Tx) => {
      for (const [key, value] of entries) {
        await db.insertInto("connector_kv").values({ namespace: ns, key, value, size_bytes: Buffer.byteLength(value) })
          .onConflict((oc) => oc.columns(["namespace", "key"]).doUpdateSet({ value, size_bytes: Buffer.byteLength(value) })).execute();
      }
    };
    if (entries.length === 1) return write(this.db);
    await this.db.transaction().execute(write);
  }
  async kvClear(ns: string, keys: string[]): Promise<void> {
    if (!keys.length) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < keys.length; i += 500) await trx.deleteFrom("connector_kv").where("namespace", "=", ns).where("key", "in", keys.slice(i, i + 500)).execute();
    });
  }
  async kvClearAll(ns: string): Promise<void> {
    await this.db.deleteFrom("connector_kv").where("namespace", "=", ns).execute();
  }
  async kvList(ns: string, prefix: string, withValues: boolean): Promise<Array<{ key: string; value: string }>> {
    // Range scan [prefix, prefix + U+FFFF): ordered, index-backed, no LIKE escaping.
    let q = this.db.selectFrom("connector_kv").select(withValues ? ["key", "value"] : ["key"]).where("namespace", "=", ns);
    if (prefix) q = q.where("key", ">=", prefix).where("key", "<", prefix + "\uffff");
    const rows = (await q.execute()) as Array<{ key: string; value?: string }>;
    const out = rows.filter((r) => r.key.startsWith(prefix)).map((r) => ({ key: r.key, value: r.value ?? "" }));
    // Sorted by UTF-16 code unit regardless of the database collation (§3.2 Decision).
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }
  async lockAcquire(ns: string, key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const res = await this.db.insertInto("connector_locks").values({ namespace: ns, key, expires_at: now + ttlMs })
      .onConflict((oc) => oc.columns(["namespace", "key"]).doUpdateSet({ expires_at: now + ttlMs }).where("connector_locks.expires_at", "<=", now))
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
  async lockRelease(ns: string, key: string): Promise<void> {
    await this.db.deleteFrom("connector_locks").where("namespace", "=", ns).where("key", "=", key).execute();
  }

  // ── callbacks ───────────────────────────────────────────────
  async callbackCreate(row: Omit<CallbackRow, "token" | "created_at">): Promise<string> {
    const token = randomToken("cb_");
    await this.db.insertInto("connector_callbacks").values({ ...row, token, created_at: this.now() }).execute();
    return token;
  }
  callbackGet(token: string): Promise<CallbackRow | undefined> {
    return this.db.selectFrom("connector_callbacks").selectAll().where("token", "=", token).executeTakeFirst();
  }
  async callbackDelete(instanceId: string, token: string): Promise<void> {
    await this.db.deleteFrom("connector_callbacks").where("token", "=", token).where("instance_id", "=", instanceId).execute();
  }
  async callbackDeleteAll(instanceId: string, toolPath: string): Promise<void> {
    await this.db.deleteFrom("connector_callbacks").where("instance_id", "=", instanceId).where("tool_path", "=", toolPath).execute();
  }

  // ── tasks ───────────────────────────────────────────────────
  private taskRow(t: NewTask): TaskRow {
    return {
      id: uuidv7(), seq: this.nextSeq(), instance_id: t.instanceId, tool_path: t.toolPath, callback_token: t.callbackToken ?? null,
      method_name: t.methodName ?? null, args: t.args ?? null, task_key: t.taskKey ?? null, kind: t.kind, run_at: t.runAt,
      interval_ms: t.intervalMs ?? null, status: "pending", attempts: 0, max_attempts: t.maxAttempts, lease_until: null,
      last_error: null, cancel_token: t.cancelToken ?? null, delivery_id: t.deliveryId ?? null, budget_overruns: 0, created_at: this.now(),
    };
  }
  async taskInsert(t: NewTask): Promise<string> {
    const row = this.taskRow(t);
    await this.db.insertInto("connector_tasks").values(row).execute();
    return row.id;
  }
  /** Replace, or with `coalesce` keep the pending row and move it earlier only; one transaction. */
  async taskScheduleKeyed(t: NewTask & { taskKey: string }, coalesce: boolean): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const existing = await trx.selectFrom("connector_tasks").selectAll()
            .where("instance_id", "=", t.instanceId).where("tool_path", "=", t.toolPath)
            .where("task_key", "=", t.taskKey).where("status", "=", "pending").executeTakeFirst();
          if (existing && coalesce) {
            if (t.runAt < existing.run_at) await trx.updateTable("connector_tasks").set({ run_at: t.runAt }).where("id", "=", existing.id).execute();
            // The callback just passed is discarded (§3.3).
            if (t.callbackToken && t.callbackToken !== existing.callback_token) {
              await trx.deleteFrom("connector_callbacks").where("token", "=", t.callbackToken).execute();
            }
            return existing.cancel_token ?? existing.id;
          }
          if (existing) await trx.deleteFrom("connector_tasks").where("id", "=", existing.id).execute();
          const row = this.taskRow(t);
          await trx.insertInto("connector_tasks").values(row).execute();
          return row.cancel_token ?? row.id;
        });
      } catch (err) {
        // Postgres: a racing transaction inserted the pending row first (unique index); converge on it.
        if (attempt < 3 && /unique|duplicate/i.test(String((err as Error).message))) continue;
        throw err;
      }
    }
  }
  async taskCancelByToken(instanceId: string, toolPath: string, cancelToken: string): Promise<void> {
    await this.db.deleteFrom("connector_tasks").where("instance_id", "=", instanceId).where("tool_path", "=", toolPath)
      .where("cancel_token", "=", cancelToken).where("status", "=", "pending").execute();
  }
  async taskCancelByKey(instanceId: string, toolPath: string, key: string): Promise<void> {
    await this.db.deleteFrom("connector_tasks").where("instance_id", "=", instanceId).where("tool_path", "=", toolPath)
      .where("task_key", "=", key).where("status", "=", "pending").execute();
  }
  async taskCancelAllScheduled(instanceId: string, toolPath: string | null): Promise<void> {
    let q = this.db.deleteFrom("connector_tasks").where("instance_id", "=", instanceId).where("status", "=", "pending")
      .where("kind", "in", ["scheduled", "keyed", "recurring"]);
    if (toolPath !== null) q = q.where("tool_path", "=", toolPath);
    await q.execute();
  }
  /**
   * Claims due work inside one write transaction: pending rows whose run_at has come, and leased
   * rows whose lease expired (at-least-once). A recurring occurrence writes its successor first,
   * so a crash or a throw never breaks the chain (§7.5).
   */
  async taskClaim(limit: number, leaseMs: number): Promise<TaskRow[]> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom("connector_tasks").selectAll()
        .where((eb) => eb.or([
          eb.and([eb("status", "=", "pending"), eb("run_at", "<=", now)]),
          eb.and([eb("status", "=", "leased"), eb("lease_until", "<", now)]),
        ]))
        .where("instance_id", "in", (eb) => eb.selectFrom("connector_instances").select("id").where("status", "=", "active"))
        .orderBy("run_at").orderBy("seq").limit(limit);
      if (this.dialect === "postgres") q = q.forUpdate().skipLocked();
      const rows = await q.execute();
      const claimed: TaskRow[] = [];
      if (rows.length) {
        await trx.updateTable("connector_tasks").set((eb) => ({ status: "leased", lease_until: now + leaseMs, attempts: eb("attempts", "+", 1) }))
          .where("id", "in", rows.map((r) => r.id)).execute();
      }
      for (const r of rows) {
        const fresh = r.status === "pending";
        const upd = { status: "leased", lease_until: now + leaseMs, attempts: r.attempts + 1 };
        if (fresh && r.kind === "recurring" && r.interval_ms) {
          const next = this.taskRow({
            instanceId: r.instance_id, toolPath: r.tool_path, kind: "recurring", runAt: now + Number(r.interval_ms), callbackToken: r.callback_token,
            taskKey: r.task_key, intervalMs: Number(r.interval_ms), maxAttempts: 1, cancelToken: randomToken("tk_"),
          });
          await trx.insertInto("connector_tasks").values(next).execute();
        }
        claimed.push({ ...r, ...upd });
      }
      return claimed;
    });
  }
  async taskComplete(id: string): Promise<void> {
    await this.db.deleteFrom("connector_tasks").where("id", "=", id).execute();
  }
  async taskFail(row: TaskRow, error: string, retryAt: number | null, budgetOverrun: boolean): Promise<void> {
    const overruns = row.budget_overruns + (budgetOverrun ? 1 : 0);
    if (retryAt === null) {
      await this.db.updateTable("connector_tasks").set({ status: "failed", last_error: error.slice(0, 4000), lease_until: null, budget_overruns: overruns })
        .where("id", "=", row.id).execute();
      return;
    }
    await this.db.updateTable("connector_tasks").set({ status: "pending", run_at: retryAt, last_error: error.slice(0, 4000), lease_until: null, budget_overruns: overruns })
      .where("id", "=", row.id).execute();
  }
  /** A single node owns every lease: at start, whatever its previous process held is due again. */
  async taskRequeueLeases(): Promise<number> {
    const res = await this.db.updateTable("connector_tasks").set({ status: "pending", lease_until: null }).where("status", "=", "leased").executeTakeFirst();
    return Number(res.numUpdatedRows ?? 0n);
  }
  async taskNextRunAt(): Promise<number | null> {
    const r = await this.db.selectFrom("connector_tasks").select((eb) => eb.fn.min("run_at").as("m")).where("status", "=", "pending").executeTakeFirst();
    const l = await this.db.selectFrom("connector_tasks").select((eb) => eb.fn.min("lease_until").as("m")).where("status", "=", "leased").executeTakeFirst();
    const vals = [r?.m, l?.m].filter((v) => v !== null && v !== undefined).map(Number);
    return vals.length ? Math.min(...vals) : null;
  }
  async taskList(filter: { instanceId?: string; status?: string }): Promise<TaskRow[]> {
    let q = this.db.selectFrom("connector_tasks").selectAll();
    if (filter.instanceId) q = q.where("instance_id", "=", filter.instanceId);
    if (filter.status) q = q.where("status", "=", filter.status);
    return q.orderBy("run_at").orderBy("seq").execute();
  }

  // ── webhooks ────────────────────────────────────────────────
  async webhookCreate(row: Omit<WebhookRow, "id" | "public_token" | "created_at" | "deleted_at">): Promise<WebhookRow> {
    const full: WebhookRow = { ...row, id: uuidv7(), public_token: randomToken("wh_"), created_at: this.now(), deleted_at: null };
    await this.db.insertInto("connector_webhooks").values(full).execute();
    return full;
  }
  webhookByToken(publicToken: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom("connector_webhooks").selectAll().where("public_token", "=", publicToken).where("deleted_at", "is", null).executeTakeFirst();
  }
  async webhookDelete(instanceId: string, publicToken: string): Promise<void> {
    await this.db.updateTable("connector_webhooks").set({ deleted_at: this.now() }).where("public_token", "=", publicToken).where("instance_id", "=", instanceId).execute();
  }
  async deliveryInsert(row: Omit<DeliveryRow, "id">): Promise<string> {
    const id = uuidv7();
    await this.db.insertInto("connector_deliveries").values({ ...row, id }).execute();
    return id;
  }
  deliveryGet(id: string): Promise<DeliveryRow | undefined> {
    return this.db.selectFrom("connector_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  }
  async deliveryDone(id: string, status: string): Promise<void> {
    // A handled delivery's raw body is not needed any more.
    if (status === "done") await this.db.deleteFrom("connector_deliveries").where("id", "=", id).execute();
    else await this.db.updateTable("connector_deliveries").set({ status }).where("id", "=", id).execute();
  }
  async deliveryPrune(before: number): Promise<number> {
    const res = await this.db.deleteFrom("connector_deliveries").where((eb) => eb.or([eb("status", "=", "done"), eb("received_at", "<", before)])).executeTakeFirst();
    return Number(res.numDeletedRows ?? 0n);
  }

  // ── instances and channels ──────────────────────────────────
  async instanceCreate(row: { twistId: string; ownerUserId: string; options?: Record<string, unknown>; autoEnableNewChannels?: boolean }): Promise<InstanceRow> {
    const now = this.now();
    const full: InstanceRow = {
      id: uuidv7(), twist_id: row.twistId, owner_user_id: row.ownerUserId, status: "active", account_name: null,
      options: JSON.stringify(row.options ?? {}), needs_reauth_at: null, needs_reauth_reason: null,
      auto_enable_new_channels: row.autoEnableNewChannels ? 1 : 0, created_at: now, updated_at: now,
    };
    await this.db.insertInto("connector_instances").values(full).execute();
    return full;
  }
  instanceGet(id: string): Promise<InstanceRow | undefined> {
    return this.db.selectFrom("connector_instances").selectAll().where("id", "=", id).executeTakeFirst();
  }
  async instanceUpdate(id: string, patch: Partial<InstanceRow>): Promise<void> {
    await this.db.updateTable("connector_instances").set({ ...patch, updated_at: this.now() }).where("id", "=", id).execute();
  }
  instancesOf(ownerUserId: string): Promise<InstanceRow[]> {
    return this.db.selectFrom("connector_instances").selectAll().where("owner_user_id", "=", ownerUserId).where("status", "!=", "deactivated").orderBy("created_at").execute();
  }
  activeInstanceOf(ownerUserId: string, twistId: string): Promise<InstanceRow | undefined> {
    return this.db.selectFrom("connector_instances").selectAll()
      .where("owner_user_id", "=", ownerUserId).where("twist_id", "=", twistId).where("status", "=", "active")
      .orderBy("created_at").limit(1).executeTakeFirst();
  }
  async channelUpsert(rows: Array<Omit<ChannelRow, "updated_at" | "enabled" | "enabled_by_user_id" | "observe_only" | "syncing_since" | "initial_sync_completed_at" | "last_error" | "removed_at">>): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      for (const r of rows) {
        await trx.insertInto("connector_channels").values({ ...r, enabled: 0, enabled_by_user_id: null, observe_only: 0, syncing_since: null, initial_sync_completed_at: null, last_error: null, removed_at: null, updated_at: now })
          .onConflict((oc) => oc.columns(["instance_id", "channel_id"]).doUpdateSet({
            title: r.title, parent_channel_id: r.parent_channel_id, enabled_by_default: r.enabled_by_default, link_types: r.link_types, position: r.position, removed_at: null, updated_at: now,
          })).execute();
      }
    });
  }
  channelGet(instanceId: string, channelId: string): Promise<ChannelRow | undefined> {
    return this.db.selectFrom("connector_channels").selectAll().where("instance_id", "=", instanceId).where("channel_id", "=", channelId).executeTakeFirst();
  }
  channelList(instanceId: string): Promise<ChannelRow[]> {
    return this.db.selectFrom("connector_channels").selectAll().where("instance_id", "=", instanceId).orderBy("position").execute();
  }
  async channelUpdate(instanceId: string, channelId: string, patch: Partial<ChannelRow>): Promise<void> {
    await this.db.updateTable("connector_channels").set({ ...patch, updated_at: this.now() }).where("instance_id", "=", instanceId).where("channel_id", "=", channelId).execute();
  }
}

export { sql };
