import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPluginsDir, PLUGIN_CSP } from "../../src/plugins/registry.js";
import { start, tempHome } from "../app/helpers.js";
import { call, rawRequest } from "./support.js";

const manifest = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Plugin ${id}`,
  version: "1.2.3",
  description: `The ${id} plugin`,
  permissions: ["ui.panel"],
  panels: [{ id: "main", title: "Main", htmlUrl: "index.html" }],
  ...extra,
});

/** A plugins directory with valid and broken plugins, and a secret file beside it that must stay unreachable. */
async function pluginsFixture(): Promise<string> {
  const root = dirname(await tempHome());
  const dir = join(root, "plugins");
  const put = async (path: string, content: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  };
  await writeFile(join(root, "secret.txt"), "TOP SECRET");
  await put("alpha/manifest.json", JSON.stringify(manifest("alpha", { author: "me", tagline: "First", categories: ["demo"] })));
  await put("alpha/index.html", "<!doctype html><p>alpha</p>");
  await put("alpha/assets/app.js", "console.log(1)");
  await put("alpha/.env", "HIDDEN=1");
  await put("beta/manifest.json", JSON.stringify(manifest("beta")));
  await put("beta/index.html", "<p>beta</p>");
  await put("noversion/manifest.json", JSON.stringify({ ...manifest("noversion"), version: undefined }));
  await put("noversion/index.html", "<p>invalid</p>");
  await put("badjson/manifest.json", "{ not json");
  await put("mismatch/manifest.json", JSON.stringify(manifest("other-id")));
  await put("nomanifest/index.html", "<p>no manifest</p>");
  await put("insecure/manifest.json", JSON.stringify(manifest("insecure", { panels: [{ id: "p", title: "P", htmlUrl: "http://evil.example/p.html" }] })));
  await symlink(join(root, "secret.txt"), join(dir, "alpha", "link.txt"));
  return dir;
}

describe("plugin registry and built-in plugin files", () => {
  it("lists only valid manifests, the same JSON at both routes, and logs why the others were skipped", async () => {
    const pluginsDir = await pluginsFixture();
    const logFile = join(dirname(pluginsDir), "server.log");
    const s = await start({ pluginsDir, logLevel: "info", logFile });
    const registry = await call(s, "GET", "/plugins/registry.json", {});
    expect(registry.status).toBe(200);
    expect(registry.json()).toEqual({
      version: 1,
      plugins: [
        {
          id: "alpha", name: "Plugin alpha", version: "1.2.3", author: "me", description: "The alpha plugin", tagline: "First",
          categories: ["demo"], manifestUrl: "/plugins/alpha/manifest.json", manifest_url: "/plugins/alpha/manifest.json", builtIn: true,
        },
        {
          id: "beta", name: "Plugin beta", version: "1.2.3", description: "The beta plugin",
          manifestUrl: "/plugins/beta/manifest.json", manifest_url: "/plugins/beta/manifest.json", builtIn: true,
        },
      ],
    });
    expect((await call(s, "GET", "/api/v1/registry", {})).json()).toEqual(registry.json());
    // The manifest URL resolves against the registry's own URL.
    const manifestUrl = new URL(registry.json().plugins[0].manifestUrl, `${s.http.base}/plugins/registry.json`).href;
    expect(JSON.parse(await (await fetch(manifestUrl)).text())).toMatchObject({ id: "alpha" });

    await s.server.close();
    const log = (await readFile(logFile, "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg: string; plugin?: string; reason?: string });
    const skipped = Object.fromEntries(log.filter((l) => l.msg === "built-in plugin skipped").map((l) => [l.plugin, l.reason]));
    expect(skipped).toEqual({
      noversion: "Plugin noversion rejected: version: Invalid input: expected string, received undefined",
      badjson: "Plugin <unknown> rejected: manifest: not valid JSON",
      mismatch: 'manifest id "other-id" does not match its directory name',
      nomanifest: "no readable manifest.json",
      insecure: "Plugin insecure rejected: panels[0].htmlUrl: must be an https: URL (or http://localhost)",
    });
  });

  it("serves a valid plugin's manifest and assets with the plugin CSP and nosniff, nothing of invalid ones", async () => {
    const s = await start({ pluginsDir: await pluginsFixture() });
    const html = await call(s, "GET", "/plugins/alpha/index.html", {});
    expect([html.status, html.text, html.headers.get("content-type")]).toEqual([200, "<!doctype html><p>alpha</p>", "text/html; charset=utf-8"]);
    expect(html.headers.get("content-security-policy")).toBe(PLUGIN_CSP);
    expect(PLUGIN_CSP).toContain("connect-src 'none'");
    expect(PLUGIN_CSP).toContain("frame-ancestors 'self'");
    expect(html.headers.get("x-content-type-options")).toBe("nosniff");
    const manifestRes = await call(s, "GET", "/plugins/alpha/manifest.json", {});
    expect([manifestRes.headers.get("content-type"), manifestRes.json().id]).toEqual(["application/json; charset=utf-8", "alpha"]);
    expect((await call(s, "GET", "/plugins/alpha/assets/app.js", {})).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    for (const path of ["/plugins/noversion/manifest.json", "/plugins/noversion/index.html", "/plugins/nomanifest/index.html", "/plugins/alpha/missing.html", "/plugins/nosuch/manifest.json"]) {
      const res = await call(s, "GET", path, {});
      expect([path, res.status, res.text]).toEqual([path, 404, "Not found"]);
    }
  });

  it("makes path traversal impossible", async () => {
    const s = await start({ pluginsDir: await pluginsFixture() });
    const attempts = [
      "/plugins/alpha/../noversion/manifest.json",
      "/plugins/alpha/../../secret.txt",
      "/plugins/alpha/%2e%2e/%2e%2e/secret.txt",
      "/plugins/alpha/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/plugins/alpha/..%2f..%2fsecret.txt",
      "/plugins/alpha/%252e%252e/%252e%252e/secret.txt",
      "/plugins/alpha/..%5c..%5csecret.txt",
      "/plugins/alpha/.env",
      "/plugins/alpha/%2eenv",
      "/plugins/alpha/index.html%00.txt",
      "/plugins/alpha/link.txt",
      "/plugins/..%2fsecret.txt/x",
      "/plugins/%2e%2e/secret.txt",
      "/plugins/../secret.txt",
    ];
    for (const path of attempts) {
      const res = await rawRequest(s.server.port, path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain("TOP SECRET");
      expect(res.body, path).not.toContain("HIDDEN");
      expect(res.body, path).not.toContain("invalid</p>");
    }
    // The same server does serve legitimate files (the checks above are not vacuous).
    expect((await rawRequest(s.server.port, "/plugins/alpha/index.html")).status).toBe(200);
    expect((await rawRequest(s.server.port, "/plugins/alpha/assets/../index.html")).status).toBe(404);
  });

  it("defaults to the repository's plugins/ folder, whose blank plugin is valid", async () => {
    expect(defaultPluginsDir()).toBe(resolve(import.meta.dirname, "../../../../plugins"));
    const s = await start();
    const ids = (await call(s, "GET", "/plugins/registry.json", {})).json().plugins.map((p: { id: string }) => p.id);
    expect(ids).toContain("blank");
    const html = await call(s, "GET", "/plugins/blank/index.html", {});
    expect([html.status, html.headers.get("content-security-policy")]).toEqual([200, PLUGIN_CSP]);
  });

  it("answers with an empty registry when the plugins directory is missing", async () => {
    const s = await start({ pluginsDir: join(dirname(await tempHome()), "nowhere") });
    expect((await call(s, "GET", "/api/v1/registry", {})).json()).toEqual({ version: 1, plugins: [] });
  });
});
