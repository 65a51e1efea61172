/** Shell aliases on the CLI side: the shim directory, the control socket, `taiku alias-call`, the sealed relay. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { aad, deriveSessionKeys, generateLinkSecrets, openFrame, sealFrame } from "@taiku/crypto";
import { ALIAS_NAME_RE, ALIAS_NO_RESPONSE, decodeCbor, encodeCbor, type CliUp } from "@taiku/protocol";
import { AliasShims, shimScript, TOKEN_FILE, type ControlAnswer } from "../src/alias-shims.js";
import { ShareAliases } from "../src/alias-relay.js";
import { runAliasCall } from "../src/alias-call.js";
import { capturedIo } from "./helpers/captured-io.js";
import { startFakeRelay } from "./helpers/fake-relay.js";
import { startShare } from "../src/share.js";
import type { PtyLike, SpawnPty } from "../src/shells.js";

const NO_RESPONSE = ALIAS_NO_RESPONSE.message;

/** Names with a shim in a directory. */
const shimNames = (dir: string): string[] => readdirSync(dir).filter((f) => ALIAS_NAME_RE.test(f)).sort();

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function binDir(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "taiku-test-bin-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const n of names) writeFileSync(join(dir, n), "#!/bin/sh\n", { mode: 0o755 });
  return dir;
}

function shims(call: (r: { name: string; args: string[]; cwd: string; shellId: number }) => Promise<ControlAnswer> = async () => ({ timeout: true })) {
  const warnings: string[] = [];
  const s = new AliasShims({ command: ["/usr/bin/node", "/opt/it's/taiku.js"], basePath: binDir("ls"), call, warn: (m) => void warnings.push(m) });
  cleanup.push(() => s.close());
  return { s, warnings };
}

/** Raw control-socket exchange: one JSON line each way. */
function ask(socketPath: string, line: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(line));
    sock.on("data", (d: string) => (buf += d));
    sock.on("end", () => resolve(JSON.parse(buf)));
    sock.on("error", reject);
  });
}

