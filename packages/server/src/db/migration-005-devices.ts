/**
 * Migration 005: device heartbeats (§3.14, §11.3.9). The `devices` table of 001 gains when it was
 * last heard from and the session URLs its heartbeats reported (JSON `{url: lastSeenMs}`, never
 * fragments), plus an index for "this account's devices".
 */
import type { Kysely, Migration } from "kysely";

export const migration005Devices: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("devices").addColumn("last_seen_at", "bigint").execute();
    await db.schema.alterTable("devices").addColumn("sessions", "text", (c) => c.notNull().defaultTo("{}")).execute();
    await db.schema.createIndex("devices_account").on("devices").column("account_id").execute();
  },
};
