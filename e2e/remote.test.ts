/**
 * Remote commands and the CLI-backed filesystem end to end (issue "Plugin platform", items 7 and 8):
 * a real `taiku serve`, a real `taiku --token <api key>` share of a prepared directory, and a headless
 * admin viewer (the web app's session client) that answers remote commands with the web app's own
 * handlers. `taiku func` runs as the real binary; the filesystem routes use the web app's
 * session-scoped HTTP helper.
 */
import { mkdirSync, symlinkSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import { startProcess, tempHome } from "./harness/processes.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { openViewer, parseLink } from "./harness/viewer.js";
import type { SessionClient } from "../packages/web/src/common/index.js";
import { answerRemoteCommands } from "../packages/web/src/common/remote-commands.js";
import { sessionFetch, sessionPath, SessionHttpError } from "../packages/web/src/common/session-http.js";

let server: ServerProc | undefined;
let share: ShareProc | undefined;
let viewer: SessionClient | undefined;
afterAll(async () => {
  viewer?.close();
  await share?.stop();
  await server?.stop();
});

async function apiKeyFor(srv: ServerProc): Promise<string> {
  const signup = await fetch(`${srv.url}/api/v1/auth/signup`, {
    method: "POST", headers: { "content-type": "application/json", origin: srv.url },
    body: JSON.stringify({ name: "Alice", email: "alice@example.com", password: "correct horse battery" }),
  });
  expect(signup.status).toBe(201);
  const cookie = /taiku_session=[^;]*/.exec(signup.headers.get("set-cookie") ?? "")![0];
  const key = await fetch(`${srv.url}/api/v1/auth/api-keys`, {
    method: "POST", headers: { "content-type": "application/json", origin: srv.url, cookie }, body: JSON.stringify({ label: "e2e" }),
  });
  expect(key.status).toBeLessThan(300);
  return ((await key.json()) as { apiKey: string }).apiKey;
}

async function func(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const p = startProcess(["func", ...args], env);
  const code = await p.exited;
  return { code, out: p.output() };
}

it("taiku func and the CLI filesystem work through a real server, CLI and viewer", async () => {
  server = await startServe();
  const apiKey = await apiKeyFor(server);
  const dir = tempHome("taiku-remote-dir-");
  writeFileSync(join(dir, "a.txt"), "hello from the session dir\n");
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "sub", "b.txt"), "bee");
  const blob = randomBytes(700_000);
  writeFileSync(join(dir, "blob.bin"), blob);
  symlinkSync("/etc", join(dir, "etc-link"));
  share = await startShare(server, ["--token", apiKey, "--dir", dir]);
  expect(share.links.admin).toBeDefined();
  viewer = await openViewer(share.links.admin!, server.url);
  answerRemoteCommands(viewer);
  await viewer.waitFor((s) => s.shells.length > 0 && s.role === "admin");
  const { sessionId } = parseLink(share.links.admin!);
  const common = ["--server", server.url, "--token", apiKey, "--session", sessionId, "--json"];

  // ---- remote commands through the real binary, answered by the viewer's state
  viewer.chat("hello from the viewer");
  await viewer.waitFor((s) => s.chat.some((m) => m.message === "hello from the viewer"));
  const shells = await func(["shells", ...common]);
  expect(shells.code).toBe(0);
  const shellList = JSON.parse(shells.out) as Array<{ id: number; rows: number; cols: number }>;
  expect(shellList.map((s) => s.id)).toEqual(viewer.state.shells.map((s) => s.id));
  const users = await func(["users", ...common]);
  expect(users.code).toBe(0);
  expect((JSON.parse(users.out) as Array<{ name: string }>).map((u) => u.name)).toContain("e2e-viewer");
  const chat = await func(["chat", ...common]);
  expect(JSON.parse(chat.out)).toContainEqual([viewer.state.userId, "e2e-viewer", "hello from the viewer"]);
  // An action: the viewer types into shell 1 for us.
  const marker = `m${randomBytes(4).toString("hex")}`;
  const run = await func(["run", `echo ${marker} > marker.txt`, "--shell", String(shellList[0]!.id), ...common]);
  expect([run.code, run.out]).toEqual([0, '{"ok":true}']);
  const deadline = Date.now() + 15_000;
  while (!existsSync(join(dir, "marker.txt")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(readFileSync(join(dir, "marker.txt"), "utf8").trim()).toBe(marker);
  // Auth and errors of the binary.
  const wrongKey = await func(["shells", "--server", server.url, "--token", "tk_wrong", "--session", sessionId]);
  expect(wrongKey.code).toBe(3);
  expect(wrongKey.out).toContain("Unauthorized");
  const noShell = await func(["run", "ls", ...common]);
  expect([noShell.code, noShell.out]).toEqual([1, "taiku: shellId is required"]);

  // ---- CLI-backed filesystem with session-scoped HTTP auth (the web app's helper)
  const http = { baseUrl: server.url };
  const ls = (await (await sessionFetch(viewer, sessionPath(sessionId, "/ls?path=."), {}, http)).json()) as Array<{ name: string; is_dir: boolean; size: number }>;
  expect(ls).toContainEqual({ name: "a.txt", is_dir: false, size: 27 });
  expect(ls).toContainEqual({ name: "sub", is_dir: true, size: 0 });
  const file = await (await sessionFetch(viewer, sessionPath(sessionId, "/file?path=sub/b.txt"), {}, http)).json();
  expect(file).toEqual({ path: "sub/b.txt", content: "bee", encoding: "utf8", size: 3, truncated: false });
  const stream = await (await sessionFetch(viewer, sessionPath(sessionId, "/file/stream?path=blob.bin"), {}, http)).text();
  const [url, size] = stream.split("\t");
  expect(size).toBe(String(blob.length));
  const download = await fetch(server.url + url);
  expect(download.headers.get("content-type")).toBe("application/octet-stream");
  expect(Buffer.from(await download.arrayBuffer()).equals(blob)).toBe(true);
  const ranged = await fetch(server.url + url, { headers: { range: "bytes=1000-1999" } });
  expect(ranged.status).toBe(206);
  expect(Buffer.from(await ranged.arrayBuffer()).equals(blob.subarray(1000, 2000))).toBe(true);
  // Escapes are refused with the documented text, and nothing outside leaks.
  for (const p of ["../../../etc/passwd", "/etc/passwd", "etc-link/passwd"]) {
    const err = await sessionFetch(viewer, sessionPath(sessionId, `/file?path=${encodeURIComponent(p)}`), {}, http).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SessionHttpError);
    expect([(err as SessionHttpError).status, (err as SessionHttpError).message]).toEqual([404, "No such file or directory"]);
  }
  const escLs = await sessionFetch(viewer, sessionPath(sessionId, "/ls?path=etc-link"), {}, http).then(() => null, (e: unknown) => e);
  expect((escLs as SessionHttpError).status).toBe(502);
  // Without the session headers the routes refuse.
  const bare = await fetch(`${server.url}${sessionPath(sessionId, "/ls")}`);
  expect([bare.status, await bare.text()]).toEqual([401, "missing session auth challenge"]);
});