describe("AliasShims", () => {
  it("makes a private directory first on PATH, with a 0600 token", () => {
    const { s } = shims();
    expect(statSync(s.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(s.dir, TOKEN_FILE)).mode & 0o777).toBe(0o600);
    const env = s.env();
    expect(env.PATH!.split(":")[0]).toBe(s.dir);
    expect(env).toMatchObject({ TAIKU_ALIAS_DIR: s.dir, TAIKU_CONTROL_SOCKET: join(s.dir, "control.sock") });
  });

  it("writes one executable shim per valid name, refuses invalid ones and PATH shadowing, removes dropped names", () => {
    const { s, warnings } = shims();
    expect(s.setNames(["music", "Bad", "ls", "-x", "play", "music"])).toEqual(["music", "play"]);
    expect(shimNames(s.dir)).toEqual(["music", "play"]);
    expect(statSync(join(s.dir, "music")).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(s.dir, "music"), "utf8")).toBe(shimScript(["/usr/bin/node", "/opt/it's/taiku.js"], "music"));
    expect(warnings).toEqual([
      'ignoring invalid alias name "Bad"',
      'alias "ls" not installed: it would shadow a command on PATH',
      'ignoring invalid alias name "-x"',
    ]);
    s.setNames(["music", "ls"]); // warned once per name
    expect(warnings).toHaveLength(3);
    expect(shimNames(s.dir)).toEqual(["music"]);
    expect(s.setNames([])).toEqual([]);
    expect(shimNames(s.dir)).toEqual([]);
  });

  it("quotes the command in the shim", () => {
    expect(shimScript(["/usr/bin/node", "/opt/it's/taiku.js"], "music")).toContain(
      `exec '/usr/bin/node' '/opt/it'\\''s/taiku.js' alias-call 'music' -- "$@"`,
    );
  });

  it("removes the directory on close", () => {
    const { s } = shims();
    s.setNames(["music"]);
    s.close();
    expect(existsSync(s.dir)).toBe(false);
    expect(s.setNames(["music"])).toEqual([]);
  });

  it("serves the control socket only with the token and a valid request", async () => {
    const seen: unknown[] = [];
    const { s } = shims(async (r) => (seen.push(r), { stdout: "out", stderr: "", exitCode: 5 }));
    await s.listen();
    expect(statSync(s.socketPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(join(s.dir, TOKEN_FILE), "utf8");
    const req = { token, name: "music", args: ["a b"], cwd: "/w", shellId: 2 };
    expect(await ask(s.socketPath, `${JSON.stringify(req)}\n`)).toEqual({ stdout: "out", stderr: "", exitCode: 5 });
    expect(seen).toEqual([{ name: "music", args: ["a b"], cwd: "/w", shellId: 2 }]);
    expect(await ask(s.socketPath, `${JSON.stringify({ ...req, token: "x".repeat(64) })}\n`)).toEqual({ error: "bad token" });
    expect(await ask(s.socketPath, `${JSON.stringify({ ...req, name: "../x" })}\n`)).toEqual({ error: "malformed request" });
    expect(await ask(s.socketPath, "not json\n")).toEqual({ error: "malformed request" });
    expect(seen).toHaveLength(1);
  });
});

describe("taiku alias-call", () => {
  async function listening(answer: ControlAnswer | null) {
    const { s } = shims(() => (answer ? Promise.resolve(answer) : new Promise(() => {})));
    await s.listen();
    return s;
  }
  const env = (s: AliasShims) => ({ TAIKU_CONTROL_SOCKET: s.socketPath, TAIKU_SHELL_ID: "1" });

  it("prints the answer and exits with its code", async () => {
    const s = await listening({ stdout: "hello\n", stderr: "careful\n", exitCode: 3 });
    const c = capturedIo({ env: env(s), cwd: "/tmp" });
    expect(await runAliasCall(["music", "--", "x"], c.io)).toBe(3);
    expect([c.out(), c.err()]).toEqual(["hello\n", "careful\n"]);
  });

  it("prints the spec's text and exits 124 on timeout, or when nothing answers in time", async () => {
    const s = await listening({ timeout: true });
    const c = capturedIo({ env: env(s) });
    expect(await runAliasCall(["music", "--"], c.io)).toBe(124);
    expect(c.err()).toBe(`${NO_RESPONSE}\n`);
    const silent = await listening(null);
    const c2 = capturedIo({ env: env(silent) });
    expect(await runAliasCall(["music", "--"], c2.io, 100)).toBe(124);
    expect(c2.err()).toBe("taiku: no plugin client responded\n");
  });

  it("refuses bad usage and runs only inside a taiku shell", async () => {
    const c = capturedIo({ env: {} });
    expect(await runAliasCall(["Music"], c.io)).toBe(2);
    expect(await runAliasCall(["music", "--"], c.io)).toBe(2);
    expect(c.err()).toContain("inside a taiku shell");
  });
});

describe("ShareAliases", () => {
  it("seals the call, opens the client's answer, and times out without one", async () => {
    const keys = await deriveSessionKeys("sess1", generateLinkSecrets(), { memorySize: 64 });
    const sent: CliUp[] = [];
    const dir = mkdtempSync(join(tmpdir(), "taiku-test-path-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "bin"));
    const a = await ShareAliases.start({
      command: ["node", "taiku.js"], basePath: join(dir, "bin"), sessionId: () => "sess1", key: () => keys.enc,
      send: (m) => (sent.push(m), true), shellIds: () => [1], answerMs: 200, warn: () => {},
    });
    cleanup.push(() => a.close());
    a.onMessage({ t: "aliases", names: ["music"] });
    expect(shimNames(a.shims.dir)).toEqual(["music"]);

    const answer = a.call({ name: "music", args: ["x"], cwd: "/w", shellId: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const call = sent[0] as Extract<CliUp, { t: "aliasCall" }>;
    expect(call).toMatchObject({ t: "aliasCall", invocationId: 1, shellId: 1, name: "music" });
    const plain = await openFrame(keys.enc, call.frame, aad.alias("sess1", 1, 1));
    expect(decodeCbor(plain!)).toEqual({ name: "music", args: ["x"], cwd: "/w" });
    const result = { stdout: "ok", stderr: "", exitCode: 7 };
    // A result sealed for another invocation fails authentication: never printed as the answer.
    const forged = await sealFrame(keys.enc, encodeCbor(result), aad.aliasResult("sess1", 1, 2));
    a.onMessage({ t: "aliasResult", invocationId: 1, frame: forged, timeout: false });
    expect(await answer).toMatchObject({ exitCode: 1 });

    const second = a.call({ name: "music", args: [], cwd: "/", shellId: 1 });
    await new Promise((r) => setTimeout(r, 20));
    a.onMessage({ t: "aliasResult", invocationId: 2, frame: await sealFrame(keys.enc, encodeCbor(result), aad.aliasResult("sess1", 1, 2)), timeout: false });
    expect(await second).toEqual(result);

    expect(await a.call({ name: "music", args: [], cwd: "/", shellId: 1 })).toEqual({ timeout: true }); // nobody answers in 200 ms
    await expect(a.call({ name: "music", args: [], cwd: "/", shellId: 9 })).rejects.toThrow(/not a shell of this session/);
  });
});

describe("alias directory cleanup", () => {
  const idleSpawn: SpawnPty = (): PtyLike => ({
    pid: 1, onData: () => ({ dispose() {} }), onExit: () => ({ dispose() {} }),
    write() {}, resize() {}, pause() {}, resume() {}, kill() {},
  });

  it("removes the directory again when the control socket cannot listen", async () => {
    const dirs: string[] = [];
    const listen = vi.spyOn(AliasShims.prototype, "listen").mockImplementationOnce(function (this: AliasShims) {
      dirs.push(this.dir);
      return Promise.reject(new Error("listen EADDRINUSE"));
    });
    cleanup.push(() => listen.mockRestore());
    const started = ShareAliases.start({
      command: ["node", "taiku.js"], basePath: "", sessionId: () => "s", key: () => { throw new Error("unused"); },
      send: () => true, shellIds: () => [], warn: () => {},
    });
    await expect(started).rejects.toThrow("EADDRINUSE");
    expect(dirs).toHaveLength(1);
    expect(existsSync(dirs[0]!)).toBe(false);
  });

  it("removes the directory when the session ends while its aliases start", async () => {
    const relay = await startFakeRelay();
    cleanup.push(() => void relay.close());
    const dirs: string[] = [];
    const original = AliasShims.prototype.listen;
    const listen = vi.spyOn(AliasShims.prototype, "listen").mockImplementationOnce(async function (this: AliasShims) {
      dirs.push(this.dir);
      // The server closes the session before the control socket is up.
      relay.sendToCli([...relay.sessions.keys()][0]!, { t: "closed", reason: "closed by the server" });
      await new Promise((r) => setTimeout(r, 200));
      return original.call(this);
    });
    cleanup.push(() => listen.mockRestore());
    const share = startShare({ server: relay.url, shell: "/bin/sh", dir: process.cwd(), env: { PATH: process.env.PATH ?? "" }, spawn: idleSpawn });
    await expect(share).rejects.toThrow("closed by the server");
    expect(dirs).toHaveLength(1);
    expect(existsSync(dirs[0]!)).toBe(false);
  });
});

describe("alias calls against a real taiku server", () => {
  it("refuses arguments that would not fit one sealed frame of the link, at once, instead of waiting for the deadline", async () => {
    const home = mkdtempSync(join(tmpdir(), "taiku-alias-home-"));
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    const envs: Array<Record<string, string>> = [];
    const spawn: SpawnPty = (_file, _args, opts): PtyLike => {
      envs.push(opts.env);
      return { pid: 1, onData: () => ({ dispose() {} }), onExit: () => ({ dispose() {} }), write() {}, resize() {}, pause() {}, resume() {}, kill() {} };
    };
    const warnings: string[] = [];
    const share = await startShare({
      shell: "/bin/sh", env: { PATH: process.env.PATH ?? "" }, spawn, dir: process.cwd(), embedded: { home, port: 0 }, aliases: { answerMs: 3000 },
    });
    cleanup.push(() => void share.close());
    share.session.on("warn", (m: string) => warnings.push(m));
    const env = envs[0]!;
    // Small arguments reach the server, which answers at once: no plugin client runs the alias here.
    const small = capturedIo({ env, cwd: "/tmp" });
    expect(await runAliasCall(["music", "--", "x"], small.io)).toBe(124);
    // The server refuses an `aliasCall` whose sealed frame is over 64 KiB: the CLI must say so, not wait.
    const big = capturedIo({ env, cwd: "/tmp" });
    const started = Date.now();
    expect(await runAliasCall(["music", "--", "a".repeat(40 * 1024), "b".repeat(40 * 1024)], big.io)).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(big.err()).toMatch(/too large/);
    expect(warnings).toEqual([]);
  }, 30_000);
});
