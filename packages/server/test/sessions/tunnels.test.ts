/** Tunnel routes (§11.3.11) on a real server with a fake CLI: error texts, limits, header hygiene, aborts. */
import { request, type IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { type Msg } from "../relay/harness.js";
import { startEnv } from "./support.js";

const EMPTY = new Uint8Array(0);
const enc = (s: string) => new TextEncoder().encode(s);
const answer = (m: Msg, over: Msg = {}) => ({ t: "tunnelResponse", requestId: m.requestId, status: 200, headers: [], bodyChunk: EMPTY, end: false, error: "", ...over });

/** Starts a request and resolves with the response as soon as its head arrives (the body is not read). */
function open(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[] } = {}) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(base + path, { method: opts.method ?? "GET", headers: opts.headers ?? {} }, resolve);
    req.on("error", reject);
    for (const part of Array.isArray(opts.body) ? opts.body : opts.body ? [opts.body] : []) req.write(part);
    req.end();
  });
}

const text = async (res: IncomingMessage) => {
  let s = "";
  for await (const c of res) s += c;
  return s;
};

describe("tunnel routes", () => {
  it("maps a silent CLI to 504, a lost CLI to 502, and an oversized body to 413", async () => {
    const env = await startEnv({ tunnelPorts: [3000], limits: { tunnelAnswerMs: 200, tunnelBodyMaxBytes: 1000 } });
    const base = `/t/${env.host.sessionId}/p/3000/`;
    const silent = await env.s.http.get(base);
    expect([silent.status, silent.text]).toEqual([504, "CLI did not respond"]);
    const cancel = await env.host.cli.next("tunnelRequest", (m) => m.cancel === true);
    expect(cancel.requestId).toBeGreaterThan(0);

    const declared = await env.s.http.req("POST", base, { raw: "x".repeat(1001) });
    expect([declared.status, declared.text]).toEqual([413, "Request body too large"]);
    // Chunked, so only counting the bytes finds out.
    const chunked = await open(env.s.http.base, base, { method: "POST", headers: { "transfer-encoding": "chunked" }, body: [Buffer.alloc(600), Buffer.alloc(600)] });
    expect([chunked.statusCode, await text(chunked)]).toEqual([413, "Request body too large"]);

    const pending = env.s.http.get(`${base}slow`);
    await env.host.cli.next("tunnelRequest", (m) => m.path === "/slow");
    env.host.cli.ws.close();
    const lost = await pending;
    expect([lost.status, lost.text]).toEqual([502, "CLI not connected"]);
    const after = await env.s.http.get(base);
    expect([after.status, after.text]).toEqual([502, "CLI not connected"]);
  });

  it("drops malformed and origin-wide headers from the CLI, adds the sandbox, passes the CLI's error", async () => {
    const env = await startEnv({ tunnelPorts: [3000] });
    const base = `/t/${env.host.sessionId}/p/3000/`;
    const pending = env.s.http.get(`${base}page`);
    const req = await env.host.cli.next("tunnelRequest");
    expect(req).toMatchObject({ port: 3000, method: "GET", path: "/page", end: true });
    env.host.cli.send(answer(req, {
      status: 203,
      headers: [
        { name: "Content-Type", value: enc("text/html") },
        { name: "X-Injected", value: enc("a\r\nSet-Cookie: evil=1") },
        { name: "Bad Name", value: enc("x") },
        { name: "Set-Cookie", value: enc("s=1") },
        { name: "Clear-Site-Data", value: enc('"storage"') },
        { name: "Content-Security-Policy", value: enc("default-src 'self'") },
        { name: "Location", value: enc("http://127.0.0.1:3000/next") },
      ],
      bodyChunk: enc("<p>hi</p>"), end: true,
    }));
    const r = await pending;
    expect([r.status, r.text]).toEqual([203, "<p>hi</p>"]);
    expect(r.headers.get("content-type")).toBe("text/html");
    for (const h of ["x-injected", "set-cookie", "clear-site-data"]) expect(r.headers.get(h)).toBeNull();
    expect(r.headers.get("content-security-policy")).toBe("default-src 'self', sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads");
    expect(r.headers.get("location")).toBe(`${base}next`);

    const refused = env.s.http.get(base);
    const req2 = await env.host.cli.next("tunnelRequest");
    env.host.cli.send(answer(req2, { status: 502, error: "connection refused by 127.0.0.1:3000", end: true }));
    expect(await refused.then((x) => [x.status, x.text])).toEqual([502, "connection refused by 127.0.0.1:3000"]);
  });

  it("aborts a response whose client reads too slowly, and tells the CLI", async () => {
    const env = await startEnv({ tunnelPorts: [3000], limits: { tunnelBufferMaxBytes: 256 * 1024 } });
    const res = await (async () => {
      const head = open(env.s.http.base, `/t/${env.host.sessionId}/p/3000/big`);
      const req = await env.host.cli.next("tunnelRequest");
      // The head goes out with the first body bytes.
      env.host.cli.send(answer(req, { bodyChunk: new Uint8Array(64 * 1024) }));
      const r = await head;
      r.pause(); // a client that never reads: kernel buffers fill, then server memory
      for (let i = 0; i < 400; i++) env.host.cli.send(answer(req, { bodyChunk: new Uint8Array(64 * 1024) }));
      return { r, req };
    })();
    const cancel = await env.host.cli.next("tunnelRequest", (m) => m.cancel === true, 10_000);
    expect(cancel.requestId).toBe(res.req.requestId);
    const closed = new Promise((resolve) => res.r.once("close", resolve));
    res.r.resume();
    await closed;
    expect(res.r.complete).toBe(false);
  });

  it("cancels on the CLI when the HTTP client goes away", async () => {
    const env = await startEnv({ tunnelPorts: [3000] });
    const req = request(`${env.s.http.base}/t/${env.host.sessionId}/p/3000/hang`);
    req.on("error", () => undefined);
    req.end();
    const sent = await env.host.cli.next("tunnelRequest");
    req.destroy();
    const cancel = await env.host.cli.next("tunnelRequest", (m) => m.cancel === true);
    expect(cancel.requestId).toBe(sent.requestId);
  });
});
