import { mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliUpMsg } from "@taiku/protocol";
import { FS_CHUNK_BYTES, FS_DISABLED, FsServer } from "../src/fs-server.js";

type Res = CliUpMsg<"fsResponse">;

async function setup(enabled = true) {
  const base = await mkdtemp(join(tmpdir(), "taiku-fs-"));
  const root = join(base, "proj");
  const outside = join(base, "outside");
  await mkdir(join(root, "src"), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, "a.txt"), "hello");
  await writeFile(join(root, "src", "x.ts"), "export {}");
  await writeFile(join(outside, "secret.txt"), "TOP SECRET");
  const sent: Res[] = [];
  const fs = new FsServer({ root, enabled, send: (m) => sent.push(m) });
  let id = 0;
  const call = async (op: "ls" | "read" | "stat" | "stream" | "write", path: string, extra: { offset?: number; length?: number; data?: Uint8Array } = {}) => {
    const requestId = ++id;
    await fs.handle({ t: "fsRequest", requestId, op, path, userId: 0, offset: extra.offset ?? 0, length: extra.length ?? 0, data: extra.data ?? new Uint8Array(0) });
    const msgs = sent.filter((m) => m.requestId === requestId);
    const last = msgs[msgs.length - 1]!;
    const json = last.json.byteLength ? JSON.parse(new TextDecoder().decode(last.json)) : null;
    const data = Buffer.concat(msgs.map((m) => Buffer.from(m.data)));
    return { ok: last.ok, error: last.error, json, data, msgs };
  };
  return { base, root, outside, call };
}

