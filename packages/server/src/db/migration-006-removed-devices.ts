/**
 * Migration 006: tombstones of removed devices (§3.14). `DELETE /api/v1/devices/{id}` leaves the id
 * here so a taiku process still running on that machine cannot register it again (410); `taiku
 * login` mints a new device id to add the machine back.
 */
import type { Kysely, Migration } from "kysely";

export const migration006RemovedDevices: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("removed_devices")
      .addColumn("device_id", "varchar(64)", (c) => c.primaryKey())
      .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("removed_at", "bigint", (c) => c.notNull())
      .execute();
  },
};
