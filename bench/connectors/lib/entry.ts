/**
 * Everything bench/connectors/run.mjs measures, bundled from the workspace sources: the connector
 * runtime over a SQLite file (same pragmas as the server), the first-party GitHub connector, the
 * GitHub stand-in of packages/server/test/integrations, and the server's `/hook/<token>` route.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHmac } from "node:crypto";
import SqliteDatabase from "better-sqlite3";
import Fastify from "fastify";
import { Kysely, SqliteDialect } from "kysely";
import { Connector, createConnectorSchema, GitHub, KyselyConnectorStorage, Runtime, type Channel, type ConnectorTables, type ToolBuilder } from "@taiku/connectors";
import { startGithub } from "../../../packages/server/test/integrations/standins/github.js";
import { registerConnectorRoutes } from "../../../packages/server/src/connectors/routes.js";

const REPO = "octo/bench";
const TOKEN = "bench-token";

/** A twist whose task does nothing: queue overhead only. */
class Noop extends Connector<Noop> {
  build(_b: ToolBuilder) { return {}; }
  async getChannels(): Promise<Channel[]> { return []; }
  async onChannelEnabled(): Promise<void> {}
  async onChannelDisabled(): Promise<void> {}
  async noop(): Promise<void> {}
  async enqueue(n: number): Promise<void> {
    const cb = await this.callback(this.noop);
    for (let i = 0; i < n; i++) await this.runTask(cb);
  }
}

async function openDb(dir: string, synchronous: string, stmtCache: boolean) {
  const sqlite = new SqliteDatabase(join(dir, "taiku.db"));
  sqlite.pragma("journal_mode = WAL");
  // The server leaves SQLite's default (FULL: fsync per commit); --synchronous normal is a diagnostic.
  if (synchronous !== "default") sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<ConnectorTables>({ dialect: new SqliteDialect({ database: stmtCache ? withStatementCache(sqlite) : sqlite }) });
  await createConnectorSchema(db);
  return db;
}

export interface BenchOptions { items: number; tasks: number; hooks: number; concurrency: number; synchronous: string; stmtCache: boolean }

/**
 * Diagnostic (--stmt-cache): Kysely's SQLite driver prepares every statement anew; better-sqlite3
 * statements are reusable once `all()`/`run()` returned, so an LRU over `prepare` skips SQLite's
 * compile step. The server does not do this today.
 */
function withStatementCache(db: SqliteDatabase.Database, max = 500): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = db.prepare.bind(db);
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== "prepare") return Reflect.get(target, prop, receiver);
      return (sql: string) => {
        let st = cache.get(sql);
        if (st) { cache.delete(sql); cache.set(sql, st); return st; }
        st = prepare(sql);
        cache.set(sql, st);
        if (cache.size > max) cache.delete(cache.keys().next().value!);
        return st;
      };
    },
  });
}

