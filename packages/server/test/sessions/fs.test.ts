import { describe, expect, it } from "vitest";
import { serveFakeFs, startEnv } from "./support.js";

const big = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

describe("CLI-backed filesystem routes (§11.3.5)", () => {
  it("lists a directory through the CLI, with path default '.'", async () => {
    const env = await startEnv();
    const fs = serveFakeFs(env.host, { "a.txt": "hello", "src/": "", "src/x.ts": "x" });
    const r = await env.authed("writer", "GET", `/api/v1/sessions/${env.host.sessionId}/ls`);
    expect(r.status).toBe(200);
    expect(r.json()).toEqual([{ name: "a.txt", is_dir: false, size: 5 }, { name: "src", is_dir: true, size: 0 }]);
    expect(fs.seen[0]).toMatchObject({ op: "ls", path: ".", userId: 0 });
    const sub = await env.authed("writer", "GET", `/api/v1/sessions/${env.host.sessionId}/ls?path=src`);
    expect(sub.json()).toEqual([{ name: "x.ts", is_dir: false, size: 1 }]);
  });

  it("reads files as utf8 or base64 with maxBytes and truncated", async () => {
    const env = await startEnv();
    const bin = big(3000);
    serveFakeFs(env.host, { "a.txt": "héllo wörld", "b.bin": bin }, { chunk: 1000 });
    const base = `/api/v1/sessions/${env.host.sessionId}/file`;
    const a = await env.authed("writer", "GET", `${base}?path=a.txt`);
    expect(a.json()).toEqual({ path: "a.txt", content: "héllo wörld", encoding: "utf8", size: 13, truncated: false });
    const b = await env.authed("writer", "GET", `${base}?path=b.bin&encoding=base64&maxBytes=2500`);
    const body = b.json();
    expect([body.size, body.truncated, body.encoding]).toEqual([3000, true, "base64"]);
    expect(Buffer.from(body.content, "base64")).toEqual(Buffer.from(bin.subarray(0, 2500)));
    const zero = await env.authed("writer", "GET", `${base}?path=a.txt&maxBytes=0`);
    expect(zero.json()).toEqual({ path: "a.txt", content: "", encoding: "utf8", size: 13, truncated: true });
    const missing = await env.authed("writer", "GET", `${base}?path=nope.txt`);
    expect([missing.status, missing.text]).toEqual([404, "No such file or directory"]);
    const noPath = await env.authed("writer", "GET", base);
    expect([noPath.status, noPath.text]).toEqual([400, "path query parameter required"]);
    const esc = await env.authed("writer", "GET", `${base}?path=../etc/passwd`);
    expect([esc.status, esc.text]).toEqual([404, "No such file or directory"]);
  });

  it("maps CLI errors, a missing CLI and a silent CLI to the documented texts", async () => {
    const env = await startEnv({ limits: { fsAnswerMs: 300 } });
    const ls = `/api/v1/sessions/${env.host.sessionId}/ls?path=nope`;
    const pending = env.authed("writer", "GET", ls);
    const req = await env.host.cli.next("fsRequest");
    env.host.cli.send({ t: "fsResponse", requestId: req.requestId, ok: false, error: "Permission denied", json: new Uint8Array(0), data: new Uint8Array(0), end: true });
    const r = await pending;
    expect([r.status, r.text]).toEqual([502, "CLI returned an error from the remote read."]);

    const silent = await env.authed("writer", "GET", `/api/v1/sessions/${env.host.sessionId}/ls`);
    expect([silent.status, silent.text]).toEqual([504, "CLI did not respond"]);

    env.host.cli.ws.close();
    await new Promise((r) => setTimeout(r, 200));
    const gone = await env.authed("writer", "GET", `/api/v1/sessions/${env.host.sessionId}/ls`);
    expect([gone.status, gone.text]).toEqual([502, "CLI not connected"]);
  });

  it("limits concurrent reads per user to fsReadsPerUser (503)", async () => {
    const env = await startEnv({ limits: { fsReadsPerUser: 2, fsAnswerMs: 2000 } });
    serveFakeFs(env.host, {}, { silent: true });
    const ls = `/api/v1/sessions/${env.host.sessionId}/ls`;
    const a = env.authed("writer", "GET", ls);
    const b = env.authed("writer", "GET", ls);
    await new Promise((r) => setTimeout(r, 300));
    const c = await env.authed("writer", "GET", ls);
    expect([c.status, c.text]).toEqual([503, "Too many file reads in progress for this user"]);
    expect((await a).status).toBe(504);
    expect((await b).status).toBe(504);
  });

  it("stages a stream and serves it with ranges and content type, bound to the session", async () => {
    const env = await startEnv();
    const data = big(200_000);
    serveFakeFs(env.host, { "media/song.mp3": data });
    const r = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/file/stream?path=media/song.mp3`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    const [url, size] = r.text.split("\t");
    expect(url).toMatch(new RegExp(`^/api/s/${env.host.sessionId}/download/[0-9A-Za-z]{24}$`));
    expect(size).toBe("200000");
    const full = await fetch(env.s.http.base + url);
    expect(full.headers.get("content-type")).toBe("audio/mpeg");
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await full.arrayBuffer())).toEqual(Buffer.from(data));
    const part = await fetch(env.s.http.base + url, { headers: { range: "bytes=100-199" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 100-199/200000");
    expect(Buffer.from(await part.arrayBuffer())).toEqual(Buffer.from(data.subarray(100, 200)));
    const tail = await fetch(env.s.http.base + url, { headers: { range: "bytes=-10" } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(Buffer.from(data.subarray(199_990)));
    const bad = await fetch(env.s.http.base + url, { headers: { range: "bytes=300000-" } });
    expect(bad.status).toBe(416);
    // Bound to the session: the same token under another session id is unknown.
    const other = await fetch(env.s.http.base + url!.replace(env.host.sessionId, "otherSess1"));
    expect([other.status, await other.text()]).toEqual([404, "No such file or directory"]);
  });

  it("serves staged HTML and SVG sandboxed: they never run as the app origin", async () => {
    // A file in the session directory (a writer's PUT, a plugin's writeFile, a cloned repo) staged and
    // opened from chat or by a plugin's popup must not run scripts with the app's cookie and storage.
    const env = await startEnv();
    const evil = "<script>fetch('/api/v1/auth/api-keys',{method:'POST'})</script>";
    serveFakeFs(env.host, { "x.html": evil, "x.svg": `<svg xmlns="http://www.w3.org/2000/svg">${evil}</svg>` });
    for (const name of ["x.html", "x.svg"]) {
      const r = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/file/stream?path=${name}`);
      const [url] = r.text.split("\t");
      const page = await fetch(env.s.http.base + url, { headers: { connection: "close" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy") ?? "").toMatch(/(^|;)\s*sandbox\s*(;|$)/);
      expect(await page.text()).toContain("<script>");
    }
  });

  it("expires download tokens (410 Download expired)", async () => {
    const env = await startEnv({ limits: { downloadTokenMs: 300 } });
    serveFakeFs(env.host, { "a.txt": "abc" });
    const r = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/file/stream?path=a.txt`);
    const [url] = r.text.split("\t");
    await new Promise((r) => setTimeout(r, 600));
    const expired = await fetch(env.s.http.base + url);
    expect([expired.status, await expired.text()]).toEqual([410, "Download expired"]);
    expect((await fetch(env.s.http.base + url)).status).toBe(410); // still 410 a while after
  });

  it("refuses to stage more than fsStageMaxBytes (413) and a stream without path (400)", async () => {
    const env = await startEnv({ limits: { fsStageMaxBytes: 1000 } });
    serveFakeFs(env.host, { "big.bin": big(5000) }, { chunk: 600 });
    const r = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/file/stream?path=big.bin`);
    expect([r.status, r.text]).toEqual([413, "File too large."]);
    const n = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/file/stream`);
    expect([n.status, n.text]).toEqual([400, "path query parameter required"]);
  });

  it("deletes staged copies when the session ends", async () => {
    const env = await startEnv();
    serveFakeFs(env.host, { "a.txt": "abc" });
    const r = await env.authed("reader", "GET", `/api/v1/sessions/${env.host.sessionId}/file/stream?path=a.txt`);
    const [url] = r.text.split("\t");
    expect((await fetch(env.s.http.base + url)).status).toBe(200);
    env.host.cli.send({ t: "close" });
    await new Promise((r) => setTimeout(r, 300));
    const after = await fetch(env.s.http.base + url);
    expect(after.status).toBe(404);
  });

  it("writes files in chunks with createDirs, and refuses bodies over fsWriteMaxBytes", async () => {
    const env = await startEnv({ limits: { fsWriteMaxBytes: 2 * 1024 * 1024 } });
    const fs = serveFakeFs(env.host, {});
    const data = big(1_300_000);
    const path = `/api/v1/sessions/${env.host.sessionId}/file?path=out/x.bin&createDirs=1`;
    const res = await fetch(env.s.http.base + path, {
      method: "PUT", body: data, headers: { ...(await env.headers("writer")), "content-type": "application/octet-stream" },
    });
    expect([res.status, await res.json()]).toEqual([200, { ok: true, size: 1_300_000 }]);
    expect(Buffer.from(fs.written.get("out/x.bin")!)).toEqual(Buffer.from(data));
    const writes = fs.seen.filter((m) => m.op === "write");
    expect(writes.length).toBe(3);
    expect(writes.every((m) => m.length === 1)).toBe(true);
    const tooBig = await fetch(env.s.http.base + path, { method: "PUT", body: big(2 * 1024 * 1024 + 1), headers: await env.headers("writer") });
    expect([tooBig.status, await tooBig.text()]).toEqual([413, "File too large."]);
  });

  it("answers 404 Session not found. for unknown sessions before checking auth", async () => {
    const env = await startEnv();
    const r = await env.s.http.get(`/api/v1/sessions/unknown1/ls`);
    expect([r.status, r.text]).toEqual([404, "Session not found."]);
    const st = await env.s.http.get(`/api/v1/sessions/unknown1/file/stream?path=a`);
    expect([st.status, st.text]).toEqual([404, "Session not found"]);
  });
});
