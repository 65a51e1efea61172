import { randomBytes } from "node:crypto";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { LIMITS } from "@taiku/protocol";
import { SERVER_VERSION } from "../../src/version.js";
import { signUp, start } from "./helpers.js";

/** Sends a WebSocket upgrade by hand; returns what the server wrote (up to the first response head when `headOnly`). */
function upgrade(port: number, path: string, headOnly = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    let data = "";
    sock.on("data", (d) => {
      data += d.toString("latin1");
      if (headOnly && data.includes("\r\n\r\n")) {
        sock.destroy();
        resolve(data);
      }
    });
    sock.on("close", () => resolve(data));
    sock.on("error", reject);
  });
}

describe("relay wiring", () => {
  it("creates the relay with resolved deps, restores it at start and closes it once on shutdown", async () => {
    const s = await start({ limits: { cliGraceMs: 1234 }, viewerAuth: true, snapshotIntervalMs: 777 });
    const { deps } = s.relay;
    expect(s.relay.restored).toBe(1);
    expect(deps.limits).toEqual({ ...LIMITS, cliGraceMs: 1234 });
    expect(deps.publicUrl).toBe(`http://localhost:${s.server.port}`);
    expect(s.server.url).toBe(`http://127.0.0.1:${s.server.port}`);
    expect([deps.viewerAuth, deps.snapshotIntervalMs, deps.serverVersion]).toEqual([true, 777, SERVER_VERSION]);
    // §2.2.4 hello.features: what this server serves (user KV and plugin storage always; integrations when enabled).
    expect(deps.features).toEqual(["tunnels", "documents", "userKv", "storage"]);
    // The resolver the relay gets is the real one.
    expect((await deps.accounts.fromApiKey(s.server.ownerToken))?.id).toEqual(expect.any(String));
    expect(await deps.accounts.fromApiKey("tk_nope")).toBeNull();
    await deps.snapshots.save("snap", null, new Uint8Array([7]));
    expect((await deps.snapshots.loadAll()).map((r) => r.sessionId)).toEqual(["snap"]);
    await Promise.all([s.server.close(), s.server.close()]);
    expect(s.relay.closed).toBe(1);
  });

  it("advertises integrations in hello.features when they are enabled (§2.2.4)", async () => {
    const s = await start({ integrations: { enabled: true, vaultKey: randomBytes(32).toString("base64") } });
    expect(s.relay.deps.features).toEqual(["tunnels", "documents", "userKv", "storage", "integrations"]);
    await s.server.close();
  });

  it("answers /healthz with the version and session count", async () => {
    const s = await start();
    s.relay.sessions.set("a", { owner: null, chat: [] });
    const res = await s.http.get("/healthz");
    expect(res.json()).toEqual({ ok: true, version: SERVER_VERSION, sessions: 1 });
  });

  it("answers upgrades the relay does not claim with 404 and closes the socket", async () => {
    const s = await start();
    expect(await upgrade(s.server.port, "/nope")).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it("routes /api/cli and /api/s/:id upgrades to the real relay, and shuts it down", async () => {
    const s = await start({ realRelay: true });
    expect((await s.http.get("/healthz")).json()).toMatchObject({ ok: true, sessions: 0 });
    expect(await upgrade(s.server.port, "/api/s/someSession", true)).toMatch(/^HTTP\/1\.1 101 /);
    expect(await upgrade(s.server.port, "/api/cli", true)).toMatch(/^HTTP\/1\.1 101 /);
    expect(await upgrade(s.server.port, "/api/v1/sessions")).toMatch(/^HTTP\/1\.1 404 /);
    const ownerSessions = await s.http.get("/api/v1/sessions", { "x-taiku-token": s.server.ownerToken });
    expect([ownerSessions.status, ownerSessions.json()]).toEqual([200, []]);
    const chat = await s.http.get("/api/v1/sessions/none/remote/chat", { "x-taiku-token": s.server.ownerToken });
    expect([chat.status, chat.text]).toEqual([404, "Session not found"]);
    await s.server.close();
  });
});

describe("session routes", () => {
  it("lists the caller's live sessions only", async () => {
    const s = await start();
    const alice = await signUp(s);
    s.relay.sessions.set("mine", { owner: alice.account.id, chat: [] });
    s.relay.sessions.set("theirs", { owner: "someone-else", chat: [] });
    const res = await s.http.get("/api/v1/sessions", { cookie: alice.cookie });
    expect(res.json().map((x: { sessionId: string }) => x.sessionId)).toEqual(["mine"]);
    const anon = await s.http.get("/api/v1/sessions");
    expect([anon.status, anon.text]).toEqual([401, "missing authentication"]);
  });

  it("serves remote chat to the owner's API key with the documented errors", async () => {
    const s = await start();
    const owner = { "x-taiku-token": s.server.ownerToken };
    const ownerId = (await s.http.get("/api/v1/auth/me", owner)).json().id;
    const chat: Array<[number, string, string]> = [[1, "alice", "hi"], [2, "bob", "yo"]];
    s.relay.sessions.set("demo", { owner: ownerId, chat });
    s.relay.sessions.set("other", { owner: "someone-else", chat: [] });

    const ok = await s.http.get("/api/v1/sessions/demo/remote/chat?client=3", owner);
    expect([ok.status, ok.json()]).toEqual([200, { result: chat }]);
    const viaBearer = await s.http.get("/api/v1/sessions/demo/remote/chat", { authorization: `Bearer ${s.server.ownerToken}` });
    expect(viaBearer.status).toBe(200);

    const expectText = async (path: string, headers: Record<string, string>, status: number, text: string) => {
      const res = await s.http.get(path, headers);
      expect([res.status, res.text, res.headers.get("content-type")]).toEqual([status, text, "text/plain; charset=utf-8"]);
    };
    await expectText("/api/v1/sessions/demo/remote/chat", {}, 401, "Unauthorized");
    await expectText("/api/v1/sessions/demo/remote/chat", { "x-taiku-token": "tk_" + "0".repeat(40) }, 401, "Unauthorized");
    // A browser cookie is not an API key.
    const alice = await signUp(s);
    await expectText("/api/v1/sessions/demo/remote/chat", { cookie: alice.cookie }, 401, "Unauthorized");
    await expectText("/api/v1/sessions/other/remote/chat", owner, 403, "Not the session owner");
    // §13.4: `Session not found` without a period, like the other remote routes.
    await expectText("/api/v1/sessions/missing/remote/chat", owner, 404, "Session not found");
  });

  it("answers unknown routes with a text 404", async () => {
    const s = await start();
    for (const [method, path] of [["GET", "/api/v1/nope"], ["POST", "/api/v1/nope"], ["DELETE", "/whatever"]] as const) {
      const res = await s.http.req(method, path);
      expect([res.status, res.text]).toEqual([404, "Not found"]);
    }
  });
});
