/**
 * Plugin file names and their content types (§9.5). A stored name is one path segment on disk, so
 * the rule is an allow-list rather than a deny-list: it cannot spell a separator, a control
 * character, a dotfile (our temp files start with a dot) or `..`.
 */
import { extname } from "node:path";
import { MIME } from "../http/static.js";

/** Letters, digits, `.`, `_`, `-`; first character alphanumeric; at most 255 bytes. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function isSafeFileName(name: string): boolean {
  return NAME_RE.test(name) && !name.includes("..");
}

/** Media and document types plugins store (Music Player audio, reports) besides the web app's types. */
const STORAGE_MIME: Record<string, string> = {
  ...MIME,
  ".mp3": "audio/mpeg",
  ".m4a": "audio/mp4",
  ".aac": "audio/aac",
  ".ogg": "audio/ogg",
  ".oga": "audio/ogg",
  ".opus": "audio/opus",
  ".wav": "audio/wav",
  ".flac": "audio/flac",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".pdf": "application/pdf",
  ".csv": "text/csv; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".xml": "application/xml",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".avif": "image/avif",
};

export const contentTypeFor = (name: string): string => STORAGE_MIME[extname(name).toLowerCase()] ?? "application/octet-stream";
