/** `taiku login` / `whoami` / `logout` against a stand-in of the §11.3.8 routes. */
import { capturedIo } from "./helpers/captured-io.js";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";
import { loadCredentials } from "../src/credentials.js";

const body = async (req: IncomingMessage) => {
  let s = "";
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : null;
};

async function authServer(approveAfterPolls: number, outcome: "approve" | "expire" = "approve") {
  const calls: string[] = [];
  let polls = 0;
  const revoked: string[] = [];
  const srv = createServer(async (req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const json = (status: number, v: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
    if (req.url === "/api/v1/auth/cli/start") {
      const b = await body(req);
      if (typeof b.hostname !== "string") return json(400, { error: "bad" });
      return json(200, { code: "ABCD-1234", verifyUrl: `${url}/verify?code=ABCD-1234`, pollToken: "poll-1", expiresIn: 600, interval: 0 });
    }
    if (req.url === "/api/v1/auth/cli/poll") {
      const b = await body(req);
      if (b.pollToken !== "poll-1") return json(400, { error: "bad token" });
      if (++polls < approveAfterPolls) return json(202, { error: "authorization pending" });
      if (outcome === "expire") return json(410, { error: "expired" });
      return json(200, { apiKey: "tk_new", user: { id: "u7", name: "Ann" }, deviceId: "dev-1", deviceToken: "dt-1" });
    }
    if (req.url === "/api/v1/auth/me") {
      if (req.headers["x-taiku-token"] !== "tk_new") return json(401, { error: "missing authentication" });
      return json(200, { id: "u7", name: "Ann", plan: "self-hosted" });
    }
    if (req.url === "/api/v1/auth/api-keys" && req.method === "GET") return json(200, [{ id: "k1", label: "cli", current: true }]);
    if (req.url?.startsWith("/api/v1/auth/api-keys/") && req.method === "DELETE") {
      revoked.push(req.url.split("/").pop()!);
      return json(200, { ok: true });
    }
    json(404, { error: "not found" });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { url, calls, revoked, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

async function io(configDirPath: string) {
  return capturedIo({ env: { TAIKU_CONFIG_DIR: configDirPath } });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("login, whoami, logout", () => {
  it("completes the device-code flow, stores 0600 credentials, whoami uses them, logout revokes and removes", async () => {
    const srv = await authServer(3);
    cleanups.push(srv.close);
    const dir = await mkdtemp(join(tmpdir(), "taiku-login-"));
    const a = await io(dir);
    expect(await runCli(["login", "--server", srv.url], a.io)).toBe(0);
    expect(a.out()).toContain("ABCD-1234");
    expect(a.out()).toContain(`${srv.url}/verify?code=ABCD-1234`);
    expect(srv.calls.filter((c) => c.endsWith("/poll"))).toHaveLength(3);
    expect(await loadCredentials(dir)).toEqual({ server: srv.url, apiKey: "tk_new", userId: "u7", userName: "Ann", deviceId: "dev-1", deviceToken: "dt-1" });
    expect((await stat(join(dir, "credentials"))).mode & 0o777).toBe(0o600);

    const b = await io(dir);
    expect(await runCli(["whoami"], b.io)).toBe(0);
    expect(b.out()).toBe(`Ann on ${srv.url}\n`);

    const c = await io(dir);
    expect(await runCli(["logout"], c.io)).toBe(0);
    expect(srv.revoked).toEqual(["k1"]);
    expect(await loadCredentials(dir)).toBeNull();

    const d = await io(dir);
    expect(await runCli(["whoami"], d.io)).toBe(3);
    expect(d.err()).toContain("not signed in");
  });

  it("exits 3 when the code expires", async () => {
    const srv = await authServer(2, "expire");
    cleanups.push(srv.close);
    const dir = await mkdtemp(join(tmpdir(), "taiku-login-"));
    const a = await io(dir);
    expect(await runCli(["login", "--server", srv.url], a.io)).toBe(3);
    expect(a.err()).toContain("expired");
    expect(await loadCredentials(dir)).toBeNull();
  });

  it("exits 1 with a clear message when the server is unreachable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "taiku-login-"));
    const a = await io(dir);
    expect(await runCli(["login", "--server", "http://127.0.0.1:1"], a.io)).toBe(1);
    expect(a.err()).toContain("cannot reach http://127.0.0.1:1");
  });
});
