import http from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY } from "../../src/http/static.js";
import { start, tempHome } from "./helpers.js";

async function webRoot(): Promise<string> {
  const base = dirname(await tempHome());
  const root = join(base, "web");
  await mkdir(join(root, "assets"), { recursive: true });
  await writeFile(join(root, "index.html"), "<!doctype html><title>taiku app</title>");
  await writeFile(join(root, "assets", "index-Bx9q1aZ3.js"), "console.log(1)");
  await writeFile(join(root, "robots.txt"), "User-agent: *");
  await writeFile(join(root, ".env"), "SECRET=1");
  await writeFile(join(base, "secret.txt"), "outside the web root");
  return root;
}

/** node:http sends the path as written (fetch would normalise the dot segments away). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("static web app", () => {
  it("serves index.html for app routes, files by path, with caching and security headers", async () => {
    const s = await start({ webRoot: await webRoot() });
    s.relay.sessions.set("AbC123", { owner: null, chat: [] });
    for (const path of ["/", "/s/AbC123", "/login?next=/account", "/signup", "/verify?code=BCDFGHJK", "/account", "/dashboard", "/integrations"]) {
      const res = await s.http.get(path);
      expect([path, res.status, res.text]).toEqual([path, 200, "<!doctype html><title>taiku app</title>"]);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const asset = await s.http.get("/assets/index-Bx9q1aZ3.js");
    expect([asset.status, asset.text, asset.headers.get("content-type")]).toEqual([200, "console.log(1)", "text/javascript; charset=utf-8"]);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const robots = await s.http.get("/robots.txt");
    expect([robots.status, robots.headers.get("cache-control")]).toEqual([200, "no-cache"]);
    const head = await s.http.req("HEAD", "/assets/index-Bx9q1aZ3.js");
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "14"]);
  });

  it("answers the page of an unknown or ended session with the app and status 404 (§11.3.1)", async () => {
    const s = await start({ webRoot: await webRoot() });
    s.relay.sessions.set("live1", { owner: null, chat: [] });
    const live = await s.http.get("/s/live1");
    expect([live.status, live.text]).toEqual([200, "<!doctype html><title>taiku app</title>"]);
    const gone = await s.http.get("/s/Gone42");
    expect([gone.status, gone.text, gone.headers.get("content-type")]).toEqual([404, "<!doctype html><title>taiku app</title>", "text/html; charset=utf-8"]);
    expect(gone.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
  });

  // Before: the cache-control regex ran over the whole path, quadratic in it: each such request held the
  // event loop (every session's relay) for most of a second, so these 20 outlived the test's 15 s limit.
  // Now each takes a few ms. (A hang detector with a wide margin, not a timing figure.)
  it("answers a long asset path at once (the hashed-name check cannot backtrack over it)", { timeout: 15_000 }, async () => {
    const s = await start({ webRoot: await webRoot() });
    for (let i = 0; i < 20; i++) {
      const r = await s.http.get("/assets/" + "-".repeat(8000), { connection: "close" });
      expect(r.status).toBe(404);
    }
  });

  it("404s missing files, dotfiles, API paths and anything outside the web root", async () => {
    const s = await start({ webRoot: await webRoot() });
    for (const path of ["/nope.js", "/s/a/b", "/.env", "/api/v1/anything", "/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/%00", "/%E0%A4%A"]) {
      const res = await rawGet(s.server.port, path);
      expect([path, res.status]).toEqual([path, path === "/%E0%A4%A" ? 400 : 404]);
      expect(res.body).not.toContain("outside the web root");
      expect(res.body).not.toContain("SECRET");
    }
  });

  it("explains itself when no web app is configured", async () => {
    const s = await start();
    const res = await s.http.get("/s/abc");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.text).toContain("npm run build -w @taiku/web");
    expect((await s.http.get("/healthz")).status).toBe(200);
  });
});
