/**
 * The session URL `/s/{id}#{fragment}` (spec §2.5). The fragment holds the link secrets and is never
 * sent to the server. The only time it leaves the address bar is the viewer sign-in redirect
 * (spec §3.3): it is parked in sessionStorage (same tab, never sent anywhere) and restored after.
 */
import { parseFragment, type FragmentSecrets } from "@taiku/crypto";
import { SESSION_ID_RE } from "@taiku/protocol";
import type { KeyValueStorage } from "./services.js";

/** Session id from a path like `/s/abc1234xyz` (trailing slash tolerated), or null. */
export function sessionIdFromPath(pathname: string): string | null {
  const m = /^\/s\/([^/]+)\/?$/.exec(pathname);
  if (!m) return null;
  const id = decodeURIComponent(m[1]!);
  return SESSION_ID_RE.test(id) ? id : null;
}

export interface SessionLink {
  sessionId: string;
  fragment: string;
  secrets: FragmentSecrets;
}

/** Parse a full session link (`http://host/s/id#key,...`); null when it is not one. */
export function parseSessionLink(link: string): SessionLink | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  const sessionId = sessionIdFromPath(url.pathname);
  const fragment = url.hash.replace(/^#/, "");
  const secrets = parseFragment(fragment);
  return sessionId && secrets ? { sessionId, fragment, secrets } : null;
}

const stashKey = (sessionId: string) => `taiku:fragment:${sessionId}`;

/** Keep the fragment across the sign-in redirect (sessionStorage: this tab only). */
export function stashFragment(storage: KeyValueStorage, sessionId: string, fragment: string): void {
  storage.setItem(stashKey(sessionId), fragment);
}

/** Take (and forget) a stashed fragment. */
export function takeStashedFragment(storage: KeyValueStorage, sessionId: string): string | null {
  const f = storage.getItem(stashKey(sessionId));
  if (f !== null) storage.removeItem(stashKey(sessionId));
  return f;
}

/** `/login?next=/s/{id}` — the fragment is deliberately not part of `next`. */
export function loginRedirect(sessionId: string, page: "login" | "signup" = "login"): string {
  return `/${page}?next=${encodeURIComponent(`/s/${sessionId}`)}`;
}

/** Only same-site paths are valid `next` targets: `//evil.example` or `https://…` would be an open redirect. */
export function safeNext(next: string | null | undefined, fallback = "/account"): string {
  // Control characters too: URL parsers drop tabs and newlines, so "/\t/evil.example" would be "//evil.example".
  // eslint-disable-next-line no-control-regex
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.includes("\\") || /[\u0000-\u001f\u007f]/.test(next)) return fallback;
  return next;
}

/** Remove one query parameter from a URL string, keeping path and fragment (for history.replaceState). */
export function withoutQueryParam(href: string, param: string): string {
  const url = new URL(href);
  url.searchParams.delete(param);
  return url.pathname + url.search + url.hash;
}

/**
 * Whether `url` is an absolute URL of one of `schemes` (default http: and https:). Links the server
 * or a device hands the page (tunnels, a device's sessions) are checked before they become an
 * `href` or a frame's `src`: a `javascript:` one would run in the page, which holds the session key.
 */
export function isWebUrl(url: unknown, schemes: readonly string[] = ["http:", "https:"]): url is string {
  if (typeof url !== "string") return false;
  try {
    return schemes.includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
