/**
 * OAuth 2.0 authorization code flow with PKCE (S256) and state, via oauth4webapi; refresh and
 * revocation. Provider quirks are applied to token endpoint answers before oauth4webapi reads them
 * (GitHub's HTTP-200 errors, Slack's `ok: false`), so the standards-checking code path stays the same.
 */
import * as oauth from "oauth4webapi";
import type { Fetch } from "./egress.js";
import { isLoopbackHttp } from "./egress.js";
import type { ProviderDef, RevocationStyle } from "./providers/index.js";

/** A toolkit's OAuth app with every default filled in (built-in provider + admin config). */
export interface ResolvedApp {
  toolkit: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint?: string;
  revocationStyle: RevocationStyle;
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  scopeSeparator: " " | ",";
  tokenAuth: "client_secret_post" | "client_secret_basic" | "none";
  extraAuthParams: Record<string, string>;
  quirks: ProviderDef["quirks"];
  /** RFC 8707 resource indicator (MCP servers). */
  resource?: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  scope?: string;
  /** Epoch ms, or null when the provider gave no lifetime. */
  expiresAt: number | null;
}

/** An OAuth failure the user should see (the callback page, or FAILED/EXPIRED status). */
export class OAuthFlowError extends Error {
  constructor(
    message: string,
    /** The OAuth error code when the AS sent one, e.g. "invalid_grant". */
    readonly code?: string,
  ) {
    super(message);
  }
}

const asOf = (app: ResolvedApp): oauth.AuthorizationServer => ({
  issuer: app.issuer,
  authorization_endpoint: app.authorizationEndpoint,
  token_endpoint: app.tokenEndpoint,
  ...(app.revocationEndpoint && app.revocationStyle === "rfc7009" ? { revocation_endpoint: app.revocationEndpoint } : {}),
});

const clientAuth = (app: ResolvedApp): oauth.ClientAuth =>
  app.tokenAuth === "none" || !app.clientSecret
    ? oauth.None()
    : app.tokenAuth === "client_secret_basic"
      ? oauth.ClientSecretBasic(app.clientSecret)
      : oauth.ClientSecretPost(app.clientSecret);

export const generateState = (): string => oauth.generateRandomState();
export const generateVerifier = (): string => oauth.generateRandomCodeVerifier();

export async function authorizationUrl(app: ResolvedApp, p: { redirectUri: string; state: string; verifier: string }): Promise<string> {
  const url = new URL(app.authorizationEndpoint);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", app.clientId);
  q.set("redirect_uri", p.redirectUri);
  if (app.scopes.length) q.set("scope", app.scopes.join(app.scopeSeparator));
  q.set("state", p.state);
  q.set("code_challenge", await oauth.calculatePKCECodeChallenge(p.verifier));
  q.set("code_challenge_method", "S256");
  if (app.resource) q.set("resource", app.resource);
  for (const [k, v] of Object.entries(app.extraAuthParams)) q.set(k, v);
  return url.href;
}

/** Rewrites quirky token endpoint answers into RFC 6749 form before oauth4webapi parses them. */
function tokenFetch(app: ResolvedApp, fetchFn: Fetch): Fetch {
  return async (input, init) => {
    const res = await fetchFn(input, init);
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // GitHub answers form-encoded unless asked for JSON; oauth4webapi asks for JSON, but be lenient.
      body = Object.fromEntries(new URLSearchParams(text));
      if (!("access_token" in body) && !("error" in body)) return new Response(text, { status: res.status, headers: res.headers });
    }
    let status = res.status;
    if (status === 200 && app.quirks.tokenErrorAs200 && typeof body.error === "string") status = 400;
    if (status === 200 && app.quirks.slackOk && body.ok === false) {
      status = 400;
      body = { error: body.error ?? "slack_error", error_description: `Slack: ${String(body.error)}` };
    }
    // Linear answers `scope` as an array of strings; RFC 6749 (and oauth4webapi) want one string.
    if (Array.isArray(body.scope)) body.scope = body.scope.map(String).join(" ");
    if (typeof body.token_type === "string" && app.quirks.slackOk) body.token_type = "bearer";
    if (status === 200 && body.token_type === undefined && typeof body.access_token === "string") body.token_type = "bearer";
    delete body.id_token; // we never ask for OpenID Connect; nothing here to verify
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
}

