import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { start, type Started, tempHome } from "../app/helpers.js";
import { call, rawRequest, twoAccounts } from "./support.js";

const ST = "/api/v1/storage";
const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));

/** A server whose clock the test moves (rate-limit windows, updatedAt). */
async function clocked(options: Parameters<typeof start>[0] = {}) {
  const clock = { t: 1_700_000_000_000 };
  const s = await start({ now: () => clock.t, ...options });
  return { s, clock, ...(await twoAccounts(s)) };
}

const upload = (s: Started, path: string, auth: Record<string, string>, parts: Array<[string, Blob, string?]>) => {
  const form = new FormData();
  for (const [field, blob, filename] of parts) {
    if (filename === undefined) form.append(field, blob);
    else form.append(field, blob, filename);
  }
  return call(s, "POST", path, auth, { raw: form });
};

describe("plugin file storage", () => {
  it("stores raw bytes with PUT, reads them back with the extension's type, lists and deletes", async () => {
    const { s, clock, owner, ownerId } = await clocked();
    const data = bytes(1000);
    const put = await call(s, "PUT", `${ST}/music/song.mp3`, owner, { raw: data, headers: { "content-type": "application/octet-stream" } });
    expect([put.status, put.json()]).toEqual([200, { ok: true, size: 1000 }]);
    clock.t += 5000;
    // A JSON file is stored byte for byte, not parsed; no content type at all works too.
    const json = '{"a": 1,   "b": [true]}';
    expect((await call(s, "PUT", `${ST}/music/data.json`, owner, { raw: json, headers: { "content-type": "application/json" } })).json()).toEqual({ ok: true, size: json.length });
    expect((await call(s, "PUT", `${ST}/music/empty`, owner, { raw: new Uint8Array(0) })).json()).toEqual({ ok: true, size: 0 });

    const got = await call(s, "GET", `${ST}/music/song.mp3`, owner);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(data)).toBe(true);
    expect(got.headers.get("content-type")).toBe("audio/mpeg");
    expect(got.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("content-disposition")).toBe('attachment; filename="song.mp3"');
    const gotJson = await call(s, "GET", `${ST}/music/data.json`, owner);
    expect([gotJson.text, gotJson.headers.get("content-type")]).toEqual([json, "application/json; charset=utf-8"]);
    const gotEmpty = await call(s, "GET", `${ST}/music/empty`, owner);
    expect([gotEmpty.status, gotEmpty.bytes.length, gotEmpty.headers.get("content-type")]).toEqual([200, 0, "application/octet-stream"]);

    const list = await call(s, "GET", `${ST}/music`, owner);
    expect(list.json()).toEqual({
      totalBytes: 1000 + json.length,
      fileCount: 3,
      files: [
        { name: "data.json", size: json.length, updatedAt: clock.t },
        { name: "empty", size: 0, updatedAt: clock.t },
        { name: "song.mp3", size: 1000, updatedAt: clock.t - 5000 },
      ],
      quotaBytes: 250 * 1024 * 1024,
      usedBytes: 1000 + json.length,
      maxFileBytes: 25 * 1024 * 1024,
    });
    // On disk where the spec puts it.
    expect((await readFile(join(s.home, "storage", ownerId, "music", "song.mp3"))).equals(data)).toBe(true);

    expect((await call(s, "DELETE", `${ST}/music/song.mp3`, owner)).json()).toEqual({ ok: true });
    for (const method of ["GET", "DELETE"]) {
      const gone = await call(s, method, `${ST}/music/song.mp3`, owner);
      expect([gone.status, gone.text]).toEqual([404, "File not found."]);
    }
    expect(await readdir(join(s.home, "storage", ownerId, "music"))).toEqual(["data.json", "empty"]);
    expect((await call(s, "GET", `${ST}/other`, owner)).json()).toMatchObject({ totalBytes: 0, fileCount: 0, files: [] });
  });

  it("serves byte ranges", async () => {
    const { s, owner } = await clocked();
    await call(s, "PUT", `${ST}/p/ten.bin`, owner, { raw: Buffer.from("0123456789") });
    const range = async (r: string) => {
      const res = await call(s, "GET", `${ST}/p/ten.bin`, { ...owner, range: r });
      return [res.status, res.text, res.headers.get("content-range")];
    };
    expect(await range("bytes=2-5")).toEqual([206, "2345", "bytes 2-5/10"]);
    expect(await range("bytes=7-")).toEqual([206, "789", "bytes 7-9/10"]);
    expect(await range("bytes=-3")).toEqual([206, "789", "bytes 7-9/10"]);
    expect(await range("bytes=8-100")).toEqual([206, "89", "bytes 8-9/10"]);
    expect(await range("bytes=10-")).toEqual([416, "Range not satisfiable", "bytes */10"]);
    expect(await range("items=1-2")).toEqual([200, "0123456789", null]);
  });

  it("accepts only safe names: 400 `Invalid filename.` for separators, dots, control characters and > 255 bytes", async () => {
    const { s, owner, ownerId } = await clocked();
    const bad = [".hidden", "a..b", "a%2Fb", "a%5Cb", "a%00b", "a%0Ab", "tab%09", "sp%20ace", "%C3%A9t%C3%A9.txt", "-dash", "x".repeat(256)];
    for (const name of bad) {
      for (const method of ["PUT", "GET", "DELETE"]) {
        const res = await call(s, method, `${ST}/p/${name}`, owner, method === "PUT" ? { raw: "x" } : {});
        expect([name, method, res.status, res.text]).toEqual([name, method, 400, "Invalid filename."]);
      }
    }
    // `..` and `%2e%2e` as the whole name, sent unnormalised.
    for (const name of ["..", "%2e%2e", "%2E."]) {
      for (const method of ["PUT", "GET", "DELETE"]) {
        const res = await rawRequest(s.server.port, `${ST}/p/${name}`, method, owner);
        expect([name, method, res.status, res.body]).toEqual([name, method, 400, "Invalid filename."]);
      }
    }
    const longest = "x".repeat(251) + ".txt";
    expect((await call(s, "PUT", `${ST}/p/${longest}`, owner, { raw: "ok" })).status).toBe(200);
    expect((await call(s, "PUT", `${ST}/p/Track_01-final.v2.mp3`, owner, { raw: "ok" })).status).toBe(200);
    expect((await readdir(join(s.home, "storage", ownerId, "p"))).sort()).toEqual(["Track_01-final.v2.mp3", longest]);
    const badPlugin = await call(s, "PUT", `${ST}/..%2F..%2Fescape/f`, owner, { raw: "x" });
    expect([badPlugin.status, badPlugin.text]).toEqual([400, "invalid plugin id"]);
  });

  it("enforces the per-file maximum to the byte and writes nothing on rejection", async () => {
    const { s, owner, ownerId } = await clocked({ pluginFileMaxBytes: 10 });
    expect((await call(s, "PUT", `${ST}/p/f.bin`, owner, { raw: bytes(10) })).json()).toEqual({ ok: true, size: 10 });
    const over = await call(s, "PUT", `${ST}/p/f.bin`, owner, { raw: bytes(11, 9) });
    expect([over.status, over.text]).toEqual([413, "File size or user quota exceeded."]);
    // Without a Content-Length the limit is found while streaming.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes(6, 5));
        controller.enqueue(bytes(6, 6));
        controller.close();
      },
    });
    const chunked = await fetch(`${s.http.base}${ST}/p/f.bin`, { method: "PUT", headers: owner, body: stream, duplex: "half" } as RequestInit);
    expect([chunked.status, await chunked.text()]).toEqual([413, "File size or user quota exceeded."]);
    // The old file is intact and no temp file was left behind.
    expect((await call(s, "GET", `${ST}/p/f.bin`, owner)).bytes.equals(bytes(10))).toBe(true);
    expect(await readdir(join(s.home, "storage", ownerId, "p"))).toEqual(["f.bin"]);
    expect((await call(s, "GET", `${ST}/p`, owner)).json()).toMatchObject({ totalBytes: 10, fileCount: 1, maxFileBytes: 10 });
  });

  it("enforces the account quota across plugins and the file count per plugin", async () => {
    const { s, owner, bob } = await clocked({ pluginQuotaBytes: 25, pluginStorage: { maxFilesPerPlugin: 3 } });
    const put = (path: string, n: number, auth: Record<string, string> = owner) => call(s, "PUT", `${ST}/${path}`, auth, { raw: bytes(n) });
    expect((await put("p1/a", 10)).status).toBe(200);
    expect((await put("p2/b", 10)).status).toBe(200);
    const over = await put("p2/c", 6); // 26 > 25
    expect([over.status, over.text]).toEqual([413, "File size or user quota exceeded."]);
    expect((await put("p2/c", 5)).status).toBe(200); // exactly 25
    // Replacing a file counts the new size instead of the old one.
    expect((await put("p1/a", 10)).status).toBe(200);
    expect((await put("p1/a", 11)).status).toBe(413);
    expect((await put("p1/a", 4)).status).toBe(200); // 19 used
    expect((await call(s, "GET", `${ST}/p1`, owner)).json()).toMatchObject({ totalBytes: 4, usedBytes: 19, quotaBytes: 25 });
    // Another account has its own quota.
    expect((await put("p1/a", 25, bob)).status).toBe(200);
    // File count: p1 holds a; two more fit, a fourth does not, overwriting still does.
    expect((await put("p1/x", 1)).status).toBe(200);
    expect((await put("p1/y", 1)).status).toBe(200);
    const fourth = await put("p1/z", 1);
    expect([fourth.status, fourth.text]).toEqual([413, "File size or user quota exceeded."]);
    expect((await put("p1/y", 2)).status).toBe(200);
  });

  it("lets only one of three concurrent uploads take the last free bytes", async () => {
    const { s, owner, ownerId } = await clocked({ pluginQuotaBytes: 25 });
    const results = await Promise.all(["a", "b", "c"].map((n) => call(s, "PUT", `${ST}/p/${n}`, owner, { raw: bytes(15) })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 413, 413]);
    expect((await call(s, "GET", `${ST}/p`, owner)).json()).toMatchObject({ totalBytes: 15, fileCount: 1, usedBytes: 15 });
    expect(await readdir(join(s.home, "storage", ownerId, "p"))).toHaveLength(1);
  });

  it("rate-limits writes and reads per account per plugin with the documented texts", async () => {
    const { s, clock, owner } = await clocked({ pluginStorage: { writesPerWindow: 2, readsPerWindow: 3, rateWindowMs: 60_000 } });
    expect((await call(s, "PUT", `${ST}/p/a`, owner, { raw: "1" })).status).toBe(200);
    expect((await call(s, "DELETE", `${ST}/p/a`, owner)).status).toBe(200);
    const write = await call(s, "PUT", `${ST}/p/a`, owner, { raw: "1" });
    expect([write.status, write.text]).toEqual([429, "Write rate limit exceeded."]);
    const del = await call(s, "DELETE", `${ST}/p/a`, owner);
    expect([del.status, del.text]).toEqual([429, "Write rate limit exceeded."]);
    const up = await upload(s, `${ST}/p/upload`, owner, [["file", new Blob(["x"]), "x.txt"]]);
    expect([up.status, up.text]).toEqual([429, "Rate limit exceeded"]);
    // Another plugin has its own budget.
    expect((await call(s, "PUT", `${ST}/q/a`, owner, { raw: "1" })).status).toBe(200);

    expect((await call(s, "GET", `${ST}/p`, owner)).status).toBe(200);
    expect((await call(s, "GET", `${ST}/p/a`, owner)).status).toBe(404);
    expect((await call(s, "GET", `${ST}/p`, owner)).status).toBe(200);
    const read = await call(s, "GET", `${ST}/p/a`, owner);
    expect([read.status, read.text]).toEqual([429, "Read rate limit exceeded."]);
    expect((await call(s, "GET", `${ST}/p`, owner)).text).toBe("Read rate limit exceeded.");

    clock.t += 60_000; // next window
    expect((await call(s, "PUT", `${ST}/p/a`, owner, { raw: "2" })).status).toBe(200);
    expect((await call(s, "GET", `${ST}/p/a`, owner)).text).toBe("2");
  });

  it("round-trips a multipart upload and answers bad uploads with the documented texts", async () => {
    const { s, owner, ownerId } = await clocked({ pluginFileMaxBytes: 2048 });
    const audio = bytes(2048, 3);
    const up = await upload(s, `${ST}/music/upload`, owner, [["file", new Blob([audio], { type: "audio/mpeg" }), "track.mp3"]]);
    expect([up.status, up.json()]).toEqual([200, { ok: true, filename: "track.mp3", size: 2048 }]);
    const down = await call(s, "GET", `${ST}/music/track.mp3`, owner);
    expect(down.bytes.equals(audio)).toBe(true);
    expect(down.headers.get("content-type")).toBe("audio/mpeg");

    const notMultipart = await call(s, "POST", `${ST}/music/upload`, owner, { json: { file: "x" } });
    expect([notMultipart.status, notMultipart.text]).toEqual([400, "Invalid upload request."]);
    const wrongField = await upload(s, `${ST}/music/upload`, owner, [["audio", new Blob(["x"]), "x.mp3"]]);
    expect([wrongField.status, wrongField.text]).toEqual([400, "Invalid upload request."]);
    const noFile = await upload(s, `${ST}/music/upload`, owner, [["file", new Blob(["x"]) as unknown as Blob, undefined]]);
    expect(noFile.status).toBe(200); // FormData names a Blob without a filename "blob"
    expect((await call(s, "GET", `${ST}/music/blob`, owner)).text).toBe("x");
    const traversal = await upload(s, `${ST}/music/upload`, owner, [["file", new Blob(["x"]), "../../evil.mp3"]]);
    expect([traversal.status, traversal.text]).toEqual([400, "Invalid filename."]);
    const dotfile = await upload(s, `${ST}/music/upload`, owner, [["file", new Blob(["x"]), ".bashrc"]]);
    expect([dotfile.status, dotfile.text]).toEqual([400, "Invalid filename."]);
    const tooBig = await upload(s, `${ST}/music/upload`, owner, [["file", new Blob([bytes(2049)]), "big.mp3"]]);
    expect([tooBig.status, tooBig.text]).toEqual([413, "File size or user quota exceeded."]);
    expect((await readdir(join(s.home, "storage", ownerId, "music"))).sort()).toEqual(["blob", "track.mp3"]);
    const unauthenticated = await upload(s, `${ST}/music/upload`, {}, [["file", new Blob(["x"]), "x.mp3"]]);
    expect([unauthenticated.status, unauthenticated.text]).toEqual([401, "missing authentication"]);
  });

  it("answers storage I/O failures with 500 `Storage backend failure.`", async () => {
    const { s, owner, ownerId } = await clocked();
    await call(s, "PUT", `${ST}/p/there.txt`, owner, { raw: "hello" });
    // The file vanished behind the metadata's back.
    await rm(join(s.home, "storage", ownerId, "p", "there.txt"));
    const read = await call(s, "GET", `${ST}/p/there.txt`, owner);
    expect([read.status, read.text]).toEqual([500, "Storage backend failure."]);
    // The plugin directory cannot be created (a plain file is in the way).
    await writeFile(join(s.home, "storage", ownerId, "blocked"), "not a directory");
    const write = await call(s, "PUT", `${ST}/blocked/f.txt`, owner, { raw: "x" });
    expect([write.status, write.text]).toEqual([500, "Storage backend failure."]);
    const up = await upload(s, `${ST}/blocked/upload`, owner, [["file", new Blob(["x"]), "f.txt"]]);
    expect([up.status, up.text]).toEqual([500, "Storage backend failure."]);
    expect((await call(s, "GET", `${ST}/blocked`, owner)).json()).toMatchObject({ fileCount: 0 });
  });

  it("answers 401 without an account", async () => {
    const s = await start();
    for (const [method, path] of [["GET", `${ST}/p`], ["GET", `${ST}/p/f`], ["PUT", `${ST}/p/f`], ["DELETE", `${ST}/p/f`]]) {
      const res = await call(s, method!, path!, {}, method === "PUT" ? { raw: "x" } : {});
      expect([res.status, res.text]).toEqual([401, "missing authentication"]);
    }
    const bad = await call(s, "GET", `${ST}/p`, { authorization: "Bearer tk_nope" });
    expect([bad.status, bad.text]).toEqual([401, "No authenticated user or invalid user ID."]);
  });

  it("keeps files across a server restart on the same home", async () => {
    const home = await tempHome();
    const first = await start({ home });
    const owner = { "x-taiku-token": first.server.ownerToken };
    await call(first, "PUT", `${ST}/p/keep.png`, owner, { raw: bytes(300) });
    await first.server.close();
    const second = await start({ home });
    const got = await call(second, "GET", `${ST}/p/keep.png`, owner);
    expect([got.status, got.headers.get("content-type"), got.bytes.equals(bytes(300))]).toEqual([200, "image/png", true]);
    expect((await call(second, "GET", `${ST}/p`, owner)).json()).toMatchObject({ totalBytes: 300, fileCount: 1 });
  });
});

