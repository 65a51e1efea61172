import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliUpMsg } from "@taiku/protocol";
import { classifyPluginArg, loadLocalManifest, PluginArgError, SessionPlugins } from "../src/local-plugins.js";

type Res = CliUpMsg<"fsResponse">;

const manifest = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ id: "dev.local", name: "Local", version: "1.0.0", panels: [{ id: "main", title: "Main", htmlUrl: "index.html" }], ...over });

async function pluginDir(text = manifest()) {
  const base = await mkdtemp(join(tmpdir(), "taiku-lp-"));
  const dir = join(base, "plugin");
  await mkdir(join(dir, "assets"), { recursive: true });
  await writeFile(join(dir, "manifest.json"), text);
  await writeFile(join(dir, "index.html"), "<p>v1</p>");
  await writeFile(join(dir, "assets", "app.js"), "1");
  await writeFile(join(base, "secret.txt"), "TOP SECRET");
  return { base, dir };
}

/** The serving key of a set, as participants learn it from the manifest URL. */
function keyOf(set: SessionPlugins): string {
  const url = set.list("abc123").find((p) => p.manifestUrl.includes("/local-plugins/"))!.manifestUrl;
  return url.split("/")[6]!;
}

async function read(set: SessionPlugins, pluginId: string, path: string, key = keyOf(set)) {
  const sent: Res[] = [];
  await set.handle({ t: "pluginFile", requestId: 7, pluginId, path: `${key}/${path}` }, (m) => sent.push(m));
  const last = sent[sent.length - 1]!;
  return { ok: last.ok, error: last.error, text: Buffer.concat(sent.map((m) => Buffer.from(m.data))).toString("utf8") };
}

describe("--plugin values", () => {
  it("classifies ids, manifest URLs and directories", () => {
    expect(classifyPluginArg("taiku.agent-monitor", "/w")).toEqual({ kind: "id", pluginId: "taiku.agent-monitor" });
    expect(classifyPluginArg("https://x.example/p/manifest.json", "/w")).toEqual({ kind: "url", url: "https://x.example/p/manifest.json" });
    expect(classifyPluginArg("./my-plugin", "/w")).toEqual({ kind: "dir", dir: "/w/my-plugin" });
    expect(classifyPluginArg("/abs/p", "/w")).toEqual({ kind: "dir", dir: "/abs/p" });
    expect(() => classifyPluginArg("bad id!", "/w")).toThrow(PluginArgError);
  });

  it("rejects a local directory with a message naming the field", async () => {
    const bad = await pluginDir(manifest({ version: "one" }));
    await expect(loadLocalManifest(bad.dir)).rejects.toThrow(/--plugin .*plugin: Plugin dev\.local rejected: version: must be a semantic version/);
    const badId = await pluginDir(manifest({ id: "-nope" }));
    await expect(loadLocalManifest(badId.dir)).rejects.toThrow(/rejected: id: must match/);
    const notJson = await pluginDir("{ nope");
    await expect(loadLocalManifest(notJson.dir)).rejects.toThrow(/manifest: not valid JSON/);
    const empty = await mkdtemp(join(tmpdir(), "taiku-lp-"));
    await expect(loadLocalManifest(empty)).rejects.toThrow(/no manifest\.json in the directory/);
    await expect(loadLocalManifest(join(empty, "missing"))).rejects.toThrow(/not a directory/);
    await expect(SessionPlugins.resolve([bad.dir], { cwd: "/", watch: false })).rejects.toBeInstanceOf(PluginArgError);
  });

  it("builds the set: ids on the server's /plugins, URLs validated, directories at a session-scoped URL", async () => {
    const { dir } = await pluginDir();
    const fetchFn = (async () => new Response(manifest({ id: "remote.p", panels: [] }))) as unknown as typeof fetch;
    const set = await SessionPlugins.resolve(["taiku.event-log", "https://x.example/manifest.json", dir], { cwd: "/", watch: false, fetch: fetchFn });
    expect(set.list("abc123")).toEqual([
      { pluginId: "taiku.event-log", manifestUrl: "/plugins/taiku.event-log/manifest.json" },
      { pluginId: "remote.p", manifestUrl: "https://x.example/manifest.json" },
      { pluginId: "dev.local", manifestUrl: `/api/s/abc123/local-plugins/dev.local/${keyOf(set)}/manifest.json?v=1` },
    ]);
    expect(keyOf(set)).toMatch(/^[0-9A-Za-z]{22}$/);
    const failing = (async () => new Response("nope", { status: 404 })) as unknown as typeof fetch;
    await expect(SessionPlugins.resolve(["https://x.example/m.json"], { cwd: "/", fetch: failing })).rejects.toThrow(/could not load the manifest \(HTTP 404\)/);
  });

  it("serves only the plugin directory's files: no .., absolute paths, symlink escapes or other plugin ids", async () => {
    const { base, dir } = await pluginDir();
    await symlink(join(base, "secret.txt"), join(dir, "link.txt"));
    await symlink(base, join(dir, "up"));
    const set = await SessionPlugins.resolve([dir], { cwd: "/", watch: false });
    expect(await read(set, "dev.local", "index.html")).toEqual({ ok: true, error: "", text: "<p>v1</p>" });
    expect((await read(set, "dev.local", "assets/app.js")).text).toBe("1");
    for (const path of ["../secret.txt", join(base, "secret.txt"), "link.txt", "up/secret.txt", "assets/../../secret.txt", "assets"]) {
      const r = await read(set, "dev.local", path);
      expect(r.ok, path).toBe(false);
      expect(r.text, path).toBe("");
    }
    expect(await read(set, "other.plugin", "index.html")).toMatchObject({ ok: false, error: "No such file or directory" });
    // Knowing the session id is not enough: the serving key of this CLI run is part of every URL.
    for (const key of ["", "wrongkey0000000000000000", keyOf(set).slice(1)]) {
      expect(await read(set, "dev.local", "index.html", key), key).toMatchObject({ ok: false, error: "No such file or directory" });
    }
  });

  it("bumps the version after a change, and not while the manifest is invalid", async () => {
    const { dir } = await pluginDir();
    const warnings: string[] = [];
    const set = await SessionPlugins.resolve([dir], { cwd: "/", debounceMs: 50, warn: (m) => warnings.push(m) });
    let changes = 0;
    set.watch(() => changes++);
    try {
      await new Promise((r) => setTimeout(r, 100));
      await writeFile(join(dir, "index.html"), "<p>v2</p>");
      await expect.poll(() => changes, { timeout: 3000 }).toBe(1);
      expect(set.list("s")[0]!.manifestUrl).toMatch(/\?v=2$/);
      await writeFile(join(dir, "manifest.json"), manifest({ name: "" }));
      await expect.poll(() => warnings.join("\n"), { timeout: 3000 }).toMatch(/rejected: name: .*\(not reloaded\)/);
      expect(changes).toBe(1);
      await writeFile(join(dir, "manifest.json"), manifest());
      await expect.poll(() => changes, { timeout: 3000 }).toBe(2);
      expect(set.list("s")[0]!.manifestUrl).toMatch(/\?v=3$/);
    } finally {
      set.close();
    }
  });
});
