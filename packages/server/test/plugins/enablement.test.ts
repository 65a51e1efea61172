import { mkdir, writeFile } from "node:fs/promises";
import net from "node:net";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { start, tempHome } from "../app/helpers.js";
import { call, serveRoutes, twoAccounts } from "./support.js";

const P = "/api/v1/plugins";

/** A loopback port nothing listens on (just released by the OS). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function builtinsDir(): Promise<string> {
  const dir = join(dirname(await tempHome()), "plugins");
  await mkdir(join(dir, "core"), { recursive: true });
  await writeFile(join(dir, "core", "manifest.json"), JSON.stringify({ id: "core", name: "Core", version: "1.0.0", permissions: ["session.read"] }));
  return dir;
}

const json = (body: unknown, status = 200) => (res: import("node:http").ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
};
const remote = { id: "acme.notes", name: "Notes", version: "2.0.0", permissions: ["ui.panel", "storage.read", "not.a.permission"], panels: [{ id: "n", title: "Notes", htmlUrl: "panel.html" }] };

describe("per-user plugins", () => {
  it("lists built-ins disabled, toggles them per user, and keeps the choice across a restart", async () => {
    const home = await tempHome();
    const pluginsDir = await builtinsDir();
    const s = await start({ home, pluginsDir });
    const { owner, bob } = await twoAccounts(s);
    const list = await call(s, "GET", P, owner);
    expect(list.json()).toEqual([
      {
        id: "core", name: "Core", version: "1.0.0", manifestUrl: "/plugins/core/manifest.json", enabled: false, builtIn: true,
        manifest: expect.objectContaining({ id: "core", permissions: ["session.read"] }),
      },
    ]);
    const on = await call(s, "PUT", `${P}/core`, owner, { json: { enabled: true } });
    expect(on.json()).toMatchObject({ id: "core", enabled: true, builtIn: true });
    expect((await call(s, "GET", P, owner)).json()[0].enabled).toBe(true);
    expect((await call(s, "GET", P, bob)).json()[0].enabled).toBe(false);
    await s.server.close();

    const again = await start({ home, pluginsDir });
    expect((await call(again, "GET", P, owner)).json()[0].enabled).toBe(true);
    // DELETE of a built-in forgets the choice: back to disabled, still listed.
    expect((await call(again, "DELETE", `${P}/core`, owner)).json()).toEqual({ ok: true });
    expect((await call(again, "GET", P, owner)).json()).toMatchObject([{ id: "core", enabled: false }]);
  });

  it("installs from a manifest URL, validates it, stores it per user, and removes it", async () => {
    const base = await serveRoutes({ "/notes/manifest.json": json(remote) });
    const s = await start({ pluginsDir: await builtinsDir() });
    const { owner, bob } = await twoAccounts(s);
    const manifestUrl = `${base}/notes/manifest.json`;
    const installed = await call(s, "POST", `${P}/install`, owner, { json: { manifestUrl } });
    expect(installed.status).toBe(201);
    expect(installed.json()).toMatchObject({
      id: "acme.notes", name: "Notes", version: "2.0.0", manifestUrl, enabled: true, builtIn: false,
      manifest: { permissions: ["ui.panel", "storage.read"], panels: [{ id: "n", htmlUrl: "panel.html" }] },
      warnings: ['Unknown permission "not.a.permission" ignored; it grants nothing'],
    });
    expect((await call(s, "GET", P, owner)).json().map((p: { id: string }) => p.id)).toEqual(["core", "acme.notes"]);
    expect((await call(s, "GET", P, bob)).json().map((p: { id: string }) => p.id)).toEqual(["core"]);
    expect((await call(s, "PUT", `${P}/acme.notes`, owner, { json: { enabled: false } })).json()).toMatchObject({ enabled: false, builtIn: false });
    expect((await call(s, "GET", P, owner)).json()[1]).toMatchObject({ id: "acme.notes", enabled: false, manifestUrl });
    // Reinstalling updates in place; `enabled` can be given.
    expect((await call(s, "POST", `${P}/install`, bob, { json: { manifestUrl, enabled: false } })).json()).toMatchObject({ enabled: false });
    expect((await call(s, "DELETE", `${P}/acme.notes`, owner)).json()).toEqual({ ok: true });
    expect((await call(s, "GET", P, owner)).json().map((p: { id: string }) => p.id)).toEqual(["core"]);
    const again = await call(s, "DELETE", `${P}/acme.notes`, owner);
    expect([again.status, again.text]).toEqual([404, "Plugin not found."]);
    const unknown = await call(s, "PUT", `${P}/nosuch`, owner, { json: { enabled: true } });
    expect([unknown.status, unknown.text]).toEqual([404, "Plugin not found."]);
    const badBody = await call(s, "PUT", `${P}/core`, owner, { json: { enabled: "yes" } });
    expect(badBody.status).toBe(400);
  });

  it("rejects bad manifests with the validator's message naming the field, and bad URLs", async () => {
    const base = await serveRoutes({
      "/badversion.json": json({ ...remote, version: "two" }),
      "/badpanel.json": json({ ...remote, panels: [{ id: "n", title: "N", htmlUrl: "http://evil.example/x.html" }] }),
      "/notjson": (res) => res.writeHead(200).end("<html>"),
      "/builtin.json": json({ id: "core", name: "Core", version: "9.0.0" }),
      "/huge.json": json({ ...remote, description: "x", padding: "y".repeat(300 * 1024) }),
      "/gone.json": json({}, 404),
      "/slow.json": () => undefined, // never answers
    });
    const s = await start({ pluginsDir: await builtinsDir(), pluginInstallTimeoutMs: 300 });
    const { owner } = await twoAccounts(s);
    const install = (manifestUrl: string) => call(s, "POST", `${P}/install`, owner, { json: { manifestUrl } });
    const expectations: Array<[string, number, string]> = [
      [`${base}/badversion.json`, 400, "Plugin acme.notes rejected: version: must be a semantic version such as 1.0.0"],
      [`${base}/badpanel.json`, 400, "Plugin acme.notes rejected: panels[0].htmlUrl: must be an https: URL (or http://localhost)"],
      [`${base}/notjson`, 400, "Plugin <unknown> rejected: manifest: not valid JSON"],
      [`${base}/huge.json`, 400, "Plugin <unknown> rejected: manifest: larger than 256 KiB"],
      [`${base}/builtin.json`, 409, "Plugin core is built in; enable it instead of installing it"],
      [`${base}/gone.json`, 502, "could not fetch the manifest: HTTP 404"],
      [`${base}/slow.json`, 504, "could not fetch the manifest: no answer within 300 ms"],
      ["file:///etc/passwd", 400, "manifestUrl must be an http(s) URL"],
      ["ftp://example.com/m.json", 400, "manifestUrl must be an http(s) URL"],
      ["not a url", 400, "manifestUrl must be an http(s) URL"],
      [`http://127.0.0.1:${await closedPort()}/m.json`, 502, "could not fetch the manifest: ECONNREFUSED"],
    ];
    for (const [url, status, text] of expectations) {
      const res = await install(url);
      expect([url, res.status, res.text]).toEqual([url, status, text]);
    }
    expect((await call(s, "GET", P, owner)).json().map((p: { id: string }) => p.id)).toEqual(["core"]);
  });

  it("requires an account", async () => {
    const s = await start();
    for (const [method, path] of [["GET", P], ["PUT", `${P}/x`], ["POST", `${P}/install`], ["DELETE", `${P}/x`]] as const) {
      const res = await call(s, method, path, {}, method === "GET" || method === "DELETE" ? {} : { json: {} });
      expect([method, res.status, res.text]).toEqual([method, 401, "missing authentication"]);
    }
  });
});