describe("plugin file storage (session-scoped)", () => {
  it("serves the session owner's files to the owner only, with each route's documented texts", async () => {
    const { s, owner, ownerId, bob } = await clocked();
    s.relay.sessions.set("sess1", { owner: ownerId, chat: [] });
    const base = "/api/v1/sessions/sess1/storage/music";
    expect((await call(s, "PUT", `${base}/a.txt`, owner, { raw: "from session" })).json()).toEqual({ ok: true, size: 12 });
    expect((await call(s, "GET", `${ST}/music/a.txt`, owner)).text).toBe("from session");
    expect((await call(s, "GET", `${base}/a.txt`, owner)).text).toBe("from session");
    expect((await call(s, "GET", base, owner)).json()).toMatchObject({ fileCount: 1 });
    const up = await upload(s, `${base}/upload`, owner, [["file", new Blob(["u"]), "u.txt"]]);
    expect(up.json()).toEqual({ ok: true, filename: "u.txt", size: 1 });

    // Reads say `Session not found`, writes `Session not found.` (§11.3.6).
    const cases: Array<[string, string, string]> = [
      ["GET", base, "Session not found"],
      ["GET", `${base}/a.txt`, "Session not found"],
      ["PUT", `${base}/a.txt`, "Session not found."],
      ["DELETE", `${base}/a.txt`, "Session not found."],
      ["POST", `${base}/upload`, "Session not found."],
    ];
    for (const [method, path, notFound] of cases) {
      const send = (p: string, auth: Record<string, string>) =>
        method === "POST" ? upload(s, p, auth, [["file", new Blob(["x"]), "x.txt"]]) : call(s, method, p, auth, method === "PUT" ? { raw: "x" } : {});
      const unknown = await send(path.replace("sess1", "nosuch"), owner);
      expect([method, path, unknown.status, unknown.text]).toEqual([method, path, 404, notFound]);
      const notOwner = await send(path, bob);
      expect([method, path, notOwner.status, notOwner.text]).toEqual([method, path, 403, "Not the session owner"]);
    }
    expect((await call(s, "DELETE", `${base}/a.txt`, owner)).json()).toEqual({ ok: true });
    expect((await call(s, "GET", `${base}/a.txt`, owner)).text).toBe("File not found.");
  });
});
