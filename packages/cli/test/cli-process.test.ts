/** The built binary as a child process without a TTY: output, signals, exit status, memory. */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@taiku/server";
import { bin, ensureBundle, rssOf, runTaiku, type CliChild } from "./helpers/cli-process.js";
import { joinAsViewer, type TestViewer } from "./helpers/viewer.js";
import { startTcpProxy } from "./helpers/tcp-proxy.js";
import { useCleanups } from "./helpers/cleanups.js";

const cleanups = useCleanups();
beforeAll(() => ensureBundle(), 120_000);

const tmp = (prefix: string) => cleanups.tempDir(prefix);
async function server(): Promise<RunningServer> {
  const s = await startServer({ home: await tmp("taiku-srv-"), host: "127.0.0.1", port: 0, logLevel: "silent" });
  cleanups.push(() => s.close());
  return s;
}
function child(args: string[], env: NodeJS.ProcessEnv = {}): CliChild {
  const c = runTaiku(args, { PS1: "$ ", TAIKU_CONFIG_DIR: "/nonexistent-taiku-config", ...env });
  cleanups.push(() => {
    if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
  });
  return c;
}
function viewerCleanup(v: TestViewer): TestViewer {
  cleanups.push(() => v.close());
  return v;
}

describe("taiku binary", () => {
  it("prints its version and usage", async () => {
    const v = child(["--version"]);
    expect((await v.exit).code).toBe(0);
    expect(v.stdout()).toBe("taiku 0.1.0\n");
    const bad = child(["--no-such-flag"]);
    expect((await bad.exit).code).toBe(2);
    expect(bad.stderr()).toContain("Run 'taiku --help'");
  });

  it("shares with --server and --token, relays a shell, and exits 0 on SIGINT", async () => {
    const srv = await server();
    const dir = await tmp("taiku-dir-");
    const c = child(["--server", srv.url, "--token", srv.ownerToken, "--shell", "/bin/sh", "--dir", dir]);
    await c.waitForLine(/Ctrl-C to exit/);
    const lines = c.stdout().split("\n");
    expect(lines[0]).toMatch(/^session: http:\/\/\S+\/s\/\S+#[0-9A-Za-z]{14}$/);
    expect(lines[1]).toMatch(/^admin: \S+\?signin=\S+#\S+,\S+,\S+$/);
    expect(lines[2]).toBe("1 terminal window (Up/Down to switch)");
    const viewer = viewerCleanup(await joinAsViewer(lines[0]!.slice("session: ".length), { name: "alice" }));
    await c.waitForLine(/\[connect\] alice joined/);
    viewer.subscribe(1);
    const marker = `hello-${randomBytes(4).toString("hex")}`;
    await viewer.type(1, `echo ${marker} in $(pwd)\n`);
    await viewer.waitFor(() => viewer.text(1).includes(`${marker} in ${dir}`), "output from the session dir");
    c.proc.kill("SIGINT");
    expect((await c.exit).code).toBe(0);
    expect(c.stdout()).toContain("session ended: host pressed Ctrl-C");
    await viewer.waitFor(() => viewer.messages.some((m) => m.t === "sessionClosed"), "sessionClosed at the viewer");
  });

  it("exits 3 when the server refuses the token, 1 when it cannot be reached", async () => {
    const srv = await server();
    const bad = child(["--server", srv.url, "--token", "tk_wrong0000000000000000000000000000000000", "--shell", "/bin/sh"]);
    expect((await bad.exit).code).toBe(3);
    expect(bad.stderr()).toMatch(/taiku: .*(refused|Unauthorized)/);
    const down = child(["--server", "http://127.0.0.1:1", "--shell", "/bin/sh"]);
    expect((await down.exit).code).toBe(1);
    expect(down.stderr()).toContain("cannot reach http://127.0.0.1:1");
  });

  it("prints read-only, write and admin links with --enable-readers and exits 0 on SIGTERM", async () => {
    const srv = await server();
    const c = child(["--server", srv.url, "--enable-readers", "--shell", "/bin/sh", "--tunnel", "3000"]);
    await c.waitForLine(/\n {2}:3000 {2}\S+\n/);
    const lines = c.stdout().split("\n");
    expect(lines[0]).toMatch(/^read-only: \S+#[0-9A-Za-z]+$/);
    expect(lines[1]).toMatch(/^write: \S+#[0-9A-Za-z]+,[0-9A-Za-z]+$/);
    expect(lines[2]).toMatch(/^admin: \S+#[0-9A-Za-z]+,[0-9A-Za-z]+,[0-9A-Za-z]+$/); // anonymous: no sign-in code
    // The `Tunnels:` block (spec §14.5) follows the banner.
    const [base, rest] = lines[0]!.slice("read-only: ".length).split("/s/");
    expect(lines.slice(5, 7)).toEqual(["Tunnels:", `  :3000  ${base}/t/${rest!.split("#")[0]}/p/3000/`]);
    c.proc.kill("SIGTERM");
    expect((await c.exit).code).toBe(0);
  });

  it("starts the embedded server from TAIKU_HOME when no server is configured", async () => {
    const home = await tmp("taiku-home-");
    const c = child(["--shell", "/bin/sh", "--port", "0"], { TAIKU_HOME: home, TAIKU_SERVER: "", TAIKU_TOKEN: "" });
    const [, link] = await c.waitForLine(/^session: (\S+)$/m);
    await c.waitForLine(/Ctrl-C to exit/);
    expect(c.stdout()).toMatch(/^admin: \S+\?signin=/m);
    const viewer = viewerCleanup(await joinAsViewer(link!));
    viewer.subscribe(1);
    await viewer.type(1, "echo embedded-$((20+22))\n");
    await viewer.waitFor(() => viewer.text(1).includes("embedded-42"), "output via the embedded server");
    await viewer.type(1, "exit\n"); // the last shell exiting ends the session
    expect((await c.exit).code).toBe(0);
    expect(c.stdout()).toContain("session ended: the last shell exited");
  });

  it("with a TTY: the local terminal is a control view; Up/Down preview shells, Ctrl-C ends the session", async () => {
    const srv = await server();
    const pty = await import("node-pty");
    const term = pty.spawn(process.execPath, [bin, "--server", srv.url, "--shell", "/bin/sh"], {
      cols: 100, rows: 30, cwd: process.cwd(), env: { ...process.env, PS1: "$ ", TAIKU_CONFIG_DIR: "/nonexistent-taiku-config" } as Record<string, string>,
    });
    let screen = "";
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)));
    cleanups.push(() => {
      try {
        term.kill("SIGKILL");
      } catch {
        // already gone
      }
    });
    const until = async (re: RegExp, what: string) => {
      for (let i = 0; i < 500 && !re.test(screen); i++) await new Promise((r) => setTimeout(r, 20));
      if (!re.test(screen)) throw new Error(`no ${what} on the screen:\n${screen}`);
    };
    await until(/Ctrl-C to exit/, "banner");
    const link = /session: (\S+)/.exec(screen)![1]!;
    const viewer = viewerCleanup(await joinAsViewer(link));
    viewer.subscribe(1);
    await viewer.type(1, "echo preview-$((40+2))\n");
    await viewer.waitFor(() => viewer.text(1).includes("preview-42"), "output");
    term.write("\x1b[B");
    await until(/--- shell 1 \(1 of 1\) ---[\s\S]*preview-42/, "the preview of shell 1");
    term.write("\x03");
    expect(await exited).toBe(0);
    expect(screen).toContain("session ended: host pressed Ctrl-C");
  });

  it("keeps its memory bounded while the link is backed up during a large cat", async () => {
    const srv = await server();
    const proxy = await startTcpProxy(srv.port);
    cleanups.push(() => proxy.close());
    const c = child(["--server", proxy.url, "--token", srv.ownerToken, "--shell", "/bin/sh"]);
    const [, link] = await c.waitForLine(/^session: (\S+)$/m);
    await c.waitForLine(/Ctrl-C to exit/);
    const viewer = viewerCleanup(await joinAsViewer(link!));
    await new Promise((r) => setTimeout(r, 300));
    const rss0 = rssOf(c.proc.pid!);
    proxy.holdClients(true);
    const total = 96 * 1024 * 1024;
    await viewer.type(1, `head -c ${total} /dev/zero\n`);
    let peak = rss0;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      peak = Math.max(peak, rssOf(c.proc.pid!));
    }
    console.log(`cli rss: before ${(rss0 / 1048576).toFixed(0)} MiB, peak while held ${(peak / 1048576).toFixed(0)} MiB (cat of ${total >> 20} MiB pending)`);
    // Without flow control the whole cat would pile up in the CLI (≥ 96 MiB).
    expect(peak - rss0).toBeLessThan(48 * 1024 * 1024);
    proxy.holdClients(false);
    c.proc.kill("SIGTERM");
    expect((await c.exit).code).toBe(0);
  }, 60_000);
});
