/**
 * Opens the embedded SQLite database (`$TAIKU_HOME/taiku.db`) through Kysely and brings the schema
 * up to date. Everything above this module talks Kysely only, so a Postgres dialect can be
 * dropped in here later (ARCHITECTURE.md: TAIKU_DATABASE_URL selects Postgres).
 */
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import type { Database } from "./schema.js";
import { inCodeMigrations } from "./migrations.js";

export type Db = Kysely<Database>;

export async function openDatabase(file: string): Promise<Db> {
  const sqlite = new SqliteDatabase(file);
  // WAL: readers never block the writer, and a crash loses at most the last transaction.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  // Concurrent taiku processes on one home (e.g. `taiku serve` plus a test) wait instead of failing.
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: inCodeMigrations("sqlite") });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`database migration failed: ${String(error)}`);
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
