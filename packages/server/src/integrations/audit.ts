/**
 * The audit log of integration executions: one row per call, written in call order without making the
 * caller wait, and read back only after every row recorded before the read has landed.
 */
import type { IntegrationsServiceDeps } from "./deps.js";
import { newId } from "./ids.js";

export interface AuditEntry {
  id: string;
  at: number;
  pluginId: string | null;
  toolkit: string;
  action: string;
  outcome: string;
  status: number | null;
}

export class AuditLog {
  /** Audit inserts, chained: written in call order, and read back only after they landed. */
  private auditTail: Promise<void> = Promise.resolve();

  constructor(private readonly d: Pick<IntegrationsServiceDeps, "db" | "now">) {}

  /**
   * Records one audit row. The row is built now (time, id) and inserted after the ones recorded
   * before it, so callers may answer without awaiting this; reads (`auditLog`) wait for it.
   */
  audit(userId: string, e: { pluginId: string | null; toolkit: string; action: string; outcome: string; status: number | null }): Promise<void> {
    const row = { id: newId("aud"), account_id: userId, at: this.d.now(), plugin_id: e.pluginId, toolkit: e.toolkit, action: e.action.slice(0, 200), outcome: e.outcome, status: e.status };
    const write = this.auditTail.then(async () => {
      await this.d.db.insertInto("integration_audit").values(row).execute();
    });
    this.auditTail = write.catch(() => undefined);
    return write;
  }

  /** Resolves when every audit row recorded so far has been written (or failed and been reported). */
  async auditFlushed(): Promise<void> {
    await this.auditTail;
  }

  async auditLog(userId: string, limit: number): Promise<AuditEntry[]> {
    await this.auditTail;
    const rows = await this.d.db
      .selectFrom("integration_audit")
      .selectAll()
      .where("account_id", "=", userId)
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, at: r.at, pluginId: r.plugin_id, toolkit: r.toolkit, action: r.action, outcome: r.outcome, status: r.status }));
  }
}
