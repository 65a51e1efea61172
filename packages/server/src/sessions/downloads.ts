/**
 * Staged downloads (§11.3.1, §11.3.5): `file/stream` copies a file from the CLI into a private temp
 * directory and hands out `/api/s/{session_id}/download/{token}`. Tokens are 24 base62 characters,
 * bound to the session, reusable (range requests) until they expire (10 minutes by default); the
 * staged copy is deleted when the token expires or the session ends. Expired tokens answer 410 for
 * one more lifetime (at least a minute), then are forgotten (404).
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { randomBase62 } from "@taiku/crypto";

/** An expired token answers 410 for at least this long (then 404). */
const TOMBSTONE_MIN_MS = 60_000;

export interface Staged {
  token: string;
  sessionId: string;
  file: string;
  name: string;
  size: number;
  expiresAt: number;
}

interface Entry extends Staged {
  ttlMs: number;
  timer: NodeJS.Timeout | null;
  expired: boolean;
}

export class DownloadStore {
  private dir: Promise<string> | null = null;
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(
    private readonly now: () => number,
    private readonly root: string = tmpdir(),
  ) {}

  /** A fresh path in the staging directory (created 0700 on first use). */
  async newPath(): Promise<string> {
    this.dir ??= mkdtemp(join(this.root, "taiku-downloads-"));
    return join(await this.dir, `${Date.now().toString(36)}-${++this.seq}`);
  }

  add(sessionId: string, file: string, name: string, size: number, ttlMs: number): Staged {
    const token = randomBase62(24);
    const entry: Entry = { token, sessionId, file, name, size, expiresAt: this.now() + ttlMs, ttlMs, timer: null, expired: false };
    entry.timer = setTimeout(() => this.expire(entry, ttlMs), ttlMs);
    entry.timer.unref?.();
    this.entries.set(token, entry);
    return entry;
  }

  /** `expired` → 410; undefined → 404. */
  get(sessionId: string, token: string): Staged | "expired" | undefined {
    const e = this.entries.get(token);
    if (!e || e.sessionId !== sessionId) return undefined;
    if (e.expired || e.expiresAt <= this.now()) {
      if (!e.expired) {
        if (e.timer) clearTimeout(e.timer);
        this.expire(e, e.ttlMs);
      }
      return "expired";
    }
    return e;
  }

  /** The session ended: every staged copy of it goes now (its tokens then answer 404). */
  dropSession(sessionId: string): void {
    for (const e of [...this.entries.values()]) {
      if (e.sessionId !== sessionId) continue;
      if (e.timer) clearTimeout(e.timer);
      this.entries.delete(e.token);
      void rm(e.file, { force: true });
    }
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
    if (this.dir) await rm(await this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** How many staged files exist on disk (tests). */
  async stagedFiles(): Promise<number> {
    let n = 0;
    for (const e of this.entries.values()) if (await stat(e.file).then(() => true, () => false)) n++;
    return n;
  }

  private expire(e: Entry, keepMs: number): void {
    e.expired = true;
    void rm(e.file, { force: true });
    e.timer = setTimeout(() => this.entries.delete(e.token), Math.max(keepMs, TOMBSTONE_MIN_MS));
    e.timer.unref?.();
  }
}

const TYPES: Record<string, string> = {
  ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".log": "text/plain; charset=utf-8",
  ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".ts": "text/plain; charset=utf-8",
  ".json": "application/json", ".csv": "text/csv; charset=utf-8", ".xml": "application/xml", ".svg": "image/svg+xml",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
  ".ico": "image/x-icon", ".pdf": "application/pdf", ".zip": "application/zip", ".gz": "application/gzip",
  ".tar": "application/x-tar", ".wasm": "application/wasm",
  ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/mp4",
  ".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime",
};

export const contentTypeOf = (name: string): string => TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";

/** One `bytes=` range (RFC 9110 §14.1.2) against `size`: `null` = unsatisfiable, `undefined` = ignore the header. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // multiple or malformed ranges: whole file
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

export const openStaged = (file: string, range?: { start: number; end: number }) =>
  createReadStream(file, range ? { start: range.start, end: range.end } : {});