function options(app: ResolvedApp, fetchFn: Fetch, url: string, extra?: Record<string, string>) {
  return {
    [oauth.customFetch]: tokenFetch(app, fetchFn) as typeof fetch,
    ...(isLoopbackHttp(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(extra ? { additionalParameters: extra } : {}),
  };
}

function toTokenSet(r: oauth.TokenEndpointResponse, now: number, previousRefresh?: string): TokenSet {
  const refresh = r.refresh_token ?? previousRefresh;
  return {
    accessToken: r.access_token,
    ...(refresh ? { refreshToken: refresh } : {}),
    tokenType: r.token_type,
    ...(r.scope ? { scope: r.scope } : {}),
    expiresAt: typeof r.expires_in === "number" ? now + r.expires_in * 1000 : null,
  };
}

function flowError(err: unknown): OAuthFlowError {
  if (err instanceof oauth.ResponseBodyError) return new OAuthFlowError(`${err.error}${err.error_description ? `: ${err.error_description}` : ""}`, err.error);
  if (err instanceof oauth.AuthorizationResponseError) return new OAuthFlowError(`${err.error}${err.error_description ? `: ${err.error_description}` : ""}`, err.error);
  if (err instanceof OAuthFlowError) return err;
  return new OAuthFlowError((err as Error).message ?? String(err));
}

/** Validates the callback (state, iss, error) and exchanges the code with the PKCE verifier. */
export async function exchangeCode(
  app: ResolvedApp,
  fetchFn: Fetch,
  p: { params: URLSearchParams; expectedState: string; verifier: string; redirectUri: string; now: number },
): Promise<TokenSet> {
  const client: oauth.Client = { client_id: app.clientId };
  try {
    const validated = oauth.validateAuthResponse(asOf(app), client, p.params, p.expectedState);
    const res = await oauth.authorizationCodeGrantRequest(
      asOf(app),
      client,
      clientAuth(app),
      validated,
      p.redirectUri,
      p.verifier,
      options(app, fetchFn, app.tokenEndpoint, app.resource ? { resource: app.resource } : undefined),
    );
    return toTokenSet(await oauth.processAuthorizationCodeResponse(asOf(app), client, res), p.now);
  } catch (err) {
    throw flowError(err);
  }
}

export async function refreshTokens(app: ResolvedApp, fetchFn: Fetch, refreshToken: string, now: number): Promise<TokenSet> {
  const client: oauth.Client = { client_id: app.clientId };
  try {
    const res = await oauth.refreshTokenGrantRequest(
      asOf(app),
      client,
      clientAuth(app),
      refreshToken,
      options(app, fetchFn, app.tokenEndpoint, app.resource ? { resource: app.resource } : undefined),
    );
    return toTokenSet(await oauth.processRefreshTokenResponse(asOf(app), client, res), now, refreshToken);
  } catch (err) {
    throw flowError(err);
  }
}

/** Best effort: revokes the refresh token (which revokes the grant at most providers) and the access token. */
export async function revokeTokens(app: ResolvedApp, fetchFn: Fetch, tokens: TokenSet): Promise<void> {
  const endpoint = app.revocationEndpoint;
  if (!endpoint || app.revocationStyle === "none") return;
  if (app.revocationStyle === "github-grant") {
    const url = endpoint.replace("{client_id}", encodeURIComponent(app.clientId));
    const basic = Buffer.from(`${app.clientId}:${app.clientSecret ?? ""}`).toString("base64");
    await fetchFn(url, {
      method: "DELETE",
      headers: { authorization: `Basic ${basic}`, accept: "application/vnd.github+json", "content-type": "application/json", "user-agent": "taiku-integrations" },
      body: JSON.stringify({ access_token: tokens.accessToken }),
    });
    return;
  }
  if (app.revocationStyle === "bearer-post") {
    await fetchFn(endpoint, { method: "POST", headers: { authorization: `Bearer ${tokens.accessToken}`, "content-type": "application/x-www-form-urlencoded" }, body: "" });
    return;
  }
  const client: oauth.Client = { client_id: app.clientId };
  for (const [token, hint] of [
    [tokens.refreshToken, "refresh_token"],
    [tokens.accessToken, "access_token"],
  ] as const) {
    if (!token) continue;
    const res = await oauth.revocationRequest(asOf(app), client, clientAuth(app), token, {
      ...options(app, fetchFn, endpoint),
      additionalParameters: { token_type_hint: hint },
    });
    await oauth.processRevocationResponse(res).catch(() => undefined);
  }
}
