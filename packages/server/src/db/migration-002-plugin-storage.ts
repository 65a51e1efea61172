/** Migration 002: User KV, plugin file metadata and per-user plugin enablement (§9.4, §9.5, §4.1). */
import type { Kysely, Migration } from "kysely";

export const migration002PluginStorage: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("user_kv")
      .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("plugin_id", "varchar(100)", (c) => c.notNull())
      .addColumn("key", "varchar(1024)", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addColumn("bytes", "integer", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("user_kv_pk", ["account_id", "plugin_id", "key"])
      .execute();
    await db.schema
      .createTable("plugin_files")
      .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("plugin_id", "varchar(100)", (c) => c.notNull())
      .addColumn("name", "varchar(255)", (c) => c.notNull())
      .addColumn("size", "bigint", (c) => c.notNull())
      .addColumn("content_type", "varchar(128)", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("plugin_files_pk", ["account_id", "plugin_id", "name"])
      .execute();
    await db.schema
      .createTable("user_plugins")
      .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("plugin_id", "varchar(100)", (c) => c.notNull())
      .addColumn("manifest_url", "text", (c) => c.notNull())
      .addColumn("manifest", "text")
      .addColumn("enabled", "integer", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("user_plugins_pk", ["account_id", "plugin_id"])
      .execute();
  },
};
