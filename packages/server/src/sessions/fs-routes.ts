/**
 * CLI-backed filesystem routes (§11.3.5) and staged downloads (§11.3.1). The relay forwards each
 * request to the session's CLI (`fsRequest`), which confines every path to the session directory;
 * this module maps outcomes to the documented texts and enforces the limits: 4 concurrent reads per
 * user (HTTP callers are told apart by session and client address), 15 s CLI answer timeout, 1 MiB
 * default / 8 MiB max `file` reads, ≤ 512 MiB staged per stream, ≤ 32 MiB per `PUT`.
 */
import { open, rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ERRORS } from "@taiku/protocol";
import { HttpError, sendText } from "../http/errors.js";
import type { FsCall, FsOutcome, Relay, SessionAccess } from "../seams.js";
import { type NonceStore, requireSession } from "./auth.js";
import { contentTypeOf, type DownloadStore, openStaged, parseRange } from "./downloads.js";

export const FILE_DEFAULT_MAX_BYTES = 1024 * 1024;
export const FILE_MAX_BYTES = 8 * 1024 * 1024;
/** Staged downloads are user content on the app origin (see the download route). */
export const STAGED_FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";
/** Size of each `write` request sent to the CLI (the link carries one CBOR message per frame). */
export const WRITE_CHUNK_BYTES = 512 * 1024;
/** For `write`, FsRequest.length carries flags: bit 0 = create missing parent directories. */
export const WRITE_FLAG_CREATE_DIRS = 1;

type Q = { path?: string; encoding?: string; maxBytes?: string; createDirs?: string };
type Req = FastifyRequest<{ Params: { id: string }; Querystring: Q }>;

export interface FsRouteDeps {
  relay: () => Relay;
  nonces: NonceStore;
  downloads: DownloadStore;
}

/** Concurrent reads per (session, client address). */
class ReadSlots {
  private readonly inUse = new Map<string, number>();
  async run<T>(key: string, max: number, fn: () => Promise<T>): Promise<T> {
    const n = this.inUse.get(key) ?? 0;
    if (n >= max) throw new HttpError(503, ERRORS.tooManyReads);
    this.inUse.set(key, n + 1);
    try {
      return await fn();
    } finally {
      const left = (this.inUse.get(key) ?? 1) - 1;
      if (left <= 0) this.inUse.delete(key);
      else this.inUse.set(key, left);
    }
  }
}

function requirePath(q: Q): string {
  if (q.path === undefined || q.path === "") throw new HttpError(400, ERRORS.pathRequired);
  return q.path;
}

/** Maps a failed outcome to the documented status and text. `notFoundAs404`: file routes only. */
function fail(o: Extract<FsOutcome, { ok: false }>, notFoundAs404: boolean): never {
  switch (o.kind) {
    case "notConnected":
      throw new HttpError(502, ERRORS.cliNotConnected);
    case "timeout":
      throw new HttpError(504, ERRORS.cliNoResponse);
    case "tooLarge":
      throw new HttpError(413, "File too large.");
    case "cli":
      if (notFoundAs404 && o.error === ERRORS.noSuchFile) throw new HttpError(404, ERRORS.noSuchFile);
      throw new HttpError(502, ERRORS.cliReadError);
  }
}

