/**
 * Outbound HTTP from executions (§1.10, §3.4): the union of the declared `Network` patterns is the
 * allowlist; anything else gets an HTTP 403 response (not a throw). Allowed requests are rewritten
 * through the configurable host map (`egressHosts`), so connector code reaches local stand-ins
 * unchanged. Global `fetch` is wrapped once; the wrapper applies the rules of the execution found in
 * AsyncLocalStorage and passes everything else through untouched.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface EgressScope {
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}

export const egressContext = new AsyncLocalStorage<EgressScope>();

type FetchFn = typeof globalThis.fetch;
let original: FetchFn | null = null;

/** The fetch that existed before the wrapper: what the egress layer itself uses. */
export function baseFetch(): FetchFn {
  return original ?? globalThis.fetch;
}

export function installFetchWrapper(): void {
  if (original) return;
  original = globalThis.fetch;
  const base = original;
  const wrapped = ((input: string | URL | Request, init?: RequestInit) => {
    const scope = egressContext.getStore();
    return scope ? scope.fetch(input, init) : base(input, init);
  }) as FetchFn;
  globalThis.fetch = wrapped;
}

interface Pattern {
  any: boolean;
  scheme?: string;
  host?: string;
  wildcardHost?: boolean;
  path?: string;
  prefix?: boolean;
}

function parsePattern(p: string): Pattern {
  if (p === "*") return { any: true };
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]+)(\/.*)?$/i.exec(p);
  if (!m) throw new Error(`Invalid Network url pattern: ${p}`);
  const hostPart = m[2]!.toLowerCase();
  const rawPath = m[3];
  const wildcardHost = hostPart.startsWith("*.");
  const out: Pattern = { any: false, scheme: m[1]!.toLowerCase(), host: wildcardHost ? hostPart.slice(2) : hostPart, wildcardHost };
  if (rawPath && rawPath !== "/*") {
    const noQuery = rawPath.split("?")[0]!;
    if (noQuery.endsWith("/*")) Object.assign(out, { path: noQuery.slice(0, -1), prefix: true });
    else Object.assign(out, { path: noQuery, prefix: false });
  }
  return out;
}

/** §3.4 Decision: scheme must match; `*.` needs at least one label; trailing `/*` is a prefix; query ignored. */
export function urlAllowed(url: string, patterns: readonly string[]): boolean {
  let u: URL;
  try { u = new URL(url); } catch { return false; }
  const scheme = u.protocol.slice(0, -1);
  const host = u.host.toLowerCase();
  for (const raw of patterns) {
    const p = parsePattern(raw);
    if (p.any) return true;
    if (p.scheme !== scheme) continue;
    if (p.wildcardHost ? !host.endsWith("." + p.host) : host !== p.host) continue;
    if (p.path === undefined) return true;
    if (p.prefix ? u.pathname.startsWith(p.path) : u.pathname === p.path) return true;
  }
  return false;
}

export function rewriteUrl(url: string, hosts: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  const target = hosts[u.host] ?? hosts[u.hostname];
  if (!target) return u.href;
  const t = new URL(target);
  return `${t.protocol}//${t.host}${t.pathname.replace(/\/+$/, "")}${u.pathname}${u.search}`;
}

export function isLocalUrl(url: string): boolean {
  try {
    const h = new URL(url).hostname;
    return h === "localhost" || h === "127.0.0.1" || h === "[::1]" || h === "::1" || h.endsWith(".localhost");
  } catch {
    return true;
  }
}
