/**
 * Plugin file reads with session viewer auth (§9.5, §11.3.6): `GET /api/v1/sessions/{id}/storage/{pluginId}/{filename}`
 * accepts account auth or the session headers of §2.6.3, and the latter reads the session OWNER's file, so
 * participants without an account (or with another one) can play what the owner uploaded.
 */
import { describe, expect, it } from "vitest";
import { signUp } from "../app/helpers.js";
import { startEnv } from "../sessions/support.js";
import { call } from "./support.js";

const ST = "/api/v1/storage";
const track = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));

describe("plugin file reads with session viewer auth", () => {
  it("a viewer proof reads the session owner's file; the owner's own reads are unchanged", async () => {
    const env = await startEnv({ readersEnabled: true });
    const owner = { "x-taiku-token": env.s.server.ownerToken };
    expect((await call(env.s, "PUT", `${ST}/taiku.music-player/song.mp3`, owner, { raw: track })).json()).toEqual({ ok: true, size: track.length });
    const path = `/api/v1/sessions/${env.host.sessionId}/storage/taiku.music-player/song.mp3`;

    // A read-only participant with no account: the viewer proof alone.
    const viewer = await call(env.s, "GET", path, await env.headers("reader"));
    expect([viewer.status, viewer.headers.get("content-type"), viewer.bytes.equals(track)]).toEqual([200, "audio/mpeg", true]);
    // A signed-in participant who is not the owner still gets the owner's file with the session headers.
    const bob = await signUp(env.s, "bob@example.com");
    const asBob = await call(env.s, "GET", path, { ...bob.browser, ...(await env.headers("writer")) });
    expect([asBob.status, asBob.bytes.equals(track)]).toEqual([200, true]);
    // Ranges work as for the owner (audio elements seek with them).
    const range = await call(env.s, "GET", path, { ...(await env.headers("reader")), range: "bytes=0-9" });
    expect([range.status, range.bytes.equals(track.subarray(0, 10))]).toEqual([206, true]);
    // The owner's account auth works as before; another account without session headers does not.
    expect((await call(env.s, "GET", path, owner)).bytes.equals(track)).toBe(true);
    const notOwner = await call(env.s, "GET", path, bob.browser);
    expect([notOwner.status, notOwner.text]).toEqual([403, "Not the session owner"]);

    // Other files and plugins of the owner: the usual texts.
    const missing = await call(env.s, "GET", path.replace("song.mp3", "nope.mp3"), await env.headers("reader"));
    expect([missing.status, missing.text]).toEqual([404, "File not found."]);
    const badName = await call(env.s, "GET", path.replace("song.mp3", ".hidden"), await env.headers("reader"));
    expect([badName.status, badName.text]).toEqual([400, "Invalid filename."]);
    const other = await call(env.s, "GET", path.replace("taiku.music-player", "other.plugin"), await env.headers("reader"));
    expect([other.status, other.text]).toEqual([404, "File not found."]);
  });

  it("a wrong, reused, foreign or missing proof is 401 `missing session auth challenge`", async () => {
    const env = await startEnv();
    const owner = { "x-taiku-token": env.s.server.ownerToken };
    await call(env.s, "PUT", `${ST}/p/a.bin`, owner, { raw: track });
    const path = `/api/v1/sessions/${env.host.sessionId}/storage/p/a.bin`;
    const denied = async (headers: Record<string, string>) => {
      const r = await call(env.s, "GET", path, headers);
      return [r.status, r.text];
    };
    const expected = [401, "missing session auth challenge"];
    expect(await denied({})).toEqual(expected);
    const good = await env.headers("reader");
    expect(await denied({ "x-taiku-session-nonce": good["x-taiku-session-nonce"]! })).toEqual(expected);
    // The nonce was consumed by that failed attempt: the valid proof for it no longer works.
    expect(await denied(good)).toEqual(expected);
    const fresh = await env.headers("reader");
    expect(await denied({ ...fresh, "x-taiku-session-key": Buffer.alloc(32, 1).toString("base64") })).toEqual(expected);
    expect(await denied({ "x-taiku-session-key": (await env.headers("reader"))["x-taiku-session-key"]! })).toEqual(expected);
    expect(await denied({ "x-taiku-session-nonce": "not-issued", "x-taiku-session-key": Buffer.alloc(32).toString("base64") })).toEqual(expected);
    // A proof made for another session's nonce is refused too.
    const otherEnv = await startEnv();
    const foreign = await otherEnv.headers("reader");
    expect(await denied(foreign)).toEqual(expected);
    // Unknown session: the read route's text (no period).
    const gone = await call(env.s, "GET", path.replace(env.host.sessionId, "nosuchsess"), await env.headers("reader"));
    expect([gone.status, gone.text]).toEqual([404, "Session not found"]);
  });

  it("session auth reads only: list, write, upload and delete still need the owner's account", async () => {
    const env = await startEnv({ readersEnabled: true });
    const owner = { "x-taiku-token": env.s.server.ownerToken };
    await call(env.s, "PUT", `${ST}/p/a.bin`, owner, { raw: track });
    const base = `/api/v1/sessions/${env.host.sessionId}/storage/p`;
    const attempts: Array<[string, string]> = [["GET", base], ["PUT", `${base}/a.bin`], ["DELETE", `${base}/a.bin`], ["POST", `${base}/upload`]];
    for (const [method, path] of attempts) {
      const r = await call(env.s, method, path, await env.headers("admin"), method === "PUT" ? { raw: "overwrite" } : {});
      expect([method, r.status, r.text]).toEqual([method, 401, "missing authentication"]);
    }
    expect((await call(env.s, "GET", `${ST}/p/a.bin`, owner)).bytes.equals(track)).toBe(true);
  });

  it("an anonymous session's owner has no files to read", async () => {
    const env = await startEnv({ anonymous: true });
    const r = await call(env.s, "GET", `/api/v1/sessions/${env.host.sessionId}/storage/p/a.bin`, await env.headers("reader"));
    expect([r.status, r.text]).toEqual([404, "File not found."]);
  });
});