async function readBody(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    total += b.byteLength;
    if (total > max) {
      stream.destroy();
      throw new HttpError(413, "File too large.");
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function registerFsRoutes(app: FastifyInstance, deps: FsRouteDeps): void {
  const slots = new ReadSlots();
  const call = async (access: SessionAccess, c: FsCall, notFoundAs404: boolean) => {
    const o = await access.fs(c);
    if (!o.ok) fail(o, notFoundAs404);
    return o;
  };
  const reading = <T>(req: Req, access: SessionAccess, fn: () => Promise<T>) =>
    slots.run(`${access.sessionId}\n${req.ip}`, access.settings.fsReadsPerUser, fn);

  app.get<{ Params: { id: string }; Querystring: Q }>("/api/v1/sessions/:id/ls", async (req) => {
    const { access } = await requireSession(deps.relay(), deps.nonces, req, "writer");
    const path = req.query.path || ".";
    return reading(req, access, async () => {
      const o = await call(access, { op: "ls", path, userId: 0 }, false);
      if (!Array.isArray(o.json)) throw new HttpError(502, ERRORS.cliReadError);
      return o.json;
    });
  });

  app.get<{ Params: { id: string }; Querystring: Q }>("/api/v1/sessions/:id/file", async (req) => {
    const { access } = await requireSession(deps.relay(), deps.nonces, req, "writer");
    const path = requirePath(req.query);
    const encoding = req.query.encoding ?? "utf8";
    if (encoding !== "utf8" && encoding !== "base64") throw new HttpError(400, "encoding must be utf8 or base64");
    let maxBytes = FILE_DEFAULT_MAX_BYTES;
    if (req.query.maxBytes !== undefined) {
      if (!/^\d+$/.test(req.query.maxBytes)) throw new HttpError(400, "maxBytes must be a non-negative integer");
      maxBytes = Math.min(Number(req.query.maxBytes), FILE_MAX_BYTES);
    }
    return reading(req, access, async () => {
      if (maxBytes === 0) {
        // `length: 0` means "to the end" on the wire: ask for the size only.
        const st = await call(access, { op: "stat", path, userId: 0 }, true);
        const size = Number((st.json as { size?: unknown })?.size ?? 0);
        return { path, encoding, size, truncated: size > 0, content: "" };
      }
      const o = await call(access, { op: "read", path, userId: 0, offset: 0, length: maxBytes, maxBytes }, true);
      const size = typeof (o.json as { size?: unknown })?.size === "number" ? (o.json as { size: number }).size : o.data.byteLength;
      const buf = Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength);
      return {
        path, encoding, size, truncated: size > buf.byteLength,
        content: encoding === "base64" ? buf.toString("base64") : new TextDecoder().decode(buf),
      };
    });
  });

  app.get<{ Params: { id: string }; Querystring: Q }>("/api/v1/sessions/:id/file/stream", async (req, reply) => {
    const path = requirePath(req.query);
    const { access } = await requireSession(deps.relay(), deps.nonces, req, "viewer", ERRORS.sessionNotFound);
    return reading(req, access, async () => {
      let file: string;
      let fh: Awaited<ReturnType<typeof open>>;
      try {
        file = await deps.downloads.newPath();
        fh = await open(file, "wx", 0o600);
      } catch {
        throw new HttpError(503, "Cannot stage the file on the server");
      }
      let o: FsOutcome;
      try {
        o = await access.fs({
          op: "stream", path, userId: 0, offset: 0, length: 0, maxBytes: access.settings.fsStageMaxBytes,
          onData: async (chunk) => void (await fh.write(chunk)),
        });
      } finally {
        await fh.close().catch(() => undefined);
      }
      if (!o.ok) {
        await rm(file, { force: true });
        fail(o, true);
      }
      const name = path.split("/").pop() || "download";
      const staged = deps.downloads.add(access.sessionId, file, name, o.bytes, access.settings.downloadTokenMs);
      const url = `/api/s/${encodeURIComponent(access.sessionId)}/download/${staged.token}`;
      return reply.type("text/plain; charset=utf-8").send(`${url}\t${o.bytes}`);
    });
  });

  // Raw bodies for PUT …/file only (own scope): any content type, streamed and size-checked here.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
    scope.put<{ Params: { id: string }; Querystring: Q }>("/api/v1/sessions/:id/file", { bodyLimit: Number.MAX_SAFE_INTEGER }, async (req, reply) => {
      const { access } = await requireSession(deps.relay(), deps.nonces, req, "writer");
      const path = requirePath(req.query);
      const createDirs = req.query.createDirs === "1" || req.query.createDirs === "true";
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > access.settings.fsWriteMaxBytes) {
        // Refuse before reading; the connection closes so the unread body is not parsed as a request.
        reply.header("connection", "close");
        throw new HttpError(413, "File too large.");
      }
      const body = req.body ? await readBody(req.body as Readable, access.settings.fsWriteMaxBytes) : Buffer.alloc(0);
      let offset = 0;
      do {
        const data = body.subarray(offset, offset + WRITE_CHUNK_BYTES);
        await call(access, { op: "write", path, userId: 0, offset, length: createDirs ? WRITE_FLAG_CREATE_DIRS : 0, data }, true);
        offset += data.byteLength;
      } while (offset < body.byteLength);
      return { ok: true, size: body.byteLength };
    });
  });

  app.get<{ Params: { id: string; token: string } }>("/api/s/:id/download/:token", async (req, reply: FastifyReply) => {
    const staged = deps.downloads.get(req.params.id, req.params.token);
    if (staged === undefined) throw new HttpError(404, ERRORS.noSuchFile);
    if (staged === "expired") throw new HttpError(410, "Download expired");
    const rangeHeader = req.headers.range;
    const range = parseRange(Array.isArray(rangeHeader) ? rangeHeader[0] : rangeHeader, staged.size);
    reply.header("accept-ranges", "bytes");
    const type = contentTypeOf(staged.name);
    reply.header("content-type", type);
    // The bytes come from the sharing machine, served from the app origin: an HTML or SVG file opened
    // directly (a link in chat, a plugin's popup of its getFileUrl) runs sandboxed with an opaque origin,
    // never with the app's cookie and storage. PDFs are left alone: browsers refuse to render them sandboxed.
    if (type !== "application/pdf") reply.header("content-security-policy", STAGED_FILE_CSP);
    reply.header("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(staged.name)}`);
    reply.header("cache-control", "private, no-store");
    if (range === null) {
      reply.header("content-range", `bytes */${staged.size}`);
      return sendText(reply, 416, "Range Not Satisfiable");
    }
    if (range) {
      reply.code(206);
      reply.header("content-range", `bytes ${range.start}-${range.end}/${staged.size}`);
      reply.header("content-length", String(range.end - range.start + 1));
      return reply.send(openStaged(staged.file, range));
    }
    reply.header("content-length", String(staged.size));
    return reply.send(openStaged(staged.file));
  });
}
