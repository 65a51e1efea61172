/**
 * Outbound requests. `egressHosts` maps a hostname to another origin (ARCHITECTURE.md, "Outbound
 * hosts are configurable"): `{ "api.github.com": "http://127.0.0.1:4100" }` sends every request for
 * https://api.github.com/... to http://127.0.0.1:4100/..., so tests run unchanged provider code
 * against local stand-ins. Every request gets the configured timeout.
 */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function rewriteUrl(url: string | URL, hosts: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  const target = hosts[u.host] ?? hosts[u.hostname];
  if (!target) return u.href;
  const t = new URL(target);
  const base = t.pathname.replace(/\/+$/, "");
  return `${t.protocol}//${t.host}${base}${u.pathname}${u.search}`;
}

export function createEgressFetch(hosts: Readonly<Record<string, string>>, timeoutMs: number, base: Fetch = fetch): Fetch {
  return (input, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    if (input instanceof Request) {
      return base(new Request(rewriteUrl(input.url, hosts), input), { ...init, signal });
    }
    return base(rewriteUrl(input, hosts), { ...init, signal });
  };
}

/** Loopback http endpoints (a local authorization server) are allowed; other plain-http ones are not. */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]", "::1"].includes(u.hostname);
}
