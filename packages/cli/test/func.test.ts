import { capturedIo } from "./helpers/captured-io.js";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";
import { saveCredentials } from "../src/credentials.js";
import { parseFuncArgs } from "../src/func.js";

interface Call { url: string; method: string; headers: Record<string, string>; body: unknown }

function fakeIo(env: NodeJS.ProcessEnv, answer: (c: Call) => { status: number; body: string }) {
  const calls: Call[] = [];
  const fetch = (async (url: string, init: RequestInit = {}) => {
    const c: Call = {
      url, method: init.method ?? "GET", headers: { ...(init.headers as Record<string, string> | undefined) },
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(c);
    const a = answer(c);
    return new Response(a.body, { status: a.status, headers: { "content-type": a.status < 300 ? "application/json" : "text/plain" } });
  }) as unknown as typeof globalThis.fetch;
  const { io, out, err } = capturedIo({ env, fetch });
  return { io, calls, out, err };
}

const ENV = { TAIKU_SERVER: "http://srv.test", TAIKU_TOKEN: "tk_x", TAIKU_SESSION_ID: "sessABC", TAIKU_CONFIG_DIR: "/nonexistent-config" };

describe("taiku func argument parsing", () => {
  it("maps subcommands to remote methods (§13.6)", () => {
    const p = (...argv: string[]) => {
      const a = parseFuncArgs(argv, ENV);
      if (a === "help") throw new Error("help");
      return a.request;
    };
    expect(p("get-layout")).toEqual({ method: "getLayout", params: {} });
    expect(p("split-h")).toEqual({ method: "splitShell", params: { direction: "horizontal" } });
    expect(p("split-v")).toEqual({ method: "splitShell", params: { direction: "vertical" } });
    expect(p("run", "ls -la")).toEqual({ method: "runCommand", params: { command: "ls -la" } });
    expect(p("run", "echo", "hi", "--shell", "3")).toEqual({ method: "runCommand", params: { command: "echo hi", shellId: 3 } });
    expect(p("write", "2", "abc")).toEqual({ method: "writeToShell", params: { shellId: 2, data: "abc" } });
    expect(p("output", "2", "--chunks", "5")).toEqual({ method: "getShellOutput", params: { shellId: 2, chunks: 5 } });
    expect(p("shells")).toEqual({ method: "getShells", params: {} });
    expect(p("list-users")).toEqual({ method: "getUsers", params: {} });
    expect(p("say", "hello", "world")).toEqual({ method: "sendChatMessage", params: { message: "hello world" } });
    expect(p("chat")).toEqual({ method: null, params: {} });
    expect(p("open", "browser", "--url", "https://x.test")).toEqual({ method: "openTile", params: { type: "browser", url: "https://x.test" } });
    expect(p("switch-workspace", "1")).toEqual({ method: "switchWorkspace", params: { index: 1 } });
    expect(p("call", "getTunnels", '{"a":1}')).toEqual({ method: "getTunnels", params: { a: 1 } });
  });

  it("takes defaults from the environment and routes from inside a taiku shell", () => {
    const a = parseFuncArgs(["shells"], { ...ENV, TAIKU_SHELL_ID: "4" });
    expect(a).toMatchObject({ session: "sessABC", server: "http://srv.test", token: "tk_x", sourceShellId: 4, json: false });
    // Another session than the shell's: no auto-routing.
    const b = parseFuncArgs(["shells", "--session", "otherSess", "--client", "7", "--json"], { ...ENV, TAIKU_SHELL_ID: "4" });
    expect(b).toMatchObject({ session: "otherSess", client: 7, json: true });
    expect(b).not.toHaveProperty("sourceShellId");
  });

  it("rejects bad usage with exit status 2", () => {
    for (const argv of [["nope"], ["write", "x", "d"], ["call", "m", "[1]"], ["call", "m", "{bad"], ["shells", "--client", "-1"], ["output"]]) {
      expect(() => parseFuncArgs(argv, ENV), argv.join(" ")).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
    expect(() => parseFuncArgs(["shells"], { TAIKU_TOKEN: "x" })).toThrow(/no session/);
    expect(parseFuncArgs([], ENV)).toBe("help");
  });
});

describe("taiku func requests", () => {
  it("POSTs the command with the API key, client and source shell, and prints pretty JSON", async () => {
    const f = fakeIo({ ...ENV, TAIKU_SHELL_ID: "2" }, () => ({ status: 200, body: JSON.stringify({ result: [{ id: 1, rows: 24, cols: 80 }] }) }));
    expect(await runCli(["func", "shells", "--client", "5"], f.io)).toBe(0);
    expect(f.calls).toEqual([{
      url: "http://srv.test/api/v1/sessions/sessABC/remote/command", method: "POST",
      headers: { "x-taiku-token": "tk_x", "content-type": "application/json" },
      body: { method: "getShells", params: {}, target_client_id: 5, source_shell_id: 2 },
    }]);
    expect(f.out()).toBe(`${JSON.stringify([{ id: 1, rows: 24, cols: 80 }], null, 2)}\n`);
    const g = fakeIo(ENV, () => ({ status: 200, body: '{"result":{"ok":true}}' }));
    expect(await runCli(["func", "say", "hi", "--json"], g.io)).toBe(0);
    expect(g.out()).toBe('{"ok":true}\n');
  });

  it("reads chat from the GET route", async () => {
    const f = fakeIo(ENV, () => ({ status: 200, body: '{"result":[[1,"a","hi"]]}' }));
    expect(await runCli(["func", "chat", "--json"], f.io)).toBe(0);
    expect(f.calls[0]).toMatchObject({ url: "http://srv.test/api/v1/sessions/sessABC/remote/chat", method: "GET" });
    expect(f.out()).toBe('[[1,"a","hi"]]\n');
  });

  it("prints server errors to stderr with the §14.6 exit status", async () => {
    const cases: Array<[number, string, number]> = [
      [401, "Unauthorized", 3], [403, "Not the session owner", 3], [404, "Session not found", 4], [410, "Session closed", 4],
      [504, "No active browser clients responded", 1], [400, "shellId is required", 1],
    ];
    for (const [status, text, exit] of cases) {
      const f = fakeIo(ENV, () => ({ status, body: text }));
      expect(await runCli(["func", "run", "ls"], f.io)).toBe(exit);
      expect(f.err()).toBe(`taiku: ${text}\n`);
      expect(f.out()).toBe("");
    }
  });

  it("uses the saved login only for its own server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "taiku-func-"));
    await saveCredentials(dir, { server: "http://saved.test", apiKey: "tk_saved", userId: "u", userName: "U", deviceId: "d", deviceToken: "t" });
    const f = fakeIo({ TAIKU_CONFIG_DIR: dir, TAIKU_SESSION_ID: "sessABC" }, () => ({ status: 200, body: '{"result":1}' }));
    expect(await runCli(["func", "shells"], f.io)).toBe(0);
    expect(f.calls[0]).toMatchObject({ url: "http://saved.test/api/v1/sessions/sessABC/remote/command", headers: { "x-taiku-token": "tk_saved" } });
    const g = fakeIo({ TAIKU_CONFIG_DIR: dir, TAIKU_SESSION_ID: "sessABC", TAIKU_SERVER: "http://other.test" }, () => ({ status: 200, body: "{}" }));
    expect(await runCli(["func", "shells"], g.io)).toBe(3);
    expect(g.err()).toMatch(/no API key/);
    expect(g.calls).toEqual([]);
  });
});
