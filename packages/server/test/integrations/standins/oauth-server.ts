/**
 * A real OAuth 2.0 authorization server on 127.0.0.1: oidc-provider (dev interactions for login and
 * consent, PKCE required, refresh tokens, RFC 7009 revocation, dynamic client registration,
 * resource indicators for MCP). `authorize()` drives login and consent with plain HTTP requests,
 * the way a browser would, carrying cookies.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface AsClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface RealAs {
  issuer: string;
  provider: Provider;
  /** Counts of successful grants by grant type (refresh single-flight is asserted on these). */
  grants: Record<string, number>;
  setClients(clients: AsClient[]): void;
  /** Resolves an access token issued by this AS (null if unknown, expired or revoked). */
  verify(token: string): Promise<{ accountId: string; scope: string } | null>;
  endpoints: { authorizationEndpoint: string; tokenEndpoint: string; revocationEndpoint: string };
  close(): Promise<void>;
}

export async function startAs(opts: { accessTokenTtlSec?: number; resource?: () => string | undefined } = {}): Promise<RealAs> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let clients: AsClient[] = [];
  let provider: Provider | null = null;
  const grants: Record<string, number> = {};

  const make = () => {
    const p = new Provider(issuer, {
      clients: clients.map((c) => ({
        ...c,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      })),
      pkce: { required: () => true },
      scopes: ["repo", "read:user", "read", "write", "admin", "read,write", "read,write,admin", "chat:write", "mcp", "offline_access", "https://www.googleapis.com/auth/gmail.modify"],
      features: {
        devInteractions: { enabled: true },
        revocation: { enabled: true },
        registration: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => opts.resource?.() ?? undefined!,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: "mcp", accessTokenFormat: "opaque", accessTokenTTL: opts.accessTokenTtlSec ?? 3600 }),
        },
      },
      issueRefreshToken: () => true,
      rotateRefreshToken: () => true,
      ttl: { AccessToken: opts.accessTokenTtlSec ?? 3600, RefreshToken: 24 * 3600, Grant: 24 * 3600, Session: 3600, Interaction: 600, AuthorizationCode: 60 },
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
      cookies: { keys: ["standin-cookie-key"] },
    });
    p.on("grant.success", (ctx: unknown) => {
      const gt = String((ctx as { oidc: { params?: { grant_type?: string } } }).oidc.params?.grant_type ?? "?");
      grants[gt] = (grants[gt] ?? 0) + 1;
    });
    return p;
  };
  provider = make();
  server.on("request", (req, res) => provider!.callback()(req, res));

  return {
    issuer,
    get provider() {
      return provider!;
    },
    grants,
    setClients(c) {
      clients = c;
      provider = make();
    },
    async verify(token) {
      const at = await provider!.AccessToken.find(token);
      if (!at || at.isExpired) return null;
      return { accountId: at.accountId, scope: at.scope ?? "" };
    },
    endpoints: { authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token`, revocationEndpoint: `${issuer}/token/revocation` },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A minimal browser: follows redirects, keeps cookies, submits the dev-interaction forms. */
export async function authorize(
  startUrl: string,
  stopAt: string,
  opts: { login?: string; abort?: boolean; hosts?: Record<string, string> } = {},
): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const remember = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  };
  let url = startUrl;
  let method = "GET";
  let body: string | undefined;
  for (let i = 0; i < 20; i++) {
    if (url.startsWith(stopAt)) return url;
    // The "browser" resolves some hostnames to stand-ins (as /etc/hosts would).
    const target = new URL(url);
    const mapped = opts.hosts?.[target.host];
    const res = await fetch(mapped ? mapped + target.pathname + target.search : url, {
      method,
      redirect: "manual",
      headers: { cookie: cookieHeader(), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      ...(body ? { body } : {}),
    });
    remember(res);
    method = "GET";
    body = undefined;
    const loc = res.headers.get("location");
    if (loc) {
      url = new URL(loc, url).href;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization server answered ${res.status}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form: ${html.slice(0, 300)}`);
    if (opts.abort) {
      url = new URL(action.replace(/\/?$/, "") + "/abort", url).href;
      continue;
    }
    url = new URL(action, url).href;
    method = "POST";
    body = new URLSearchParams(prompt === "login" ? { prompt, login: opts.login ?? "alice", password: "x" } : { prompt }).toString();
  }
  throw new Error("too many redirects");
}
