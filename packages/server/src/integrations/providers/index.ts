/**
 * Built-in toolkits as data: OAuth endpoints, scopes, how tokens are revoked, how tools call the API,
 * and each provider's documented quirks. The code that uses these (oauth.ts, toolkits/execute.ts) is
 * the same for every provider; an admin can override any endpoint (ToolkitAppConfig), and tests
 * point the hostnames at stand-ins through `egressHosts`.
 */

export type RevocationStyle =
  /** RFC 7009 POST to the revocation endpoint with client authentication. */
  | "rfc7009"
  /** GitHub: DELETE https://api.github.com/applications/{client_id}/grant, Basic client_id:secret, `{access_token}`. */
  | "github-grant"
  /** Slack auth.revoke / Linear oauth/revoke: POST with the token as Bearer. */
  | "bearer-post"
  | "none";

export type ApiStyle =
  | { kind: "rest"; baseUrl: string; headers?: Record<string, string> }
  | { kind: "slack"; baseUrl: string }
  | { kind: "graphql"; url: string }
  | { kind: "mcp" };

export interface ProviderDef {
  toolkit: string;
  name: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint?: string;
  revocationStyle: RevocationStyle;
  defaultScopes: string[];
  /** GitHub and Google take space-separated scopes; Slack and Linear take commas. */
  scopeSeparator: " " | ",";
  tokenAuth: "client_secret_post" | "client_secret_basic";
  extraAuthParams?: Record<string, string>;
  quirks: {
    /** GitHub: token endpoint errors come as HTTP 200 `{ error, error_description }`. */
    tokenErrorAs200?: boolean;
    /** Slack: every answer is HTTP 200 with `ok: false` and `error` on failure (token endpoint included). */
    slackOk?: boolean;
  };
  api: ApiStyle;
}

export const BUILTIN_PROVIDERS: Record<string, ProviderDef> = {
  github: {
    toolkit: "github",
    name: "GitHub",
    issuer: "https://github.com/login/oauth",
    authorizationEndpoint: "https://github.com/login/oauth/authorize",
    tokenEndpoint: "https://github.com/login/oauth/access_token",
    revocationEndpoint: "https://api.github.com/applications/{client_id}/grant",
    revocationStyle: "github-grant",
    defaultScopes: ["repo", "read:user"],
    scopeSeparator: " ",
    tokenAuth: "client_secret_post",
    quirks: { tokenErrorAs200: true },
    api: {
      kind: "rest",
      baseUrl: "https://api.github.com",
      headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "taiku-integrations" },
    },
  },
  linear: {
    toolkit: "linear",
    name: "Linear",
    issuer: "https://linear.app",
    authorizationEndpoint: "https://linear.app/oauth/authorize",
    tokenEndpoint: "https://api.linear.app/oauth/token",
    revocationEndpoint: "https://api.linear.app/oauth/revoke",
    revocationStyle: "bearer-post",
    defaultScopes: ["read", "write"],
    scopeSeparator: ",",
    tokenAuth: "client_secret_post",
    quirks: {},
    api: { kind: "graphql", url: "https://api.linear.app/graphql" },
  },
  slack: {
    toolkit: "slack",
    name: "Slack",
    issuer: "https://slack.com",
    authorizationEndpoint: "https://slack.com/oauth/v2/authorize",
    tokenEndpoint: "https://slack.com/api/oauth.v2.access",
    revocationEndpoint: "https://slack.com/api/auth.revoke",
    revocationStyle: "bearer-post",
    defaultScopes: ["chat:write", "channels:read", "channels:history", "users:read"],
    scopeSeparator: ",",
    tokenAuth: "client_secret_post",
    quirks: { slackOk: true },
    api: { kind: "slack", baseUrl: "https://slack.com/api" },
  },
  gmail: {
    toolkit: "gmail",
    name: "Gmail",
    issuer: "https://accounts.google.com",
    authorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenEndpoint: "https://oauth2.googleapis.com/token",
    revocationEndpoint: "https://oauth2.googleapis.com/revoke",
    revocationStyle: "rfc7009",
    defaultScopes: ["https://www.googleapis.com/auth/gmail.modify"],
    scopeSeparator: " ",
    tokenAuth: "client_secret_post",
    // Google issues a refresh token only for offline access, and again only with prompt=consent.
    extraAuthParams: { access_type: "offline", prompt: "consent" },
    quirks: {},
    api: { kind: "rest", baseUrl: "https://gmail.googleapis.com" },
  },
};

/** What the admin configures per toolkit (config file or the admin route). Endpoint fields override the built-in ones. */
export interface ToolkitAppConfig {
  clientId: string;
  clientSecret?: string;
  scopes?: string[];
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  revocationEndpoint?: string;
  revocationStyle?: RevocationStyle;
  tokenAuth?: "client_secret_post" | "client_secret_basic" | "none";
  extraAuthParams?: Record<string, string>;
}

/** A remote MCP server added as a toolkit. OAuth details are discovered (MCP authorization spec) unless given. */
export interface McpToolkitConfig {
  url: string;
  name?: string;
  /** Pre-registered client; without it the server registers itself dynamically when the AS offers it. */
  clientId?: string;
  clientSecret?: string;
  scopes?: string[];
}
