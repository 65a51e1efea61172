/**
 * Credentials a request carries in its headers, read the same way by the HTTP API (Fastify) and
 * the socket upgrades (plain `IncomingMessage`): both hand over Node's header object.
 */
import type { IncomingHttpHeaders } from "node:http";

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** API key from `X-Taiku-Token` or `Authorization: Bearer <key>`; null when neither is present. */
export function apiKeyOf(headers: IncomingHttpHeaders): string | null {
  const token = first(headers["x-taiku-token"])?.trim();
  if (token) return token;
  const auth = first(headers.authorization);
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m ? m[1]! : null;
}

/** One cookie's value, percent-decoded when it is validly encoded; null when absent. */
export function cookieOf(headers: IncomingHttpHeaders, name: string): string | null {
  const header = headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}
