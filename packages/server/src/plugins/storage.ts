/**
 * Plugin file storage routes (§11.3.6): user-scoped under /api/v1/storage and the session-scoped
 * forms that serve the session owner. Bodies are raw bytes (PUT) or multipart (upload) and are
 * streamed to disk, never buffered whole.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ERRORS } from "@taiku/protocol";
import { createRateLimiter, type RateLimiter } from "../accounts/rate-limit.js";
import { HttpError } from "../http/errors.js";
import type { PluginFileStore, StoredFile } from "./file-store.js";
import { isSafeFileName } from "./filenames.js";
import { type OwnerDeps, resolveReadTarget, resolveTarget, type ScopeParams, scopedPrefixes, type Target } from "./owner.js";
import type { PluginStorageLimits } from "./settings.js";
import { PLUGIN_TEXT } from "./texts.js";

type FileParams = ScopeParams & { filename: string };

export interface StorageRouteDeps extends OwnerDeps {
  store: PluginFileStore;
  limits: PluginStorageLimits;
  now: () => number;
}

/**
 * Stored files are user content served from the app origin: `sandbox` keeps an uploaded HTML or SVG
 * file from running as the app if someone navigates to it, and `attachment` keeps browsers from
 * rendering it inline at all. Fetches by the host page and media elements are unaffected.
 */
const STORED_FILE_CSP = "default-src 'none'; sandbox";

export async function registerStorageRoutes(app: FastifyInstance, deps: StorageRouteDeps): Promise<void> {
  const { store, limits } = deps;
  const reads = createRateLimiter(limits.readsPerWindow, limits.rateWindowMs, deps.now);
  const writes = createRateLimiter(limits.writesPerWindow, limits.rateWindowMs, deps.now);
  const limit = (limiter: RateLimiter, t: Target, text: string) => {
    if (!limiter.hit(`${t.accountId}\n${t.pluginId}`)) throw new HttpError(429, text);
  };
  const checkName = (name: string): string => {
    if (!isSafeFileName(name)) throw new HttpError(400, ERRORS.invalidFilename);
    return name;
  };
  /** Anything unexpected below the routes is the storage backend failing (§11.4). */
  const storage = async <T>(req: FastifyRequest, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      req.log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, "plugin storage failure");
      throw new HttpError(500, ERRORS.storageFailure);
    }
  };

  // This scope takes every body as a raw stream (files may be JSON or text too) plus multipart.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
  await app.register(multipart, { preservePath: true, limits: { files: 1, fields: 8, parts: 9, fileSize: limits.maxFileBytes + 1 } });

  for (const prefix of scopedPrefixes("storage")) {
    // Reads say `Session not found` and writes `Session not found.`, exactly as §11.3.6 lists them.
    const readTarget = (req: FastifyRequest<{ Params: ScopeParams }>) => resolveTarget(deps, req, ERRORS.sessionNotFound);
    const writeTarget = (req: FastifyRequest<{ Params: ScopeParams }>) => resolveTarget(deps, req, ERRORS.sessionNotFoundDot);

    app.get<{ Params: ScopeParams }>(`${prefix}/:pluginId`, async (req) => {
      const t = await readTarget(req);
      limit(reads, t, ERRORS.readRateLimited);
      return storage(req, () => store.usage(t));
    });

    app.post<{ Params: ScopeParams }>(`${prefix}/:pluginId/upload`, async (req) => {
      const t = await writeTarget(req);
      limit(writes, t, ERRORS.rateLimited);
      if (!req.isMultipart()) throw new HttpError(400, ERRORS.invalidUpload);
      const part = await req.file().catch(() => undefined);
      if (!part || part.fieldname !== "file" || !part.filename) {
        part?.file.resume();
        throw new HttpError(400, ERRORS.invalidUpload);
      }
      if (!isSafeFileName(part.filename)) {
        part.file.resume();
        throw new HttpError(400, ERRORS.invalidFilename);
      }
      const { size } = await storage(req, () => store.write(t, part.filename, part.file));
      return { ok: true, filename: part.filename, size };
    });

    app.put<{ Params: FileParams }>(`${prefix}/:pluginId/:filename`, async (req) => {
      const t = await writeTarget(req);
      const name = checkName(req.params.filename);
      limit(writes, t, ERRORS.writeRateLimited);
      const body = (req.body as Readable | undefined) ?? req.raw;
      const declared = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
      const { size } = await storage(req, () => store.write(t, name, body, Number.isFinite(declared) ? declared : undefined));
      return { ok: true, size };
    });

    // Also readable with session viewer auth: the session owner's file, for every participant (§9.5).
    app.get<{ Params: FileParams }>(`${prefix}/:pluginId/:filename`, async (req, reply) => {
      const t = await resolveReadTarget(deps, req, ERRORS.sessionNotFound);
      const name = checkName(req.params.filename);
      limit(reads, t, ERRORS.readRateLimited);
      const file = await storage(req, () => store.stat(t, name));
      if (!file) throw new HttpError(404, PLUGIN_TEXT.fileNotFound);
      return sendStored(req, reply, store.path(t, name), file);
    });

    app.delete<{ Params: FileParams }>(`${prefix}/:pluginId/:filename`, async (req) => {
      const t = await writeTarget(req);
      const name = checkName(req.params.filename);
      limit(writes, t, ERRORS.writeRateLimited);
      if (!(await storage(req, () => store.delete(t, name)))) throw new HttpError(404, PLUGIN_TEXT.fileNotFound);
      return { ok: true };
    });
  }
}

/** Sends a stored file, or the single byte range asked for (`Range: bytes=a-b`, `a-`, `-n`). */
async function sendStored(req: FastifyRequest, reply: FastifyReply, path: string, file: StoredFile): Promise<FastifyReply> {
  reply
    .header("content-type", file.contentType)
    .header("accept-ranges", "bytes")
    .header("cache-control", "private, no-cache")
    .header("last-modified", new Date(file.updatedAt).toUTCString())
    .header("content-security-policy", STORED_FILE_CSP)
    .header("content-disposition", `attachment; filename="${file.name}"`);
  const range = parseRange(req.headers.range, file.size);
  if (range === "unsatisfiable") {
    return reply.code(416).header("content-range", `bytes */${file.size}`).type("text/plain; charset=utf-8").send("Range not satisfiable");
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  if (range) reply.code(206).header("content-range", `bytes ${start}-${end}/${file.size}`);
  reply.header("content-length", Math.max(0, end - start + 1));
  if (file.size === 0) return reply.send(Buffer.alloc(0));
  const stream = createReadStream(path, { start, end });
  // Open the file before answering, so a missing or unreadable file is a clean 500, not a cut-off body.
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  }).catch((err: unknown) => {
    req.log.error({ err: { message: (err as Error).message } }, "plugin storage read failure");
    throw new HttpError(500, ERRORS.storageFailure);
  });
  return reply.send(stream);
}

/** null = no (usable) Range header, serve everything; multi-range requests are served whole too. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return null;
  }
  return start >= size ? "unsatisfiable" : { start, end };
}
