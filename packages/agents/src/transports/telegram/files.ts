/** `/file put|get` path rules (spec §7.12): relative paths inside the run root, deny globs. */
import { posix, relative, resolve, sep } from "node:path";

export const UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024;
export const DOWNLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

function globToRegex(glob: string): RegExp {
  let re = "";
  for (const c of glob) {
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** PurePosixPath.match: a relative pattern matches the trailing segments; `**` acts like `*`. */
export function matchesGlob(path: string, glob: string): boolean {
  const segs = path.split("/").filter(Boolean);
  const pats = glob.split("/").filter(Boolean);
  if (pats.length > segs.length) return false;
  const tail = segs.slice(segs.length - pats.length);
  return pats.every((p, i) => globToRegex(p === "**" ? "*" : p).test(tail[i]!));
}

/** Validates a user path; returns the normalised relative POSIX path or an error text. */
export function checkRelativePath(raw: string, root: string, denyGlobs: readonly string[]): { path: string; abs: string } | { error: string } {
  const p = raw.trim();
  if (!p) return { error: "path is required." };
  if (p.startsWith("~") || p.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(p)) return { error: "path must be relative." };
  const norm = posix.normalize(p.replace(/\\/g, "/"));
  const segs = norm.split("/");
  if (segs.includes("..") || p.split(/[\\/]/).includes("..")) return { error: "path must not contain `..`." };
  if (segs.includes(".git")) return { error: "`.git` paths are not allowed." };
  if (denyGlobs.some((g) => matchesGlob(norm, g))) return { error: `path is denied: ${norm}` };
  const abs = resolve(root, norm);
  const rel = relative(resolve(root), abs);
  if (rel.startsWith("..") || rel.startsWith(sep)) return { error: "path escapes the project root." };
  return { path: norm, abs };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} b`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kb`;
  return `${(n / 1024 / 1024).toFixed(1)} mb`;
}
