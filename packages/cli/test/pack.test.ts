/**
 * Packaging (issue "taiku core", item 2): `npm pack` of the bundled CLI lists the binary, the
 * library bundle and the web app, carries no workspace dependency, and the unpacked package runs:
 * `taiku` starts its embedded server and serves the web app from `web/` inside the package.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliDir, ensureBundle, runTaiku } from "./helpers/cli-process.js";

const repo = resolve(cliDir, "..", "..");
const webDist = join(repo, "packages", "web", "dist");
let work = "";
let tarball = "";
let files: string[] = [];
let webBuilt = false;

beforeAll(() => {
  if (!existsSync(join(webDist, "index.html"))) {
    try {
      execFileSync("flock", ["/tmp/taiku-cli-bundle.lock", "npm", "run", "build", "-w", "@taiku/web"], { cwd: repo, stdio: "pipe", timeout: 240_000 });
    } catch (err) {
      console.warn(`pack.test: the web build failed, web checks are skipped: ${String(err).slice(0, 300)}`);
    }
  }
  webBuilt = existsSync(join(webDist, "index.html"));
  ensureBundle();
  work = execFileSync("mktemp", ["-d", join(tmpdir(), "taiku-pack-XXXXXX")], { encoding: "utf8" }).trim();
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: cliDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const info = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);
}, 300_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("lists the bundled binary, the library bundle and the web app, and not the tsc output", () => {
    expect(tarball).toMatch(/taiku-cli-0\.1\.0\.tgz$/);
    expect(files).toContain("dist/taiku.js");
    expect(files).toContain("dist/lib.js");
    expect(files).toContain("dist/pty-worker.cjs"); // the PTY thread's script, loaded from next to the chunks
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    expect(files.filter((f) => f.startsWith("dist/")).every((f) => /^dist\/((taiku|lib|chunk-[A-Z0-9]+)\.js|pty-worker\.cjs|catalogues\/[a-z]+\.json)$/.test(f))).toBe(true);
    // The integrations tool catalogues travel next to the bundle, where the server looks for them.
    for (const toolkit of ["github", "linear", "slack", "gmail"]) expect(files).toContain(`dist/catalogues/${toolkit}.json`);
    if (webBuilt) {
      expect(files).toContain("web/index.html");
      expect(files.some((f) => f.startsWith("web/assets/"))).toBe(true);
    }
  });

  it("declares no workspace dependency and only resolvable imports", async () => {
    const pkg = JSON.parse(readFileSync(join(cliDir, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    const runtime = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
    expect(Object.keys(runtime).filter((d) => d.startsWith("@taiku/"))).toEqual([]);
    expect(pkg.bin).toEqual({ taiku: "./dist/taiku.js" });
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    for (const f of files.filter((x) => x.endsWith(".js"))) {
      const text = await readFile(join(cliDir, f), "utf8");
      for (const m of text.matchAll(/^(?:import|export)\s(?:[^"';]*?\sfrom\s)?["'](\.\/[^"']+)["'];?$/gm)) {
        expect(files, `${f} imports ${m[1]}`).toContain(`dist/${m[1]!.slice(2)}`);
      }
    }
    // Bare specifiers, as esbuild recorded them: each must be a Node builtin or a runtime dependency.
    const externals = JSON.parse(await readFile(join(cliDir, "dist", "externals.json"), "utf8")) as string[];
    expect(externals.length).toBeGreaterThan(0);
    // Optional peers their users load inside try/catch and do without: node-fetch's `encoding`,
    // ws's `utf-8-validate` (Node ≥ 18 validates UTF-8 itself).
    const optionalPeers = new Set(["encoding", "utf-8-validate"]);
    for (const s of externals) expect(builtins.has(s) || s in runtime || optionalPeers.has(s), `the bundle imports ${s}`).toBe(true);
  });

  it("runs unpacked: --version, and `taiku` with its embedded server serving the packaged web app", async () => {
    const prefix = join(work, "install");
    const pkgDir = join(prefix, "node_modules", "@taiku", "cli");
    await mkdir(pkgDir, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
    // Stand in for `npm install`: the declared runtime deps come from the repo's node_modules.
    for (const dep of ["node-pty", "better-sqlite3"]) await symlink(join(repo, "node_modules", dep), join(prefix, "node_modules", dep));
    for (const dep of ["bindings", "file-uri-to-path"]) {
      if (existsSync(join(repo, "node_modules", dep))) await symlink(join(repo, "node_modules", dep), join(prefix, "node_modules", dep));
    }
    const bin = join(pkgDir, "dist", "taiku.js");
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" })).toBe("taiku 0.1.0\n");

    const home = await mkdtemp(join(tmpdir(), "taiku-pack-home-"));
    // Integrations on: the bundled server must find the tool catalogues shipped in dist/catalogues.
    const vaultKey = randomBytes(32).toString("base64");
    const c = runTaiku(["--shell", "/bin/sh", "--port", "0"], { TAIKU_HOME: home, TAIKU_CONFIG_DIR: join(home, "cfg"), TAIKU_SERVER: "", TAIKU_WEB_ROOT: "", TAIKU_INTEGRATIONS: "on", TAIKU_VAULT_KEY: vaultKey }, bin);
    try {
      const [, link] = await c.waitForLine(/^session: (\S+)$/m);
      const origin = new URL(link!).origin;
      const page = await fetch(`${origin}/s/${new URL(link!).pathname.split("/").pop()}`);
      if (webBuilt) {
        expect(page.status).toBe(200);
        expect(await page.text()).toContain("<html");
      }
      const ownerToken = (await readFile(join(home, "owner-token"), "utf8")).trim();
      const toolkits = await fetch(`${origin}/api/v1/integrations/toolkits`, { headers: { "x-taiku-token": ownerToken } });
      expect(toolkits.status).toBe(200);
      const counts = Object.fromEntries(((await toolkits.json()) as { toolkits: Array<{ slug: string; toolCount: number }> }).toolkits.map((t) => [t.slug, t.toolCount]));
      expect(counts.github).toBeGreaterThan(1000);
      expect(Math.min(counts.linear!, counts.slack!, counts.gmail!)).toBeGreaterThan(10);
      c.proc.kill("SIGTERM");
      expect((await c.exit).code).toBe(0);
    } finally {
      if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
      await rm(home, { recursive: true, force: true });
    }
  }, 60_000);
});
