/**
 * Numbered schema migrations, provided in code (no migration files on disk: the CLI bundles the
 * server into one file). Never edit a migration that has shipped; add the next number instead.
 * Column types are chosen per dialect only where SQLite and Postgres truly differ (binary blobs).
 */
import type { Kysely, Migration, MigrationProvider } from "kysely";
import { migration002PluginStorage } from "./migration-002-plugin-storage.js";
import { migration003Integrations } from "./migration-003-integrations.js";
import { migration004Connectors } from "./migration-004-connectors.js";
import { migration005Devices } from "./migration-005-devices.js";
import { migration006RemovedDevices } from "./migration-006-removed-devices.js";

export type Dialect = "sqlite" | "postgres";

function migration001(dialect: Dialect): Migration {
  const blob = dialect === "postgres" ? "bytea" : "blob";
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("accounts")
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("name", "varchar(128)", (c) => c.notNull())
        .addColumn("email", "varchar(254)", (c) => c.unique())
        .addColumn("password_hash", "varchar(256)")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("api_keys")
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
        .addColumn("label", "varchar(128)", (c) => c.notNull())
        .addColumn("key_hash", "varchar(64)", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("api_keys_account").on("api_keys").column("account_id").execute();
      await db.schema
        .createTable("web_sessions")
        .addColumn("token_hash", "varchar(64)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("one_time_codes")
        .addColumn("code_hash", "varchar(64)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("cli_logins")
        .addColumn("poll_hash", "varchar(64)", (c) => c.primaryKey())
        .addColumn("user_code", "varchar(16)", (c) => c.notNull().unique())
        .addColumn("device_name", "varchar(128)", (c) => c.notNull())
        .addColumn("hostname", "varchar(255)", (c) => c.notNull())
        .addColumn("os", "varchar(64)", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("approved_account_id", "varchar(64)", (c) => c.references("accounts.id").onDelete("cascade"))
        .addColumn("consumed", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("devices")
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(64)", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
        .addColumn("name", "varchar(128)", (c) => c.notNull())
        .addColumn("hostname", "varchar(255)", (c) => c.notNull())
        .addColumn("os", "varchar(64)", (c) => c.notNull())
        .addColumn("token_hash", "varchar(64)", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("session_snapshots")
        .addColumn("session_id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("owner_account_id", "varchar(64)")
        .addColumn("snapshot", blob, (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("server_meta")
        .addColumn("key", "varchar(64)", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  };
}

/** Keys sort lexically, so they are zero-padded. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return { "001_initial": migration001(dialect), "002_plugin_storage": migration002PluginStorage, "003_integrations": migration003Integrations, "004_connectors": migration004Connectors, "005_devices": migration005Devices, "006_removed_devices": migration006RemovedDevices };
}

export const inCodeMigrations = (dialect: Dialect): MigrationProvider => ({
  getMigrations: async () => migrations(dialect),
});
