/** Plugin-route test helpers on top of ../app/helpers.ts: binary bodies, multipart and two accounts. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { type Res, signUp, type Started } from "../app/helpers.js";

export interface Body {
  json?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
}

/** fetch against the started server; JSON when `json` is given, otherwise the raw body as is. */
export async function call(s: Started, method: string, path: string, auth: Record<string, string>, body: Body = {}): Promise<Res & { bytes: Buffer }> {
  const headers: Record<string, string> = { ...auth, ...body.headers };
  let payload: BodyInit | undefined = body.raw;
  if (body.json !== undefined) {
    payload = JSON.stringify(body.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(s.http.base + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString("utf8");
  return { status: res.status, headers: res.headers, text, bytes, json: () => JSON.parse(text) };
}

/** The local owner (API key) and a second signed-up account (cookie + Origin, as a browser sends). */
export async function twoAccounts(s: Started) {
  const owner = { "x-taiku-token": s.server.ownerToken };
  const ownerId = (await s.http.get("/api/v1/auth/me", owner)).json<{ id: string }>().id;
  const bob = await signUp(s, "bob@example.com");
  return { owner, ownerId, bob: bob.browser, bobId: bob.account.id };
}

/** A request with the path sent byte for byte (fetch would normalise `..` and `%2e%2e` away). */
export function rawRequest(port: number, path: string, method = "GET", headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A loopback HTTP server answering each path from `routes`; closed after the test. */
export async function serveRoutes(routes: Record<string, (res: http.ServerResponse) => void>): Promise<string> {
  const server = http.createServer((req, res) => {
    const route = routes[req.url ?? ""];
    if (route) route(res);
    else res.writeHead(404).end("nope");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