export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "taiku-bench-connectors-"));
  const gh = await startGithub({ verify: async (t) => (t === TOKEN ? { accountId: "bench" } : null) });
  gh.seed(REPO, o.items, { prEvery: 10 });
  const db = await openDb(dir, o.synchronous, o.stmtCache);
  log(`statement_cache ${o.stmtCache ? "on (diagnostic)" : "off, as the server"}`);
  log(`sqlite_synchronous ${o.synchronous === "default" ? "default (FULL), as the server" : o.synchronous}`);
  const clock = { now: () => Date.now() };
  const rt = new Runtime(new KyselyConnectorStorage(db, clock), {
    clock, hookBaseUrl: "https://taiku.bench", egressHosts: { "api.github.com": gh.url }, pollIntervalMs: 20, concurrency: o.concurrency, retryJitter: 0,
  }, { token: async () => ({ token: TOKEN, scopes: ["repo"] }) });
  rt.register("github", GitHub);
  rt.register("noop", Noop);
  const app = Fastify({ logger: false });
  registerConnectorRoutes(app, { runtime: rt, auth: { resolver: { fromApiKey: async () => null, fromSessionCookie: async () => null }, allowedOrigins: new Set(), secureCookie: false, webSessionTtlMs: 1 } as never, instanceOptions: {} });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    await rt.start();

    // ── backfill: enable → last page saved, through HTTP to the stand-in and the full data plane
    const { instance } = await rt.connect({ twistId: "github", ownerUserId: "bench-user" });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await rt.enableChannel(instance.id, REPO, "bench-user");
    for (;;) {
      const ch = await rt.storage.channelGet(instance.id, REPO);
      if (ch?.initial_sync_completed_at) break;
      if (ch?.last_error) throw new Error(ch.last_error);
      await new Promise((r) => setTimeout(r, 5));
    }
    const backfillMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const threads = await rt.inbox.countThreads({ instanceId: instance.id });
    const cpuS = (cpu.user + cpu.system) / 1e6;
    log(`backfill_items ${threads}`);
    log(`backfill_seconds ${(backfillMs / 1000).toFixed(2)}`);
    log(`backfill_items_per_s ${Math.round(threads / (backfillMs / 1000))}`);
    // One process does everything (stand-in, connector, SQLite): items per CPU-second of this process
    // is what one idle core would sustain, independent of other load on the machine.
    log(`backfill_cpu_seconds ${cpuS.toFixed(2)} (stand-in + connector + runtime + SQLite, one process)`);
    log(`backfill_items_per_cpu_s ${Math.round(threads / cpuS)}`);
    const pages = Math.ceil(o.items / 100);
    log(`backfill_pages ${pages} (100 items per GitHub page, one task each)`);

    // ── data plane alone: saveLinks of the same items without HTTP (upper bound of the backfill)
    const { buildGithubLink } = await import("@taiku/connectors");
    const items = gh.repos.get(REPO)!;
    const { Inbox } = await import("@taiku/connectors");
    const inbox2 = new Inbox(db, clock);
    const ctx = { instanceId: "bench-other", twistId: "github-raw", ownerUserId: "bench-user-2" };
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    for (let i = 0; i < items.length; i += 100) {
      await inbox2.saveLinks(ctx, items.slice(i, i + 100).map((it) => ({ ...buildGithubLink(REPO, it as never, true), source: `raw:${it.number}` })));
    }
    const rawMs = performance.now() - t1;
    const rawCpu = process.cpuUsage(c1);
    log(`data_plane_items_per_s ${Math.round(items.length / (rawMs / 1000))} (saveLinks of 100, no HTTP, no queue)`);
    log(`data_plane_items_per_cpu_s ${Math.round(items.length / ((rawCpu.user + rawCpu.system) / 1e6))}`);

    // ── queue: empty tasks claimed, executed on a fresh instance each, acknowledged
    const noop = await rt.connect({ twistId: "noop", ownerUserId: "bench-user" });
    await rt.stop();
    // One execution has a 1,000-request budget: enqueue in slices.
    for (let left = o.tasks; left > 0; left -= 900) await rt.call(noop.instance.id, "enqueue", [Math.min(900, left)]);
    const pending = (await rt.storage.taskList({ instanceId: noop.instance.id, status: "pending" })).length;
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    await rt.start();
    await rt.idle(300_000);
    const queueMs = performance.now() - t2;
    const qCpu = process.cpuUsage(c2);
    log(`queue_tasks ${pending}`);
    log(`queue_tasks_per_s ${Math.round(pending / (queueMs / 1000))} (concurrency ${o.concurrency})`);
    log(`queue_tasks_per_cpu_s ${Math.round(pending / ((qCpu.user + qCpu.system) / 1e6))}`);

    // ── webhook → thread: signed POST /hook/<token> until the inbox reports the updated thread
    const hook = gh.hooks.get(REPO)![0]!;
    const path = new URL(hook.config.url).pathname;
    const lat: number[] = [];
    const c3 = process.cpuUsage();
    for (let i = 0; i < o.hooks; i++) {
      const n = (i % items.length) + 1;
      const issue = gh.edit(REPO, n, { title: `edited ${i}` });
      const raw = JSON.stringify({ action: "edited", issue });
      const sig = "sha256=" + createHmac("sha256", hook.config.secret!).update(raw).digest("hex");
      let resolveSeen!: () => void;
      const seen = new Promise<void>((r) => { resolveSeen = r; });
      const threadOf = (await db.selectFrom("inbox_link_sources").innerJoin("inbox_links", "inbox_links.id", "inbox_link_sources.link_id").select("inbox_links.thread_id").where("source", "=", `github:${issue.pull_request ? "pr" : "issue"}:${REPO}/${n}`).executeTakeFirst())!.thread_id;
      const off = rt.inbox.onChange((e) => { if (e.kind === "thread" && e.threadId === threadOf) resolveSeen(); });
      const s = performance.now();
      const res = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json", "x-github-event": "issues", "x-hub-signature-256": sig }, body: raw });
      await res.text();
      await seen;
      lat.push(performance.now() - s);
      off();
    }
    const hCpu = process.cpuUsage(c3);
    lat.sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(2);
    log(`webhook_to_thread_ms p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${lat.at(-1)!.toFixed(2)} (n=${lat.length}, sequential)`);
    log(`webhook_cpu_ms_per_hook ${((hCpu.user + hCpu.system) / 1000 / lat.length).toFixed(2)} (sender, server and stand-in in this process)`);
  } finally {
    await rt.stop();
    await app.close();
    await gh.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
