/**
 * GitHub stand-in: the REST endpoints the tests use, plus github.com's OAuth endpoints with their
 * documented quirks — the token endpoint answers errors as HTTP 200 JSON `{ error, error_description,
 * error_uri }` (https://docs.github.com/apps/oauth-apps "Troubleshooting OAuth app access token
 * request errors"), and revocation is `DELETE /applications/{client_id}/grant` with Basic auth.
 * Bearer tokens are checked by `verify` (the real AS's tokens) or against tokens it issued itself.
 */
import { randomBytes } from "node:crypto";
import { bearer, json, listen, type StandIn } from "./http.js";

export interface GithubIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: string;
  user: { login: string };
}

export interface GithubStandIn extends StandIn {
  repos: Map<string, GithubIssue[]>;
  /** Tokens issued by the stand-in's own OAuth endpoints. */
  issued: Map<string, { login: string; refresh: string; expiresAt: number }>;
  revokedGrants: string[];
}

const DOCS = "https://docs.github.com/rest";

export async function startGithub(opts: { verify?: (token: string) => Promise<{ accountId: string } | null>; clientId?: string; clientSecret?: string; expiresIn?: number }): Promise<GithubStandIn> {
  const repos = new Map<string, GithubIssue[]>([["octo/hello", []]]);
  const issued = new Map<string, { login: string; refresh: string; expiresAt: number }>();
  const codes = new Map<string, { redirectUri: string; challenge: string }>();
  const revokedGrants: string[] = [];
  let nextId = 1000;

  const who = async (token: string | null): Promise<string | null> => {
    if (!token) return null;
    const own = issued.get(token);
    if (own) return own.expiresAt > Date.now() ? own.login : null;
    const v = opts.verify ? await opts.verify(token) : null;
    return v ? v.accountId : null;
  };

  const s = await listen(async (req, res, body, url) => {
    const path = url.pathname;
    // ---- github.com OAuth (auto-consent authorize; token errors as HTTP 200)
    if (path === "/login/oauth/authorize") {
      const code = randomBytes(10).toString("hex");
      codes.set(code, { redirectUri: url.searchParams.get("redirect_uri") ?? "", challenge: url.searchParams.get("code_challenge") ?? "" });
      const to = new URL(url.searchParams.get("redirect_uri")!);
      to.searchParams.set("code", code);
      to.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: to.href });
      return res.end();
    }
    if (path === "/login/oauth/access_token" && req.method === "POST") {
      const form = new URLSearchParams(body);
      const ok200Error = (error: string, description: string) =>
        json(res, 200, { error, error_description: description, error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#" + error });
      if (form.get("client_id") !== opts.clientId || form.get("client_secret") !== opts.clientSecret) {
        return ok200Error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
      }
      if (form.get("grant_type") === "refresh_token") {
        const entry = [...issued].find(([, v]) => v.refresh === form.get("refresh_token"));
        if (!entry) return ok200Error("bad_refresh_token", "The refresh token passed is incorrect or expired.");
        issued.delete(entry[0]);
        return json(res, 200, mint(entry[1].login));
      }
      const code = codes.get(form.get("code") ?? "");
      if (!code) return ok200Error("bad_verification_code", "The code passed is incorrect or expired.");
      codes.delete(form.get("code")!);
      if (code.redirectUri !== form.get("redirect_uri")) return ok200Error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
      const { createHash } = await import("node:crypto");
      const expect = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
      if (expect !== code.challenge) return ok200Error("bad_verification_code", "The code passed is incorrect or expired.");
      return json(res, 200, mint("octocat"));
    }
    // ---- api.github.com
    if (path.startsWith("/applications/") && path.endsWith("/grant") && req.method === "DELETE") {
      const basic = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      if (basic !== `${opts.clientId}:${opts.clientSecret}`) return json(res, 404, { message: "Not Found", documentation_url: DOCS });
      const token = (JSON.parse(body || "{}") as { access_token?: string }).access_token ?? "";
      issued.delete(token);
      revokedGrants.push(token);
      res.writeHead(204);
      return res.end();
    }
    const login = await who(bearer(req));
    if (!login) return json(res, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
    if (m) {
      const issues = repos.get(`${m[1]}/${m[2]}`);
      if (!issues) return json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/issues/issues#create-an-issue", status: "404" });
      if (req.method === "GET") return json(res, 200, issues);
      if (req.method === "POST") {
        const b = JSON.parse(body || "{}") as { title?: unknown; body?: string; labels?: string[] };
        if (b.title === undefined || b.title === "") {
          return json(res, 422, { message: "Validation Failed", errors: [{ resource: "Issue", code: "missing_field", field: "title" }], documentation_url: DOCS, status: "422" });
        }
        const issue: GithubIssue = { id: nextId++, number: issues.length + 1, title: String(b.title), body: b.body ?? null, labels: b.labels ?? [], state: "open", user: { login } };
        issues.push(issue);
        return json(res, 201, { ...issue, url: `https://api.github.com/repos/${m[1]}/${m[2]}/issues/${issue.number}` });
      }
    }
    if (path === "/user") return json(res, 200, { login, id: 1 });
    return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
  });

  function mint(login: string) {
    const access = "ghu_" + randomBytes(18).toString("hex");
    const refresh = "ghr_" + randomBytes(30).toString("hex");
    const expiresIn = opts.expiresIn ?? 28800;
    issued.set(access, { login, refresh, expiresAt: Date.now() + expiresIn * 1000 });
    return { access_token: access, expires_in: expiresIn, refresh_token: refresh, refresh_token_expires_in: 15897600, scope: "", token_type: "bearer" };
  }

  return Object.assign(s, { repos, issued, revokedGrants });
}
