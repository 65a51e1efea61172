/** Migration 003: integrations — OAuth apps set by the admin, per-account connections (sealed tokens), audit log (§12). */
import type { Kysely, Migration } from "kysely";

export const migration003Integrations: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("integration_apps")
      .addColumn("toolkit", "varchar(64)", (c) => c.primaryKey())
      .addColumn("kind", "varchar(16)", (c) => c.notNull())
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("client_secret", "text")
      .addColumn("key_id", "varchar(32)")
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("integration_connections")
      .addColumn("id", "varchar(64)", (c) => c.primaryKey())
      .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("toolkit", "varchar(64)", (c) => c.notNull())
      .addColumn("status", "varchar(16)", (c) => c.notNull())
      .addColumn("tokens", "text")
      .addColumn("pkce_verifier", "text")
      .addColumn("key_id", "varchar(32)")
      .addColumn("state_hash", "varchar(64)", (c) => c.unique())
      .addColumn("callback_url", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint")
      .addColumn("error", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("integration_connections_account").on("integration_connections").columns(["account_id", "toolkit"]).execute();
    await db.schema
      .createTable("integration_audit")
      .addColumn("id", "varchar(64)", (c) => c.primaryKey())
      .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("plugin_id", "varchar(100)")
      .addColumn("toolkit", "varchar(64)", (c) => c.notNull())
      .addColumn("action", "varchar(200)", (c) => c.notNull())
      .addColumn("outcome", "varchar(32)", (c) => c.notNull())
      .addColumn("status", "integer")
      .execute();
    await db.schema.createIndex("integration_audit_account").on("integration_audit").columns(["account_id", "at"]).execute();
  },
};
