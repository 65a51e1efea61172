import { describe, expect, it } from "vitest";
import { PLUGIN_CSP } from "../../src/plugins/registry.js";
import { localPluginPath } from "../../src/sessions/local-plugin-routes.js";
import { startEnv } from "./support.js";

const empty = new Uint8Array(0);

describe("taiku --plugin: CLI-owned session plugins and local plugin files", () => {
  it("setSessionPlugins from the CLI adds enabled entries and broadcasts sessionPlugins", async () => {
    const env = await startEnv();
    const { b } = await env.browser("reader");
    env.host.cli.send({ t: "setSessionPlugins", plugins: [{ pluginId: "dev.local", manifestUrl: "/api/s/x/local-plugins/dev.local/manifest.json?v=1" }] });
    const msg = await b.next("sessionPlugins", (m) => "dev.local" in m.plugins);
    expect(msg.plugins["dev.local"]).toEqual({ manifest_url: "/api/s/x/local-plugins/dev.local/manifest.json?v=1", enabled: true });
    env.host.cli.send({ t: "setSessionPlugins", plugins: [{ pluginId: "dev.local", manifestUrl: "/api/s/x/local-plugins/dev.local/manifest.json?v=2" }] });
    const next = await b.next("sessionPlugins", (m) => m.plugins["dev.local"]?.manifest_url.endsWith("v=2"));
    expect(next.plugins["dev.local"].enabled).toBe(true);
  });

  it("serves a plugin file read through the CLI with the plugin CSP, and maps failures", async () => {
    const env = await startEnv({ limits: { fsAnswerMs: 300 } });
    const base = `/api/s/${env.host.sessionId}/local-plugins/dev.local`;
    const pending = env.s.http.get(`${base}/panels/main.html?v=3`);
    const req = await env.host.cli.next("pluginFile");
    expect([req.pluginId, req.path]).toEqual(["dev.local", "panels/main.html"]);
    env.host.cli.send({ t: "fsResponse", requestId: req.requestId, ok: true, error: "", json: empty, data: new TextEncoder().encode("<p>hi</p>"), end: false });
    env.host.cli.send({ t: "fsResponse", requestId: req.requestId, ok: true, error: "", json: empty, data: empty, end: true });
    const r = await pending;
    expect([r.status, r.text]).toEqual([200, "<p>hi</p>"]);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.headers.get("content-security-policy")).toBe(PLUGIN_CSP);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");

    const missing = env.s.http.get(`${base}/nope.js`);
    const mreq = await env.host.cli.next("pluginFile");
    env.host.cli.send({ t: "fsResponse", requestId: mreq.requestId, ok: false, error: "No such file or directory", json: empty, data: empty, end: true });
    expect([(await missing).status, (await missing).text]).toEqual([404, "No such file or directory"]);

    // Dot segments never reach the CLI.
    // (a client may normalise `%2e%2e` away, so only the status is certain)
    const esc = await env.s.http.get(`${base}/%2e%2e/secret.txt`);
    expect(esc.status).toBe(404);
    const esc2 = await env.s.http.get(`${base}/a%2f..%2f..%2fsecret.txt`);
    expect([esc2.status, esc2.text]).toEqual([404, "No such file or directory"]);
    expect(env.host.cli.drain("pluginFile")).toEqual([]);

    const silent = await env.s.http.get(`${base}/manifest.json`);
    expect([silent.status, silent.text]).toEqual([504, "CLI did not respond"]);
    const gone = await env.s.http.get(`/api/s/zzzzzzzz/local-plugins/dev.local/manifest.json`);
    expect(gone.status).toBe(404);
  });

  it("limits concurrent reads per client (503)", async () => {
    const env = await startEnv({ limits: { fsAnswerMs: 1500 } });
    const base = `/api/s/${env.host.sessionId}/local-plugins/dev.local`;
    const slow = Array.from({ length: 8 }, (_, i) => env.s.http.get(`${base}/f${i}.js`));
    await new Promise((r) => setTimeout(r, 300));
    const over = await env.s.http.get(`${base}/extra.js`);
    expect([over.status, over.text]).toEqual([503, "Too many file reads in progress for this user"]);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual(Array(8).fill(504));
  });

  it("localPluginPath decodes once and refuses dot segments, empty segments and encoded separators", () => {
    expect(localPluginPath("/api/s/abc/local-plugins/p/a/b%20c.js?v=1")).toBe("a/b c.js");
    expect(localPluginPath("/api/s/abc/local-plugins/p/..")).toBeNull();
    expect(localPluginPath("/api/s/abc/local-plugins/p/a%2f..%2f..%2fx")).toBeNull();
    expect(localPluginPath("/api/s/abc/local-plugins/p/a//b")).toBeNull();
    expect(localPluginPath("/api/s/abc/local-plugins/p/%E0%A4%A")).toBeNull();
  });
});
