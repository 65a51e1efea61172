import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { migrate, openDatabase } from "../../src/db/database.js";
import { migrations } from "../../src/db/migrations.js";
import { createSnapshotStore } from "../../src/db/snapshots.js";
import { SERVER_VERSION } from "../../src/version.js";
import { start, tempHome } from "./helpers.js";

describe("storage", () => {
  it("creates the home 0700, the database in WAL mode, and runs migrations once across restarts", async () => {
    const home = await tempHome();
    const first = await start({ home });
    const signup = await first.http.post("/api/v1/auth/signup", { name: "Bob", email: "bob@example.com", password: "hunter2hunter2" });
    expect(signup.status).toBe(201);
    await first.server.close();
    expect((await stat(home)).mode & 0o777).toBe(0o700);

    const second = await start({ home });
    const signin = await second.http.post("/api/v1/auth/signin", { email: "bob@example.com", password: "hunter2hunter2" });
    expect(signin.status).toBe(200);
    await second.server.close();

    const db = await openDatabase(join(home, "taiku.db"));
    try {
      expect(await migrate(db)).toEqual([]); // nothing left to apply
      const applied = await db.selectFrom("kysely_migration" as never).select("name" as never).execute();
      // Every in-code migration ran, in order (002+ come from other areas: plugin storage, integrations).
      expect(applied).toEqual(Object.keys(migrations("sqlite")).sort().map((name) => ({ name })));
      expect(applied[0]).toEqual({ name: "001_initial" });
      const journal = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db);
      expect(journal.rows[0]?.journal_mode).toBe("wal");
    } finally {
      await db.destroy();
    }
  });

  it("stores session snapshots: upsert, load, delete", async () => {
    const home = await tempHome();
    await mkdir(home, { recursive: true });
    const db = await openDatabase(join(home, "taiku.db"));
    try {
      const store = createSnapshotStore(db, () => 42);
      await store.save("s1", "acct", new Uint8Array([1, 2, 3]));
      await store.save("s2", null, new Uint8Array([9]));
      await store.save("s1", "acct", new Uint8Array([4, 5]));
      const all = (await store.loadAll()).sort((a, b) => a.sessionId.localeCompare(b.sessionId));
      expect(all.map((r) => [r.sessionId, [...r.snapshot]])).toEqual([["s1", [4, 5]], ["s2", [9]]]);
      expect(all[0]!.snapshot).toBeInstanceOf(Uint8Array);
      await store.delete("s1");
      expect((await store.loadAll()).map((r) => r.sessionId)).toEqual(["s2"]);
    } finally {
      await db.destroy();
    }
  });

  it("keeps SERVER_VERSION equal to package.json", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(SERVER_VERSION).toBe(pkg.version);
  });
});

describe("startup and logging", () => {
  it("fails cleanly when the port is taken, then starts on the same home", async () => {
    const home = await tempHome();
    const a = await start({ home });
    await expect(start({ home, port: a.server.port })).rejects.toThrow(/EADDRINUSE/);
    await expect(start({ home, publicUrl: "taiku.example.com" })).rejects.toThrow(/publicUrl must be an http\(s\) origin/);
    await a.server.close();
    const b = await start({ home, port: a.server.port });
    expect((await b.http.get("/healthz")).status).toBe(200);
  });

  it("writes structured logs to logFile without secrets, cookies, tokens or bodies", async () => {
    const home = await tempHome();
    const logFile = join(home, "..", "server.log");
    const s = await start({ home, logLevel: "info", logFile });
    const password = "very-secret-password-123";
    const up = await s.http.post("/api/v1/auth/signup", { name: "Log", email: "log@example.com", password });
    const cookie = up.headers.get("set-cookie")!.split(";")[0]!;
    await s.http.get("/api/v1/auth/me", { cookie, "x-taiku-token": s.server.ownerToken });
    await s.http.get("/verify?code=SECRETCODE1");
    await s.http.post("/api/v1/auth/signin", { email: "log@example.com", password: "wrong-" + password });
    // Broken JSON and bad fields: parser and validation errors must not carry the body into the log.
    await s.http.req("POST", "/api/v1/auth/signin", { raw: `{"password":"${password}`, headers: { "content-type": "application/json" } });
    await s.http.post("/api/v1/auth/signup", { name: "x", email: password, password });
    await s.server.close();
    const log = await readFile(logFile, "utf8");
    const lines = log.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; req?: { url: string } });
    expect(lines.some((l) => l.req?.url === "/api/v1/auth/signup")).toBe(true);
    expect(lines.some((l) => l.req?.url === "/verify")).toBe(true);
    for (const secret of [password, cookie.split("=")[1]!, s.server.ownerToken, "SECRETCODE1", "log@example.com"]) expect(log).not.toContain(secret);
  });
});
