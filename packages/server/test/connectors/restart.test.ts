/**
 * Crash safety: the server runs in a child process, is killed with SIGKILL in the middle of a
 * 5,000-issue backfill and started again on the same $TAIKU_HOME. Leases of the dead process are
 * requeued at start (single node), retries are shortened through configuration; the backfill ends
 * with every issue exactly once — no thread, link or note lost or duplicated.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import SqliteDatabase from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { tempHome } from "../app/helpers.js";
import { Http } from "../app/helpers.js";
import { startGithub } from "../integrations/standins/github.js";
import { asApp, connect, onCleanup, realAs, registerClients, type Taiku } from "../integrations/harness.js";
import { bundleChildServer, startChild, type Child } from "./child.js";
import { channels, createConnection, setChannel, until } from "./helpers.js";

const REPO = "octo/hello";
const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
});

function asTaiku(c: Child): Taiku {
  const headers = { "x-taiku-token": c.ownerToken };
  return { http: new Http(`http://127.0.0.1:${c.port}`), key: c.ownerToken, headers, publicUrl: c.publicUrl } as unknown as Taiku;
}

describe("connector runtime across SIGKILL", () => {
  it("finishes a 5,000-issue backfill after the server is killed mid-way, with nothing lost or duplicated", async () => {
    const bundle = await bundleChildServer();
    onCleanup(async () => rmSync(bundle, { force: true }));
    const as = await realAs();
    const gh = await startGithub({ verify: (t) => as.verify(t) });
    onCleanup(() => gh.close());
    gh.seed(REPO, 5000, { prEvery: 10 });
    const home = await tempHome();
    const options = {
      home,
      integrations: { enabled: true, vaultKey: randomBytes(32).toString("base64"), apps: { github: asApp(as, "taiku-github", ["repo", "read:user"]) }, catalogueDir: new URL("../../scripts/catalogues", import.meta.url).pathname },
      egressHosts: { "api.github.com": gh.url },
      pluginsDir: new URL("../../../../plugins", import.meta.url).pathname,
      auth: { argon2: { memoryKiB: 1024, iterations: 1, parallelism: 1 } },
      connectors: { leaseMs: 1500, retryDelaysMs: [100, 200, 400, 800], retryJitter: 0, pollIntervalMs: 50, concurrency: 2, instanceOptions: { github: { pollIntervalMs: 60_000 } } },
    };

    const first = await startChild(bundle, options);
    children.push(first);
    const t1 = asTaiku(first);
    registerClients(as, t1, ["taiku-github"]);
    await connect(t1, "github");
    const { connection } = await createConnection(t1, "github");
    await setChannel(t1, connection.id, REPO, true);
    const atKill = await until("backfill under way", async () => {
      const n = (await channels(t1, connection.id)).channels[0]!.threads;
      return n >= 1500 ? n : null;
    }, 60_000, 10);
    first.proc.kill("SIGKILL");
    expect(await first.exited).toBeNull(); // killed by the signal, not a clean exit
    expect(atKill).toBeLessThan(5000);

    const second = await startChild(bundle, options);
    children.push(second);
    const t2 = asTaiku(second);
    const done = await until("backfill done after restart", async () => {
      const c = (await channels(t2, connection.id)).channels[0]!;
      return c.sync === "done" ? c : null;
    }, 120_000, 50);
    expect(done.threads).toBe(5000);
    second.proc.kill("SIGTERM");
    await second.exited;

    const db = new SqliteDatabase(`${home}/taiku.db`, { readonly: true });
    try {
      const one = (q: string) => Number((db.prepare(q).get() as { n: number }).n);
      expect(one("select count(*) n from inbox_threads")).toBe(5000);
      expect(one("select count(*) n from inbox_links")).toBe(5000);
      expect(one("select count(distinct primary_source) n from inbox_links")).toBe(5000);
      expect(one("select count(*) n from inbox_link_sources")).toBe(5000);
      expect(one("select count(*) n from inbox_notes")).toBe(5000);
      expect(one("select count(distinct thread_id || '/' || key) n from inbox_notes")).toBe(5000);
      expect(one("select count(*) n from inbox_links where type = 'pull_request'")).toBe(500);
      // Nothing left behind in the queue but the recurring poll.
      expect(db.prepare("select kind, status from connector_tasks where kind != 'recurring'").all()).toEqual([]);
    } finally {
      db.close();
    }
  }, 240_000);
});
