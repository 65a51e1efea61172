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
import type { AccountArgs } from "../src/args.js";
import { loginDevice, runLogin } from "../src/login.js";
import { cliLoginStartBody } from "@taiku/protocol";
import { startServer } from "@taiku/server";
import { waitFor } from "./helpers/wait-for.js";

const body = async (req: IncomingMessage) => {
  let s = "";
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : null;
};

async function authServer(approveAfterPolls: number, outcome: "approve" | "expire" | "malformed" = "approve") {
  const calls: string[] = [];
  let polls = 0;
  const revoked: string[] = [];
  const srv = createServer(async (req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const json = (status: number, v: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
    // Error and pending answers are text/plain, as the real server sends them (§11.1).
    const text = (status: number, t: string) => res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(t);
    if (req.url === "/api/v1/auth/cli/start") {
      const b = await body(req);
      if (typeof b.hostname !== "string") return text(400, "invalid request body: hostname: Required");
      if (outcome === "malformed") return json(200, { code: "ABCD-1234", verifyUrl: "not a url", pollToken: "poll-1" });
      return json(200, { code: "ABCD-1234", verifyUrl: `${url}/verify?code=ABCD-1234`, pollToken: "poll-1", expiresIn: 600, interval: 0 });
    }
    if (req.url === "/api/v1/auth/cli/poll") {
      const b = await body(req);
      if (b.pollToken !== "poll-1") return text(410, "expired");
      if (++polls < approveAfterPolls) return text(202, "authorization pending");
      if (outcome === "expire") return text(410, "expired");
      return json(200, { apiKey: "tk_new", user: { id: "u7", name: "Ann" }, deviceId: "dev-1", deviceToken: "dt-1" });
    }
    if (req.url === "/api/v1/auth/me") {
      if (req.headers["x-taiku-token"] !== "tk_new") return text(401, "missing authentication");
      return json(200, { id: "u7", name: "Ann", plan: "self-hosted" });
    }
    if (req.url === "/api/v1/auth/api-keys" && req.method === "GET")
      return json(200, [
        { id: "k0", label: "web", createdAt: 1, lastUsedAt: null, current: false },
        { id: "k1", label: "cli", createdAt: 2, lastUsedAt: 3, current: true },
      ]);
    if (req.url?.startsWith("/api/v1/auth/api-keys/") && req.method === "DELETE") {
      revoked.push(req.url.split("/").pop()!);
      return json(200, { ok: true });
    }
    text(404, "Not found");
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

  it("refuses an answer that is not a taiku login answer, saving nothing", async () => {
    const srv = await authServer(1, "malformed");
    cleanups.push(srv.close);
    const dir = await mkdtemp(join(tmpdir(), "taiku-login-"));
    const a = await io(dir);
    expect(await runCli(["login", "--server", srv.url], a.io)).toBe(1);
    expect(a.err()).toContain("the server's answer to the login start is not what taiku expects");
    expect(a.err()).toContain("verifyUrl");
    expect(srv.calls.filter((c) => c.endsWith("/poll"))).toHaveLength(0);
    expect(await loadCredentials(dir)).toBeNull();
  });

  it("exits 1 with a clear message when the server is unreachable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "taiku-login-"));
    const a = await io(dir);
    expect(await runCli(["login", "--server", "http://127.0.0.1:1"], a.io)).toBe(1);
    expect(a.err()).toContain("cannot reach http://127.0.0.1:1");
  });
});

describe("login, whoami, logout against a real taiku server", () => {
  it("signs in by device code approved in a browser session, and logout revokes exactly the stored key", async () => {
    const server = await startServer({ home: await mkdtemp(join(tmpdir(), "taiku-login-home-")), host: "127.0.0.1", port: 0, logLevel: "silent" });
    cleanups.push(() => server.close());
    const url = `http://127.0.0.1:${server.port}`;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", origin: server.publicUrl, ...headers }, body: JSON.stringify(body) });
    const signup = await post("/api/v1/auth/signup", { name: "Ann", email: "ann@example.com", password: "correct horse battery" });
    const cookie = signup.headers.get("set-cookie")!.split(";")[0]!;
    // A key of the same account that logout must leave alone.
    const other = (await (await post("/api/v1/auth/api-keys", { label: "ci" }, { cookie })).json()) as { apiKey: string };

    const dir = await mkdtemp(join(tmpdir(), "taiku-login-"));
    const a = await io(dir);
    const login = runLogin({ command: "login", server: url } satisfies AccountArgs, a.io, { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))), now: () => Date.now() });
    const code = await waitFor("the login code", async () => /confirm the code: (\S+)/.exec(a.out())?.[1]);
    expect((await post("/api/v1/auth/cli/approve", { code }, { cookie })).status).toBe(200);
    expect(await login).toBe(0);
    const creds = await loadCredentials(dir);
    expect(creds?.userName).toBe("Ann");

    const b = await io(dir);
    expect(await runCli(["whoami"], b.io)).toBe(0);
    expect(b.out()).toBe(`Ann <ann@example.com> on ${url}\n`);

    const c = await io(dir);
    expect(await runCli(["logout"], c.io)).toBe(0);
    expect(c.err()).toBe("");
    const me = (key: string) => fetch(`${url}/api/v1/auth/me`, { headers: { "x-taiku-token": key } }).then((r) => r.status);
    expect(await me(creds!.apiKey)).toBe(401);
    expect(await me(other.apiKey)).toBe(200);
  });
});

describe("the device a login names", () => {
  it("stays within the server's limits however long the machine's name is", () => {
    expect(loginDevice("box", "linux")).toEqual({ deviceName: "taiku CLI on box", hostname: "box", os: "linux" });
    const long = loginDevice("h".repeat(300), "o".repeat(80));
    expect(cliLoginStartBody.safeParse(long).success).toBe(true);
    expect(long.deviceName).toBe(`taiku CLI on ${"h".repeat(115)}`);
  });
});
