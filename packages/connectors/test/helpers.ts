import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { createConnectorSchema, KyselyConnectorStorage, ManualClock, Runtime, type ConnectorTables, type RuntimeConfig, type TokenProvider, type TwistClass } from "@taiku/connectors";

export async function openDb(file = ":memory:"): Promise<{ db: Kysely<ConnectorTables>; sqlite: SqliteDatabase.Database; fresh: boolean }> {
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma("journal_mode = WAL");
  const db = new Kysely<ConnectorTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  const exists = sqlite.prepare("select name from sqlite_master where name = 'connector_tasks'").get();
  if (!exists) await createConnectorSchema(db);
  return { db, sqlite, fresh: !exists };
}

export interface Harness {
  rt: Runtime;
  clock: ManualClock;
  db: Kysely<ConnectorTables>;
  sqlite: SqliteDatabase.Database;
  close(): Promise<void>;
}

export async function harness(twists: Record<string, TwistClass>, opts: { file?: string; clock?: ManualClock; config?: Partial<RuntimeConfig>; tokens?: TokenProvider } = {}): Promise<Harness> {
  const { db, sqlite } = await openDb(opts.file);
  const clock = opts.clock ?? new ManualClock();
  const storage = new KyselyConnectorStorage(db, clock);
  const rt = new Runtime(storage, {
    clock, hookBaseUrl: "https://taiku.example", retryJitter: 0, retryDelaysMs: [1000, 2000, 4000, 8000], leaseMs: 60_000, ...opts.config,
  }, opts.tokens ?? { token: async () => ({ token: "tok", scopes: ["repo"] }) });
  for (const [id, cls] of Object.entries(twists)) rt.register(id, cls);
  return { rt, clock, db, sqlite, close: async () => { await rt.stop(); await db.destroy(); } };
}

export async function taskRows(h: Harness) {
  return h.db.selectFrom("connector_tasks").selectAll().orderBy("run_at").orderBy("seq").execute();
}
