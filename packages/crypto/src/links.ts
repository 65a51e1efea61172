/** Link secrets and the session URL fragment (spec §2.1, §2.5). */
import { isBase62, randomBase62 } from "./encoding.js";

export interface LinkSecrets {
  /** 14 base62 chars: the participant key; strengthened with Argon2id. */
  key: string;
  /** 22 base62 chars each: long random secrets, no stretching needed. */
  writeSecret: string;
  adminSecret: string;
}

/** The secrets a given link carries: a reader link has only `key`. */
export interface FragmentSecrets {
  key: string;
  writeSecret?: string;
  adminSecret?: string;
}

export const generateSessionId = (): string => randomBase62(10);

export function generateLinkSecrets(): LinkSecrets {
  return { key: randomBase62(14), writeSecret: randomBase62(22), adminSecret: randomBase62(22) };
}

/** `fragment = key [ "," writeSecret [ "," adminSecret ] ]` */
export function formatFragment(s: FragmentSecrets): string {
  if (s.adminSecret && !s.writeSecret) throw new Error("an admin link also carries the write secret");
  return [s.key, s.writeSecret, s.adminSecret].filter((x): x is string => !!x).join(",");
}

export function parseFragment(fragment: string): FragmentSecrets | null {
  const f = fragment.startsWith("#") ? fragment.slice(1) : fragment;
  const parts = f.split(",");
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p.length < 8 || p.length > 64 || !isBase62(p))) return null;
  const [key, writeSecret, adminSecret] = parts as [string, string?, string?];
  return { key, ...(writeSecret ? { writeSecret } : {}), ...(adminSecret ? { adminSecret } : {}) };
}

export interface SessionLinks {
  /** Default link. Grants writer unless the session is write-protected (then reader). */
  participant: string;
  write: string;
  admin: string;
}

export function sessionLinks(baseUrl: string, sessionId: string, s: LinkSecrets): SessionLinks {
  const base = `${baseUrl.replace(/\/+$/, "")}/s/${sessionId}#`;
  return {
    participant: base + formatFragment({ key: s.key }),
    write: base + formatFragment({ key: s.key, writeSecret: s.writeSecret }),
    admin: base + formatFragment(s),
  };
}
