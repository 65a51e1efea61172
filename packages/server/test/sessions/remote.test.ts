import { describe, expect, it } from "vitest";
import { signUp } from "../app/helpers.js";
import type { TestClient } from "../relay/harness.js";
import { startEnv, type Env } from "./support.js";

/** A fake browser that answers every remoteCommand with `answer(msg)` (or an error). */
function answer(b: TestClient, fn: (m: { method: string; params: any; sourceShellId: number | null }) => unknown) {
  const seen: any[] = [];
  (async () => {
    for (;;) {
      const m = await b.next("remoteCommand", () => true, 60_000).catch(() => null);
      if (!m) return;
      seen.push(m);
      try {
        b.send({ t: "remoteResult", requestId: m.requestId, result: fn(m as never) });
      } catch (err) {
        b.send({ t: "remoteResult", requestId: m.requestId, error: (err as Error).message });
      }
    }
  })();
  return seen;
}

const post = (env: Env, body: unknown, key = env.s.server.ownerToken, id = env.host.sessionId) =>
  env.s.http.req("POST", `/api/v1/sessions/${id}/remote/command`, { body, headers: { "x-taiku-token": key } });

describe("remote commands (§13)", () => {
  it("forwards a command to the only admin browser and returns its result", async () => {
    const env = await startEnv();
    const { b } = await env.browser("admin", "alice");
    const seen = answer(b, (m) => (m.method === "getLayout" ? [{ key: 1, type: "shell", active: true, shellId: 1 }] : { echo: m.params }));
    const r = await post(env, { method: "getLayout" });
    expect([r.status, r.json()]).toEqual([200, { result: [{ key: 1, type: "shell", active: true, shellId: 1 }] }]);
    const s = await post(env, { method: "showToast", params: { message: "hi" } });
    expect(s.json()).toEqual({ result: { echo: { message: "hi" } } });
    expect(seen[0]).toMatchObject({ t: "remoteCommand", method: "getLayout", sourceShellId: null });
  });

  it("authenticates as the session owner with the documented texts", async () => {
    const env = await startEnv();
    const none = await env.s.http.post(`/api/v1/sessions/${env.host.sessionId}/remote/command`, { method: "getShells" });
    expect([none.status, none.text]).toEqual([401, "Unauthorized"]);
    const bad = await post(env, { method: "getShells" }, "tk_nope");
    expect([bad.status, bad.text]).toEqual([401, "Unauthorized"]);
    const { browser } = await signUp(env.s, "bob@example.com");
    const key = await env.s.http.req("POST", "/api/v1/auth/api-keys", { body: { label: "x" }, headers: browser });
    const other = await post(env, { method: "getShells" }, key.json().apiKey);
    expect([other.status, other.text]).toEqual([403, "Not the session owner"]);
    const missing = await post(env, { method: "getShells" }, env.s.server.ownerToken, "nosuchsession");
    expect([missing.status, missing.text]).toEqual([404, "Session not found"]);
    env.host.cli.send({ t: "close" });
    await new Promise((r) => setTimeout(r, 200));
    const closed = await post(env, { method: "getShells" });
    expect([closed.status, closed.text]).toEqual([410, "Session closed"]);
    const closedGet = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/remote/chat`, { "x-taiku-token": env.s.server.ownerToken });
    expect([closedGet.status, closedGet.text]).toEqual([410, "Session closed"]);
  });

  it("requires shellId for shell methods without a source shell, and passes handler errors on", async () => {
    const env = await startEnv();
    const { b } = await env.browser("admin");
    answer(b, (m) => {
      if (m.method === "closeShell") throw new Error("Shell not found: 9");
      return { ok: true, shell: m.params.shellId ?? m.sourceShellId };
    });
    const r = await post(env, { method: "runCommand", params: { command: "ls" } });
    expect([r.status, r.text]).toEqual([400, "shellId is required"]);
    const withSource = await post(env, { method: "runCommand", params: { command: "ls" }, source_shell_id: 2 });
    expect(withSource.json()).toEqual({ result: { ok: true, shell: 2 } });
    const failed = await post(env, { method: "closeShell", params: { shellId: 9 } });
    expect([failed.status, failed.text]).toEqual([400, "Shell not found: 9"]);
  });

  it("times out with 504 when no browser answers, and when no eligible browser is connected", async () => {
    const env = await startEnv({ limits: { remoteCommandMs: 300 } });
    const none = await post(env, { method: "getShells" });
    expect([none.status, none.text]).toEqual([504, "No active browser clients responded"]);
    await env.browser("admin"); // connected but never answers
    const silent = await post(env, { method: "getShells" });
    expect([silent.status, silent.text]).toEqual([504, "No active browser clients responded"]);
    // Non-admin browsers are not eligible (their remote control switch is off by default).
    const env2 = await startEnv({ limits: { remoteCommandMs: 300 } });
    await env2.browser("writer");
    expect((await post(env2, { method: "getShells" })).status).toBe(504);
  });

  it("targets clients: explicit id, owner of the source shell, else an error listing the clients", async () => {
    const env = await startEnv();
    const a = await env.browser("admin", "alice");
    const b = await env.browser("admin", "bob");
    answer(a.b, () => "from-alice");
    answer(b.b, () => "from-bob");
    const amb = await post(env, { method: "getShells" });
    expect(amb.status).toBe(400);
    expect(amb.text).toMatch(/^Multiple browser clients connected; choose one with --client <id>: \d+ \((alice|bob), Test Web\), \d+ \((alice|bob), Test Web\)$/);
    expect((await post(env, { method: "getShells", target_client_id: b.userId })).json()).toEqual({ result: "from-bob" });
    const unknown = await post(env, { method: "getShells", target_client_id: 999 });
    expect([unknown.status, unknown.text]).toEqual([404, "Client not found"]);
    // alice focuses shell 1: commands from inside shell 1 go to her.
    await env.host.cli.send({ t: "createdShell", shellId: 1, rows: 24, cols: 80, requestId: 0 });
    a.b.send({ t: "setFocus", shellId: 1 });
    await b.b.next("userDiff", (m) => m.userId === a.userId && m.user?.focus === 1);
    expect((await post(env, { method: "getShells", source_shell_id: 1 })).json()).toEqual({ result: "from-alice" });
    const get = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/remote/shells?client=${b.userId}`, { "x-taiku-token": env.s.server.ownerToken });
    expect(get.json()).toEqual({ result: "from-bob" });
    const badClient = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/remote/shells?client=-1`, { "x-taiku-token": env.s.server.ownerToken });
    expect(badClient.status).toBe(400);
  });

  it("picks the most recently active client when configured (remoteMostRecent)", async () => {
    const env = await startEnv({ limits: { remoteMostRecent: 1 } });
    const a = await env.browser("admin", "alice");
    const b = await env.browser("admin", "bob");
    answer(a.b, () => "from-alice");
    answer(b.b, () => "from-bob");
    b.b.send({ t: "setName", name: "bob2" });
    await a.b.next("userDiff", (m) => m.user?.name === "bob2");
    a.b.send({ t: "setName", name: "alice2" });
    await b.b.next("userDiff", (m) => m.user?.name === "alice2");
    expect((await post(env, { method: "getShells" })).json()).toEqual({ result: "from-alice" });
  });

  it("serves the GET shortcuts with the remote method of §13.5 and 502 Command failed on handler errors", async () => {
    const env = await startEnv();
    const { b } = await env.browser("admin");
    const seen = answer(b, (m) => {
      if (m.method === "getAgents") throw new Error("boom");
      return m.method;
    });
    const key = { "x-taiku-token": env.s.server.ownerToken };
    for (const [route, method] of [["shells", "getShells"], ["users", "getUsers"], ["workspaces", "getWorkspaces"], ["layout", "getLayoutTree"]]) {
      const r = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/remote/${route}`, key);
      expect(r.json()).toEqual({ result: method });
    }
    const agents = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/remote/agents`, key);
    expect([agents.status, agents.text]).toEqual([502, "Command failed"]);
    expect(seen.map((m) => m.method)).toEqual(["getShells", "getUsers", "getWorkspaces", "getLayoutTree", "getAgents"]);
    // Chat answers from the relay's ring (no browser round trip), same shape as getChat.
    b.send({ t: "chat", message: "hello there" });
    await b.next("chat");
    const chat = await env.s.http.get(`/api/v1/sessions/${env.host.sessionId}/remote/chat`, key);
    expect(chat.json()).toEqual({ result: [[expect.any(Number), "Guest 1", "hello there"]] });
  });
});