describe("CLI filesystem server", () => {
  it("lists, stats and reads inside the session directory", async () => {
    const { call } = await setup();
    const ls = await call("ls", ".");
    expect(ls.json).toEqual([{ name: "a.txt", is_dir: false, size: 5 }, { name: "src", is_dir: true, size: 0 }]);
    expect((await call("ls", "src")).json).toEqual([{ name: "x.ts", is_dir: false, size: 9 }]);
    expect((await call("stat", "a.txt")).json).toMatchObject({ size: 5, is_dir: false });
    const read = await call("read", "a.txt");
    expect([read.ok, read.data.toString(), read.json]).toEqual([true, "hello", { size: 5 }]);
    const part = await call("read", "./src/../a.txt", { length: 3 });
    expect([part.data.toString(), part.json.size]).toEqual(["hel", 5]);
  });

  it("streams large files in chunks of at most FS_CHUNK_BYTES, ending with end:true", async () => {
    const { root, call } = await setup();
    const big = Buffer.alloc(FS_CHUNK_BYTES * 2 + 123, 7);
    await writeFile(join(root, "big.bin"), big);
    const r = await call("stream", "big.bin");
    expect(r.msgs.length).toBe(4);
    expect(r.msgs.slice(0, 3).every((m) => !m.end && m.data.byteLength <= FS_CHUNK_BYTES)).toBe(true);
    expect(r.msgs[3]!.end).toBe(true);
    expect(r.data.equals(big)).toBe(true);
  });

  it("refuses every escape with 'No such file or directory'", async () => {
    const { root, outside, call } = await setup();
    await symlink(join(outside, "secret.txt"), join(root, "link-to-secret"));
    await symlink("/etc", join(root, "etc-link"));
    await symlink(outside, join(root, "src", "outdir"));
    await symlink("/etc/passwd", join(root, "passwd"));
    const attempts: Array<["ls" | "read" | "stat" | "stream", string]> = [
      ["read", "../outside/secret.txt"],
      ["read", "src/../../outside/secret.txt"],
      ["read", "/etc/passwd"],
      ["read", join(outside, "secret.txt")],
      ["read", "link-to-secret"],
      ["read", "passwd"],
      ["ls", "etc-link"],
      ["read", "etc-link/passwd"],
      ["ls", "src/outdir"],
      ["read", "src/outdir/secret.txt"],
      ["stream", "src/outdir/secret.txt"],
      ["stat", "etc-link"],
      ["read", "a.txt\0../../outside/secret.txt"],
      ["ls", ".."],
      ["ls", "/"],
      ["read", "nope.txt"],
    ];
    for (const [op, path] of attempts) {
      const r = await call(op, path);
      expect({ op, path, ok: r.ok, error: r.error, data: r.data.length }).toEqual({ op, path, ok: false, error: "No such file or directory", data: 0 });
    }
    // A symlink that stays inside is fine.
    await symlink("a.txt", join(root, "alias.txt"));
    expect((await call("read", "alias.txt")).data.toString()).toBe("hello");
  });

  it("writes with createDirs and offsets, and never writes outside", async () => {
    const { root, outside, call } = await setup();
    const enc = new TextEncoder();
    const w = await call("write", "new/dir/f.txt", { data: enc.encode("abc"), length: 1 });
    expect([w.ok, w.json]).toEqual([true, { size: 3 }]);
    await call("write", "new/dir/f.txt", { data: enc.encode("def"), offset: 3 });
    expect(await readFile(join(root, "new", "dir", "f.txt"), "utf8")).toBe("abcdef");
    const noDirs = await call("write", "missing/f.txt", { data: enc.encode("x") });
    expect(noDirs.error).toBe("No such file or directory");
    await symlink(outside, join(root, "out"));
    await symlink(join(outside, "secret.txt"), join(root, "secret-link"));
    for (const path of ["../outside/pwned.txt", "out/pwned.txt", "out/sub/pwned.txt", "/tmp/pwned.txt", "secret-link", "."]) {
      const r = await call("write", path, { data: enc.encode("pwned"), length: 1 });
      expect({ path, ok: r.ok, error: r.error }).toEqual({ path, ok: false, error: "No such file or directory" });
    }
    expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
    await expect(readFile(join(outside, "pwned.txt"))).rejects.toThrow();
    await expect(readFile(join(outside, "sub", "pwned.txt"))).rejects.toThrow();
  });

  it("refuses everything with --no-fs", async () => {
    const { call } = await setup(false);
    for (const op of ["ls", "read", "stat", "stream"] as const) {
      const r = await call(op, op === "ls" ? "." : "a.txt");
      expect([r.ok, r.error]).toEqual([false, FS_DISABLED]);
    }
    expect((await call("write", "z.txt", { data: new Uint8Array([1]) })).ok).toBe(false);
  });

  it("answers directories read as files with an error, not a crash", async () => {
    const { call } = await setup();
    const r = await call("read", "src");
    expect([r.ok, r.error]).toEqual([false, "Is a directory"]);
  });

  it("streams the next chunk only once the link is no longer backed up", async () => {
    const { root } = await setup();
    await writeFile(join(root, "big.bin"), Buffer.alloc(FS_CHUNK_BYTES * 3, 7));
    const sent: Res[] = [];
    let queued = 5_000_000;
    const fs = new FsServer({ root, enabled: true, send: (m) => sent.push(m), pending: () => queued, highWater: 1_000_000 });
    const done = fs.handle({ t: "fsRequest", requestId: 1, op: "stream", path: "big.bin", userId: 0, offset: 0, length: 0, data: new Uint8Array(0) });
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
    expect(sent.map((m) => [m.data.byteLength, m.end])).toEqual([[FS_CHUNK_BYTES, false]]); // one chunk, then waiting
    queued = 1_000_000; // at the high-water mark: no longer above it
    await done;
    expect(sent.map((m) => [m.data.byteLength, m.end])).toEqual([[FS_CHUNK_BYTES, false], [FS_CHUNK_BYTES, false], [FS_CHUNK_BYTES, false], [0, true]]);
  });
});

describe("CLI filesystem server, link loss", () => {
  it("stops a stream waiting for the link when the link drops (abortAll), and closes the file", async () => {
    const { root } = await setup();
    await writeFile(join(root, "big.bin"), Buffer.alloc(FS_CHUNK_BYTES * 3, 7));
    const sent: Res[] = [];
    const fs = new FsServer({ root, enabled: true, send: (m) => sent.push(m), pending: () => 5_000_000, highWater: 1_000_000 });
    const done = fs.handle({ t: "fsRequest", requestId: 1, op: "stream", path: "big.bin", userId: 0, offset: 0, length: 0, data: new Uint8Array(0) });
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 5));
    fs.abortAll();
    const outcome = await Promise.race([done.then(() => "finished"), new Promise((r) => setTimeout(() => r("still waiting"), 1_000))]);
    expect(outcome).toBe("finished");
    expect(sent.map((m) => [m.data.byteLength, m.end])).toEqual([[FS_CHUNK_BYTES, false]]); // nothing after the drop
    // Requests after the drop are served as usual.
    await fs.handle({ t: "fsRequest", requestId: 2, op: "stat", path: "big.bin", userId: 0, offset: 0, length: 0, data: new Uint8Array(0) });
    expect(sent.at(-1)).toMatchObject({ requestId: 2, ok: true, end: true });
  });
});
