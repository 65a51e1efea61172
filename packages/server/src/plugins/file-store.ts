/**
 * Plugin file storage (§9.5): bytes on disk at `<root>/<accountId>/<pluginId>/<name>`, metadata rows in
 * `plugin_files`. A write streams into a dot-named temp file in the same directory, is counted
 * against the limits as it arrives, and becomes visible only through a rename committed together
 * with its metadata row, so a rejected or failed write leaves nothing behind and the old file intact.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ERRORS } from "@taiku/protocol";
import type { Db } from "../db/database.js";
import { HttpError } from "../http/errors.js";
import { contentTypeFor } from "./filenames.js";
import type { Target } from "./owner.js";
import type { PluginStorageLimits } from "./settings.js";

export interface StoredFile {
  name: string;
  size: number;
  contentType: string;
  updatedAt: number;
}

export interface StorageUsage {
  /** Bytes and files of this plugin. */
  totalBytes: number;
  fileCount: number;
  files: Array<{ name: string; size: number; updatedAt: number }>;
  /** The account's quota across all plugins, how much of it is used, and the per-file maximum. */
  quotaBytes: number;
  usedBytes: number;
  maxFileBytes: number;
}

const quotaError = () => new HttpError(413, ERRORS.quotaExceeded);
const storageError = () => new HttpError(500, ERRORS.storageFailure);

/** Thrown inside the pipeline when the upload passes its allowance. */
class OverLimit extends Error {}

export class PluginFileStore {
  /** Commits run one at a time per account so two uploads cannot both fit into the same free space. */
  private readonly commits = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly root: string,
    private readonly limits: PluginStorageLimits,
    private readonly now: () => number,
  ) {}

  /** On-disk path of a stored file. Callers pass validated names; ids come from our own regexes. */
  path(t: Target, name: string): string {
    return join(this.root, t.accountId, t.pluginId, name);
  }

  async usage(t: Target): Promise<StorageUsage> {
    const rows = await this.db
      .selectFrom("plugin_files")
      .select(["name", "size", "updated_at"])
      .where("account_id", "=", t.accountId)
      .where("plugin_id", "=", t.pluginId)
      .orderBy("name")
      .execute();
    const files = rows.map((r) => ({ name: r.name, size: Number(r.size), updatedAt: Number(r.updated_at) }));
    return {
      totalBytes: files.reduce((sum, f) => sum + f.size, 0),
      fileCount: files.length,
      files,
      quotaBytes: this.limits.quotaBytes,
      usedBytes: await this.accountBytes(t.accountId),
      maxFileBytes: this.limits.maxFileBytes,
    };
  }

  async stat(t: Target, name: string): Promise<StoredFile | undefined> {
    const row = await this.db
      .selectFrom("plugin_files")
      .select(["name", "size", "content_type", "updated_at"])
      .where("account_id", "=", t.accountId)
      .where("plugin_id", "=", t.pluginId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row && { name: row.name, size: Number(row.size), contentType: row.content_type, updatedAt: Number(row.updated_at) };
  }

  /**
   * Stores `source` as `name`, replacing any file of that name. `declaredBytes` (Content-Length)
   * lets an oversized upload be refused before a byte is written.
   */
  async write(t: Target, name: string, source: Readable, declaredBytes?: number): Promise<{ size: number }> {
    const allowance = await this.allowance(t, name);
    if (declaredBytes !== undefined && declaredBytes > allowance) {
      source.resume(); // discard the body so the client gets the answer instead of a reset
      throw quotaError();
    }
    const dir = join(this.root, t.accountId, t.pluginId);
    // Not derived from `name`: a 255-byte name plus a suffix would pass the file system's name limit.
    const temp = join(dir, `.upload-${randomBytes(8).toString("hex")}.tmp`);
    let size = 0;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(size > allowance ? new OverLimit() : null, chunk);
        },
      });
      await pipeline(source, counter, createWriteStream(temp, { mode: 0o600 }));
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      if (err instanceof OverLimit) {
        source.resume();
        throw quotaError();
      }
      if (err instanceof HttpError || isClientAbort(err)) throw err;
      throw storageError();
    }
    await this.commit(t, name, temp, size);
    return { size };
  }

  /** False when there was no such file. */
  async delete(t: Target, name: string): Promise<boolean> {
    return this.exclusive(t.accountId, async () => {
      if (!(await this.stat(t, name))) return false;
      await this.db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("plugin_files")
          .where("account_id", "=", t.accountId)
          .where("plugin_id", "=", t.pluginId)
          .where("name", "=", name)
          .execute();
        // Inside the transaction: if the unlink fails the row stays and the file remains listed.
        await rm(this.path(t, name), { force: true });
      });
      return true;
    });
  }

  /** Bytes this upload may have: the per-file maximum, the account's free space and the file count cap. */
  private async allowance(t: Target, name: string): Promise<number> {
    const existing = await this.stat(t, name);
    if (!existing) {
      const count = await this.db
        .selectFrom("plugin_files")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("account_id", "=", t.accountId)
        .where("plugin_id", "=", t.pluginId)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= this.limits.maxFilesPerPlugin) throw quotaError();
    }
    const free = this.limits.quotaBytes - ((await this.accountBytes(t.accountId)) - (existing?.size ?? 0));
    return Math.max(0, Math.min(this.limits.maxFileBytes, free));
  }

  /** Re-checks the limits against the current totals, then publishes the temp file with its row. */
  private async commit(t: Target, name: string, temp: string, size: number): Promise<void> {
    await this.exclusive(t.accountId, async () => {
      try {
        if (size > (await this.allowance(t, name))) throw quotaError();
        const row = { size, content_type: contentTypeFor(name), updated_at: this.now() };
        await this.db.transaction().execute(async (trx) => {
          await trx
            .insertInto("plugin_files")
            .values({ account_id: t.accountId, plugin_id: t.pluginId, name, ...row })
            .onConflict((oc) => oc.columns(["account_id", "plugin_id", "name"]).doUpdateSet(row))
            .execute();
          await rename(temp, this.path(t, name)); // a failed rename rolls the row back
        });
      } catch (err) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw err instanceof HttpError ? err : storageError();
      }
    });
  }

  private async accountBytes(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom("plugin_files")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("size"), eb.lit(0)).as("total"))
      .where("account_id", "=", accountId)
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  private exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.commits.get(accountId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.commits.set(accountId, tail);
    void tail.then(() => {
      if (this.commits.get(accountId) === tail) this.commits.delete(accountId);
    });
    return run;
  }
}

/** The client went away mid-upload: nothing to answer, and not a storage failure. */
function isClientAbort(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ABORT_ERR";
}
