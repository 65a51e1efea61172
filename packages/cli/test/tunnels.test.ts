/**
 * HTTP tunnels end to end (spec §3.12, §11.3.11): the real server, a real `startShare` with
 * `tunnelPorts`, and a local node:http server on 127.0.0.1, fetched through `/t/{id}/p/{port}/…`
 * and through an isolated tunnel host.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startServer, type RunningServer, type ServerOptions } from "@taiku/server";
import { startShare, type ShareHandle } from "../src/index.js";
import { joinAsViewer } from "./helpers/viewer.js";
import { useCleanups } from "./helpers/cleanups.js";

const cleanups = useCleanups();

const BIG = 5_000_000;
const bigBody = (() => {
  const b = Buffer.alloc(BIG);
  for (let i = 0; i < BIG; i++) b[i] = (i * 131 + (i >> 9)) & 0xff;
  return b;
})();

/** The local app: echoes requests, streams 5 MB, sets a cookie. */
async function localApp(): Promise<{ port: number; seen: Array<{ url: string; headers: IncomingHttpHeaders }> }> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    if (req.url === "/big") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let i = 0;
      const pump = () => {
        while (i < BIG) {
          const piece = bigBody.subarray(i, i + 100_000);
          i += piece.byteLength;
          if (!res.write(piece)) return void res.once("drain", pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.url === "/cookie") {
      res.writeHead(200, { "set-cookie": ["a=1; Domain=taiku.test; Path=/", "b=2"], "content-type": "text/plain" });
      return res.end("cookie");
    }
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "/landing" });
      return res.end();
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-method": req.method ?? "", connection: "close" });
      res.end(req.method === "POST" ? Buffer.concat(chunks) : JSON.stringify({ url: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** A port nothing listens on. */
async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function share(ports: number[], opts: Partial<ServerOptions> = {}): Promise<{ server: RunningServer; share: ShareHandle }> {
  const dir = await cleanups.tempDir("taiku-tunnel-");
  const server = await startServer({ home: dir, host: "127.0.0.1", port: 0, logLevel: "silent", ...opts });
  cleanups.push(() => server.close());
  const handle = await startShare({ server: server.url, token: server.ownerToken, shell: "/bin/sh", env: process.env, tunnelPorts: ports });
  cleanups.push(() => handle.close());
  return { server, share: handle };
}

/** node:http, so hop-by-hop headers can be sent and the raw answer seen. */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("HTTP tunnels through the real server and CLI", () => {
  it("proxies GET with query, a 1 MiB POST and a 5 MB stream; rewrites Host and drops hop-by-hop headers; sandboxes the app origin", async () => {
    const app = await localApp();
    const { server, share: s } = await share([app.port]);
    const base = `${server.url}/t/${s.sessionId}/p/${app.port}`;
    expect(s.tunnels).toEqual([{ port: app.port, url: `${s.server}/t/${s.sessionId}/p/${app.port}/` }]);

    const get = await raw(`${base}/echo?x=1&y=%2F`, {
      headers: { "keep-alive": "timeout=5", te: "trailers", "proxy-authorization": "Basic eA==", "x-custom": "kept", cookie: "taiku_session=secret", "x-taiku-token": "tk_secret" },
    });
    expect(get.status).toBe(200);
    const echoed = JSON.parse(get.body.toString()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe("/echo?x=1&y=%2F");
    expect(echoed.headers.host).toBe(`127.0.0.1:${app.port}`);
    expect(echoed.headers["x-custom"]).toBe("kept");
    for (const h of ["keep-alive", "te", "proxy-authorization", "cookie", "x-taiku-token"]) expect(echoed.headers[h]).toBeUndefined();
    // A taiku API key as a Bearer token stays here; the tunneled app's own Authorization passes.
    const bearer = async (value: string) => JSON.parse((await raw(`${base}/echo`, { headers: { authorization: value } })).body.toString()).headers.authorization;
    expect(await bearer(`Bearer tk_${"a".repeat(40)}`)).toBeUndefined();
    expect(await bearer("Bearer app-token")).toBe("Bearer app-token");
    expect(get.headers["content-security-policy"]).toBe("sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads");
    expect(get.headers["x-method"]).toBe("GET");
    expect(get.headers.connection).not.toBe("close"); // the local app's hop-by-hop answer stays local

    const upload = randomBytes(1024 * 1024);
    const post = await raw(`${base}/upload`, { method: "POST", headers: { "content-type": "application/x-anything" }, body: upload });
    expect(post.status).toBe(200);
    expect(post.body.byteLength).toBe(upload.byteLength);
    expect(sha(post.body)).toBe(sha(upload));

    const t0 = Date.now();
    const big = await raw(`${base}/big`);
    const ms = Date.now() - t0;
    expect(big.status).toBe(200);
    expect(big.body.byteLength).toBe(BIG);
    expect(sha(big.body)).toBe(sha(bigBody));
    console.log(`tunnel: 5 MB streamed in ${ms} ms`);

    const cookie = await raw(`${base}/cookie`);
    expect(cookie.headers["set-cookie"]).toBeUndefined();
    const redirect = await raw(`${base}/redirect`);
    expect([redirect.status, redirect.headers.location]).toEqual([302, `/t/${s.sessionId}/p/${app.port}/landing`]);
  });

  it("answers the documented errors and redirects to the trailing-slash form", async () => {
    const app = await localApp();
    const closed = await refusedPort();
    const { server, share: s } = await share([app.port, closed]);
    const t = (path: string) => raw(`${server.url}${path}`);
    const text = async (path: string) => {
      const r = await t(path);
      return [r.status, r.body.toString()];
    };
    expect(await text(`/t/${s.sessionId}/p/1/`)).toEqual([404, "Tunnel not found"]);
    expect(await text(`/t/${s.sessionId}/p/not-a-port/`)).toEqual([404, "Tunnel not found"]);
    expect(await text(`/t/nosuchsess/p/${app.port}/`)).toEqual([404, "Session not found"]);
    const [status, body] = await text(`/t/${s.sessionId}/p/${closed}/`);
    expect(status).toBe(502);
    expect(body).toContain("connection refused");
    const slash = await t(`/t/${s.sessionId}/p/${app.port}?q=1`);
    expect([slash.status, slash.headers.location]).toEqual([308, `/t/${s.sessionId}/p/${app.port}/?q=1`]);

    // Browsers get the published ports with absolute URLs.
    const viewer = await joinAsViewer(s.links.participant);
    cleanups.push(() => viewer.close());
    await viewer.waitFor(() => viewer.messages.some((m) => m.t === "tunnels"), "tunnels message");
    const msg = viewer.messages.find((m) => m.t === "tunnels");
    expect(msg).toEqual({ t: "tunnels", tunnels: [app.port, closed].sort((a, b) => a - b).map((port) => ({ port, url: `${s.server}/t/${s.sessionId}/p/${port}/` })) });
    expect(viewer.messages.find((m) => m.t === "hello")).toMatchObject({ features: expect.arrayContaining(["tunnels"]) });

    await s.close();
    expect(await text(`/t/${s.sessionId}/p/${app.port}/`)).toEqual([404, "Session not found"]);
  });

  it("with a tunnel origin: 307 from /t/…, proxies by Host on the isolated origin, keeps host-only cookies", async () => {
    const app = await localApp();
    const { server, share: s } = await share([app.port], { tunnelOrigin: "http://t.taiku.test" });
    const host = `${app.port}-${s.sessionId.toLowerCase()}.t.taiku.test`;
    const moved = await raw(`${server.url}/t/${s.sessionId}/p/${app.port}/echo?x=1`);
    expect([moved.status, moved.headers.location]).toEqual([307, `http://${host}/echo?x=1`]);

    const viaHost = await raw(`${server.url}/echo?x=2`, { headers: { host: `${host}:${server.port}`, cookie: "own=1" } });
    expect(viaHost.status).toBe(200);
    const echoed = JSON.parse(viaHost.body.toString()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe("/echo?x=2");
    expect(echoed.headers.host).toBe(`127.0.0.1:${app.port}`);
    expect(echoed.headers.cookie).toBe("own=1"); // the tunnel's own cookies, on its own origin
    expect(viaHost.headers["content-security-policy"]).toBeUndefined();

    const cookie = await raw(`${server.url}/cookie`, { headers: { host } });
    expect(cookie.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2"]);
    // A host naming no live session, and the app's own API is not reachable on a tunnel host.
    expect((await raw(`${server.url}/`, { headers: { host: `${app.port}-zzzzzzzzzz.t.taiku.test` } })).status).toBe(404);
    expect((await raw(`${server.url}/healthz`, { headers: { host } })).body.toString()).not.toContain('"ok"');
  });
});
