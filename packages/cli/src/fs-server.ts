/**
 * The CLI side of the CLI-backed filesystem (spec §2.3 FsRequest/FsResponse, §11.3.5). Every path is
 * resolved relative to the session directory; absolute paths, NUL bytes, `..` escapes and symlinks
 * that resolve outside the directory (checked with realpath, for the file and for every parent) are
 * answered `No such file or directory` — the same answer as a file that does not exist, so a probe
 * learns nothing about the rest of the machine. `--no-fs` refuses every request.
 *
 * Answers: `ls` → json `[{name, is_dir, size}]`; `stat` → json `{size, is_dir, mtime}`; `read` /
 * `stream` → `data` chunks (≤ 256 KiB each, the server accepts 1 MiB frames) then `end` with json
 * `{size}` (the whole file's size; `read` stops after `length` bytes when `length` > 0); `write` →
 * writes `data` at `offset` (0 truncates/creates; `length` bit 0 = create missing parent
 * directories) → json `{size}`.
 */
import { lstat, mkdir, open, readdir, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { CliDownMsg, CliUpMsg } from "@taiku/protocol";
import { whenBelow, type LinkBackpressure } from "./link-drain.js";

export const NO_SUCH_FILE = "No such file or directory";
export const FS_DISABLED = "Filesystem access is disabled on this CLI (--no-fs)";
export const FS_CHUNK_BYTES = 256 * 1024;
/** `ls` answers must fit the server's 1 MiB inbound frame; longer listings are cut. */
export const LS_MAX_JSON_BYTES = 768 * 1024;
export const WRITE_FLAG_CREATE_DIRS = 1;

type FsRequest = CliDownMsg<"fsRequest">;
type FsResponse = CliUpMsg<"fsResponse">;

/** Streaming a file waits while the link is backed up (`pending`, `highWater`). */
export interface FsServerOptions extends LinkBackpressure {
  /** The session directory. */
  root: string;
  /** false with `--no-fs`. */
  enabled: boolean;
  send(msg: FsResponse): void;
}

class Refused extends Error {}
const EMPTY = new Uint8Array(0);
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

export class FsServer {
  private rootReal: Promise<string> | null = null;
  /** Bumped by `abortAll`: a read started under an older generation stops. */
  private generation = 0;

  constructor(private readonly opts: FsServerOptions) {}

  /** The link dropped or the session ended: the server failed the requests in flight, so reads stop sending. */
  abortAll(): void {
    this.generation++;
  }

  async handle(req: FsRequest): Promise<void> {
    const reply = (m: Partial<FsResponse>) =>
      this.opts.send({ t: "fsResponse", requestId: req.requestId, ok: true, error: "", json: EMPTY, data: EMPTY, end: true, ...m });
    try {
      if (!this.opts.enabled) throw new Error(FS_DISABLED);
      switch (req.op) {
        case "ls":
          return reply({ json: json(await this.ls(req.path)) });
        case "stat": {
          const st = await stat(await this.existing(req.path));
          return reply({ json: json({ size: st.size, is_dir: st.isDirectory(), mtime: st.mtimeMs }) });
        }
        case "read":
        case "stream":
          return await this.read(req, reply);
        case "write":
          return reply({ json: json(await this.write(req)) });
      }
    } catch (err) {
      reply({ ok: false, error: errorText(err) });
    }
  }

  /** Lexical checks, then the real path of the root. */
  private async lexical(path: string): Promise<{ root: string; target: string }> {
    if (typeof path !== "string" || path.includes("\0") || isAbsolute(path) || path.startsWith("\\")) throw new Refused();
    this.rootReal ??= realpath(this.opts.root);
    const root = await this.rootReal;
    const target = resolve(root, path === "" ? "." : path);
    if (!inside(root, target)) throw new Refused();
    return { root, target };
  }

  /** The real path of an existing file or directory inside the root. */
  async existing(path: string): Promise<string> {
    const { root, target } = await this.lexical(path);
    const real = await realpath(target).catch(() => {
      throw new Refused();
    });
    if (!inside(root, real)) throw new Refused();
    return real;
  }

  private async ls(path: string): Promise<Array<{ name: string; is_dir: boolean; size: number }>> {
    const dir = await this.existing(path || ".");
    const entries = await readdir(dir, { withFileTypes: true });
    const out: Array<{ name: string; is_dir: boolean; size: number }> = [];
    let bytes = 2;
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      let isDir = e.isDirectory();
      let size = 0;
      try {
        const st = await stat(join(dir, e.name)); // follows symlinks; a dangling one keeps size 0
        isDir = st.isDirectory();
        size = isDir ? 0 : st.size;
      } catch {
        // broken link or vanished entry: listed as a plain entry
      }
      const row = { name: e.name, is_dir: isDir, size };
      bytes += JSON.stringify(row).length * 3 + 1;
      if (bytes > LS_MAX_JSON_BYTES) break;
      out.push(row);
    }
    return out;
  }

  private async read(req: FsRequest, reply: (m: Partial<FsResponse>) => void): Promise<void> {
    const generation = this.generation;
    const aborted = () => this.generation !== generation;
    const file = await this.existing(req.path);
    const fh = await open(file, "r");
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw Object.assign(new Error("Is a directory"), { code: "EISDIR" });
      const limit = req.op === "read" && req.length > 0 ? req.length : Number.POSITIVE_INFINITY;
      let pos = req.offset;
      let sent = 0;
      const buf = Buffer.alloc(FS_CHUNK_BYTES);
      for (;;) {
        const want = Math.min(FS_CHUNK_BYTES, limit - sent);
        if (want <= 0) break;
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (aborted()) return;
        if (bytesRead === 0) break;
        pos += bytesRead;
        sent += bytesRead;
        reply({ data: Uint8Array.from(buf.subarray(0, bytesRead)), end: false });
        await whenBelow(this.opts, { pollMs: 10, stop: aborted });
        if (aborted()) return;
      }
      reply({ json: json({ size: st.size }) });
    } finally {
      await fh.close();
    }
  }

  private async write(req: FsRequest): Promise<{ size: number }> {
    const { root, target } = await this.lexical(req.path);
    if (target === root) throw new Refused();
    const parent = dirname(target);
    if ((req.length & WRITE_FLAG_CREATE_DIRS) !== 0) {
      // The deepest existing ancestor must be inside the root before anything is created under it.
      let probe = parent;
      while (!(await lstat(probe).then(() => true, () => false))) probe = dirname(probe);
      const realProbe = await realpath(probe).catch(() => {
        throw new Refused();
      });
      if (!inside(root, realProbe)) throw new Refused();
      await mkdir(parent, { recursive: true });
    }
    const realParent = await realpath(parent).catch(() => {
      throw new Refused();
    });
    if (!inside(root, realParent)) throw new Refused();
    let file = join(realParent, target.slice(parent.length + 1));
    const existing = await lstat(file).catch(() => null);
    if (existing?.isSymbolicLink()) {
      const real = await realpath(file).catch(() => {
        throw new Refused(); // a dangling link could point anywhere
      });
      if (!inside(root, real)) throw new Refused();
      file = real;
    }
    const fh = await open(file, req.offset === 0 ? "w" : "r+");
    try {
      if (req.offset > 0 && (await fh.stat()).size !== req.offset) throw new Error("write out of order");
      if (req.data.byteLength > 0) await fh.write(req.data, 0, req.data.byteLength, req.offset);
      return { size: req.offset + req.data.byteLength };
    } finally {
      await fh.close();
    }
  }
}

function errorText(err: unknown): string {
  if (err instanceof Refused) return NO_SUCH_FILE;
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
    case "ELOOP":
      return NO_SUCH_FILE;
    case "EISDIR":
      return "Is a directory";
    case "EACCES":
    case "EPERM":
      return "Permission denied";
    default:
      return (err as Error)?.message === FS_DISABLED ? FS_DISABLED : "I/O error";
  }
}
