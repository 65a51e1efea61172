import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contentTypeOf, DownloadStore, parseRange } from "../../src/sessions/downloads.js";

const exists = (p: string) => stat(p).then(() => true, () => false);
const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

async function staged(store: DownloadStore, sessionId: string, ttl: number) {
  const file = await store.newPath();
  await writeFile(file, "data");
  return { file, entry: store.add(sessionId, file, "x.pdf", 4, ttl) };
}

describe("staged downloads", () => {
  it("deletes the staged copy when the token expires, and keeps answering 'expired'", async () => {
    const root = await mkdtemp(join(tmpdir(), "taiku-dl-test-"));
    roots.push(root);
    const store = new DownloadStore(Date.now, root);
    const { file, entry } = await staged(store, "s1", 100);
    expect(entry.token).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(store.get("s1", entry.token)).toMatchObject({ file, size: 4 });
    expect(store.get("s2", entry.token)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 250));
    expect(store.get("s1", entry.token)).toBe("expired");
    expect(await exists(file)).toBe(false);
    await store.close();
    expect(await exists(join(file, ".."))).toBe(false); // the staging directory goes on close
  });

  it("deletes every staged copy of a session when it ends", async () => {
    const root = await mkdtemp(join(tmpdir(), "taiku-dl-test-"));
    roots.push(root);
    const store = new DownloadStore(Date.now, root);
    const a = await staged(store, "s1", 60_000);
    const b = await staged(store, "s1", 60_000);
    const c = await staged(store, "s2", 60_000);
    store.dropSession("s1");
    await new Promise((r) => setTimeout(r, 50));
    expect([await exists(a.file), await exists(b.file), await exists(c.file)]).toEqual([false, false, true]);
    expect(store.get("s1", a.entry.token)).toBeUndefined();
    await store.close();
  });

  it("parses single byte ranges and picks content types by extension", () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange("bytes=2-4", 10)).toEqual({ start: 2, end: 4 });
    expect(parseRange("bytes=5-", 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange("bytes=8-100", 10)).toEqual({ start: 8, end: 9 });
    expect(parseRange("bytes=10-", 10)).toBeNull();
    expect(parseRange("bytes=0-1,3-4", 10)).toBeUndefined();
    expect([contentTypeOf("a.PDF"), contentTypeOf("x.mp4"), contentTypeOf("noext")]).toEqual(["application/pdf", "video/mp4", "application/octet-stream"]);
  });
});
