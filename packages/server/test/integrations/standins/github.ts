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
  // ---- fields the connector tests use (optional so existing tests are unaffected)
  created_at?: string;
  updated_at?: string;
  html_url?: string;
  comments?: number;
  /** Present on pull requests (the issues API lists both, as on GitHub). */
  pull_request?: { url: string; merged_at: string | null };
}

export interface GithubComment {
  id: number;
  body: string;
  user: { login: string };
  created_at: string;
  updated_at: string;
}

export interface GithubReaction {
  id: number;
  content: string;
  user: { login: string };
  created_at: string;
}

/** GitHub's eight reaction contents (REST "Reactions"). */
export const GITHUB_REACTIONS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];

export interface GithubHook {
  id: number;
  name: "web";
  active: boolean;
  events: string[];
  config: { url: string; content_type: string; secret?: string };
}

export interface GithubStandIn extends StandIn {
  repos: Map<string, GithubIssue[]>;
  /** Tokens issued by the stand-in's own OAuth endpoints. */
  issued: Map<string, { login: string; refresh: string; expiresAt: number }>;
  revokedGrants: string[];
  /** Comments per `owner/repo#number`. */
  comments: Map<string, GithubComment[]>;
  /** Repository webhooks per `owner/repo`. */
  hooks: Map<string, GithubHook[]>;
  /** Reactions per `owner/repo#number` (the issue) or `owner/repo/comments/<id>` (a comment). */
  reactions: Map<string, GithubReaction[]>;
  /** Adds `count` issues (every `prEvery`-th one a pull request) to a repository, numbered on. */
  seed(repo: string, count: number, opts?: { prEvery?: number }): void;
  /** Repositories whose API answers 403 "Resource not accessible by integration" (an access problem, not a rate limit). */
  forbidden: Set<string>;
  /** Edits an issue as a person on github.com would (bumps updated_at). */
  edit(repo: string, number: number, patch: Partial<Pick<GithubIssue, "title" | "body" | "state">>): GithubIssue;
}

const DOCS = "https://docs.github.com/rest";

export async function startGithub(opts: { verify?: (token: string) => Promise<{ accountId: string } | null>; clientId?: string; clientSecret?: string; expiresIn?: number }): Promise<GithubStandIn> {
  const repos = new Map<string, GithubIssue[]>([["octo/hello", []]]);
  const issued = new Map<string, { login: string; refresh: string; expiresAt: number }>();
  const codes = new Map<string, { redirectUri: string; challenge: string }>();
  const revokedGrants: string[] = [];
  const comments = new Map<string, GithubComment[]>();
  const hooks = new Map<string, GithubHook[]>();
  const reactions = new Map<string, GithubReaction[]>();
  const forbidden = new Set<string>();
  // api.github.com puts its rate-limit headers on every answer (success or error, 403 included).
  const rateWindowReset = Math.floor(Date.now() / 1000) + 3600;
  let rateUsed = 0;
  let nextId = 1000;
  // Seeded items are historic (a second apart, starting 30 days ago); later writes carry the real time.
  let seedTick = Date.now() - 30 * 86_400_000;
  let last = 0;
  const seedStamp = () => new Date((seedTick += 1000)).toISOString();
  const stamp = () => new Date((last = Math.max(Date.now(), last + 1))).toISOString();
  const fill = (repo: string, i: GithubIssue, historic = false): GithubIssue => {
    i.created_at ??= historic ? seedStamp() : stamp();
    i.updated_at ??= i.created_at;
    i.html_url ??= `https://github.com/${repo}/issues/${i.number}`;
    i.comments ??= 0;
    return i;
  };

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
      // github.com answers form-encoded unless the request asks for JSON with `Accept: application/json`.
      const wantsJson = (req.headers.accept ?? "").includes("application/json");
      const answer = (o: Record<string, string | number>) => {
        if (wantsJson) return json(res, 200, o);
        res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
        res.end(new URLSearchParams(Object.entries(o).map(([k, v]) => [k, String(v)])).toString());
      };
      const ok200Error = (error: string, description: string) =>
        answer({ error, error_description: description, error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#" + error });
      if (form.get("client_id") !== opts.clientId || form.get("client_secret") !== opts.clientSecret) {
        return ok200Error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
      }
      if (form.get("grant_type") === "refresh_token") {
        const entry = [...issued].find(([, v]) => v.refresh === form.get("refresh_token"));
        if (!entry) return ok200Error("bad_refresh_token", "The refresh token passed is incorrect or expired.");
        issued.delete(entry[0]);
        return answer(mint(entry[1].login));
      }
      const code = codes.get(form.get("code") ?? "");
      if (!code) return ok200Error("bad_verification_code", "The code passed is incorrect or expired.");
      codes.delete(form.get("code")!);
      if (code.redirectUri !== form.get("redirect_uri")) return ok200Error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.");
      const { createHash } = await import("node:crypto");
      const expect = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
      if (expect !== code.challenge) return ok200Error("bad_verification_code", "The code passed is incorrect or expired.");
      return answer(mint("octocat"));
    }
    // ---- api.github.com
    rateUsed++;
    res.setHeader("x-ratelimit-limit", "5000");
    res.setHeader("x-ratelimit-remaining", String(Math.max(0, 5000 - rateUsed)));
    res.setHeader("x-ratelimit-reset", String(rateWindowReset));
    res.setHeader("x-ratelimit-used", String(rateUsed));
    res.setHeader("x-ratelimit-resource", "core");
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
    const repoOf = /^\/repos\/([^/]+\/[^/]+)(?:\/|$)/.exec(path)?.[1];
    if (repoOf && forbidden.has(repoOf)) return json(res, 403, { message: "Resource not accessible by integration", documentation_url: DOCS, status: "403" });
    if (path === "/user/repos" && req.method === "GET") {
      const all = [...repos.keys()].map((full, i) => ({ id: i + 1, full_name: full, name: full.split("/")[1], owner: { login: full.split("/")[0] }, permissions: { admin: true } }));
      return paged(res, url, all);
    }
    const extra = await connectorRoutes(req.method ?? "GET", path, url, body, login, res);
    if (extra !== false) return;
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
    if (m) {
      const issues = repos.get(`${m[1]}/${m[2]}`);
      if (!issues) return json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/issues/issues#create-an-issue", status: "404" });
      if (req.method === "GET") {
        // Filters and pagination as on GitHub (30 per page unless per_page says otherwise).
        const repo = `${m[1]}/${m[2]}`;
        let list = issues.map((i) => fill(repo, i));
        const state = url.searchParams.get("state");
        if (state === "open" || state === "closed") list = list.filter((i) => i.state === state);
        const since = url.searchParams.get("since");
        if (since) list = list.filter((i) => (i.updated_at ?? "") >= since);
        if (url.searchParams.get("sort") === "updated") list = [...list].sort((a, b) => (a.updated_at! < b.updated_at! ? -1 : 1));
        if (url.searchParams.get("direction") === "desc") list = [...list].reverse();
        return paged(res, url, list);
      }
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

  /** GitHub's list pagination: `per_page` (default 30, at most 100) and `page`, with a `Link` header to the next and last pages. */
  function paged(res: Parameters<typeof json>[0], url: URL, list: unknown[]): void {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
    const lastPage = Math.max(1, Math.ceil(list.length / perPage));
    const at = (n: number) => {
      const u = new URL(`https://api.github.com${url.pathname}${url.search}`);
      u.searchParams.set("page", String(n));
      return u.href;
    };
    const links: string[] = [];
    if (page < lastPage) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(lastPage)}>; rel="last"`);
    if (page > 1) links.push(`<${at(1)}>; rel="first"`, `<${at(page - 1)}>; rel="prev"`);
    return json(res, 200, list.slice((page - 1) * perPage, page * perPage), links.length ? { link: links.join(", ") } : {});
  }

  /** Single issues, comments and hooks (the connector's REST surface). Returns false when not handled. */
  async function connectorRoutes(method: string, path: string, _url: URL, body: string, login: string, res: Parameters<typeof json>[0]): Promise<boolean | void> {
    let m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)$/.exec(path);
    if (m) {
      const issue = repos.get(m[1]!)?.find((i) => i.number === Number(m![2]));
      if (!issue) return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
      if (method === "GET") return json(res, 200, fill(m[1]!, issue));
      if (method === "PATCH") {
        const b = JSON.parse(body || "{}") as Partial<GithubIssue>;
        if (b.state !== undefined) issue.state = b.state;
        if (b.title !== undefined) issue.title = b.title;
        if (b.body !== undefined) issue.body = b.body;
        issue.updated_at = stamp();
        return json(res, 200, fill(m[1]!, issue));
      }
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const issue = repos.get(m[1]!)?.find((i) => i.number === Number(m![2]));
      if (!issue) return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
      const key = `${m[1]}#${m[2]}`;
      const list = comments.get(key) ?? [];
      if (method === "GET") return json(res, 200, list);
      if (method === "POST") {
        const b = JSON.parse(body || "{}") as { body?: string };
        if (!b.body) return json(res, 422, { message: "Validation Failed", errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }], documentation_url: DOCS, status: "422" });
        const now = stamp();
        const c: GithubComment = { id: nextId++, body: b.body, user: { login }, created_at: now, updated_at: now };
        comments.set(key, [...list, c]);
        issue.comments = (issue.comments ?? 0) + 1;
        issue.updated_at = now;
        return json(res, 201, c);
      }
    }
    // Repository comments (newest update first), with GitHub's issue_url and reactions roll-up.
    m = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments$/.exec(path);
    if (m && method === "GET" && repos.has(m[1]!)) {
      const all = [...comments].filter(([k]) => k.startsWith(m![1] + "#")).flatMap(([k, list]) => list.map((c) => ({
        ...c, issue_url: `https://api.github.com/repos/${m![1]}/issues/${k.slice(k.indexOf("#") + 1)}`,
        reactions: { total_count: (reactions.get(`${m![1]}/comments/${c.id}`) ?? []).length },
      })));
      return json(res, 200, all.sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, 100));
    }
    // Reactions on an issue or a comment: list (optionally ?content=), create (200 when it already exists), delete.
    m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(?:(\d+)|comments\/(\d+))\/reactions(?:\/(\d+))?$/.exec(path);
    if (m) {
      const [, repo, number, commentId, reactionId] = m;
      const exists = number ? repos.get(repo!)?.some((i) => i.number === Number(number)) : [...comments].some(([k, l]) => k.startsWith(repo + "#") && l.some((c) => c.id === Number(commentId)));
      if (!exists) return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
      const key = number ? `${repo}#${number}` : `${repo}/comments/${commentId}`;
      const list = reactions.get(key) ?? [];
      if (!reactionId && method === "GET") {
        const content = _url.searchParams.get("content");
        return json(res, 200, content ? list.filter((r) => r.content === content) : list);
      }
      if (!reactionId && method === "POST") {
        const content = (JSON.parse(body || "{}") as { content?: string }).content ?? "";
        if (!GITHUB_REACTIONS.includes(content)) return json(res, 422, { message: "Validation Failed", errors: [{ resource: "Reaction", code: "invalid", field: "content" }], documentation_url: DOCS, status: "422" });
        const had = list.find((r) => r.content === content && r.user.login === login);
        if (had) return json(res, 200, had);
        const r: GithubReaction = { id: nextId++, content, user: { login }, created_at: stamp() };
        reactions.set(key, [...list, r]);
        return json(res, 201, r);
      }
      if (reactionId && method === "DELETE") {
        const r = list.find((x) => x.id === Number(reactionId));
        if (!r) return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
        if (r.user.login !== login) return json(res, 403, { message: "Must have admin rights to Repository.", documentation_url: DOCS, status: "403" });
        reactions.set(key, list.filter((x) => x !== r));
        res.writeHead(204);
        res.end();
        return;
      }
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    if (m && method === "PATCH") {
      for (const [k, list] of comments) {
        const c = list.find((x) => x.id === Number(m![2]));
        if (c && k.startsWith(m[1]! + "#")) {
          c.body = (JSON.parse(body || "{}") as { body: string }).body;
          c.updated_at = stamp();
          return json(res, 200, c);
        }
      }
      return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/hooks(?:\/(\d+))?$/.exec(path);
    if (m && repos.has(m[1]!)) {
      const list = hooks.get(m[1]!) ?? [];
      if (!m[2] && method === "GET") return json(res, 200, list.map((h) => ({ ...h, config: { ...h.config, secret: h.config.secret ? "********" : undefined } })));
      if (!m[2] && method === "POST") {
        const b = JSON.parse(body || "{}") as Partial<GithubHook>;
        const h: GithubHook = { id: nextId++, name: "web", active: b.active ?? true, events: b.events ?? ["push"], config: { url: b.config?.url ?? "", content_type: b.config?.content_type ?? "form", ...(b.config?.secret ? { secret: b.config.secret } : {}) } };
        hooks.set(m[1]!, [...list, h]);
        return json(res, 201, h);
      }
      const h = list.find((x) => x.id === Number(m![2]));
      if (m[2] && !h) return json(res, 404, { message: "Not Found", documentation_url: DOCS, status: "404" });
      if (m[2] && method === "GET") return json(res, 200, h);
      if (m[2] && method === "DELETE") {
        hooks.set(m[1]!, list.filter((x) => x !== h));
        res.writeHead(204);
        res.end();
        return;
      }
    }
    return false;
  }

  function seed(repo: string, count: number, opts: { prEvery?: number } = {}): void {
    const list = repos.get(repo) ?? [];
    repos.set(repo, list);
    for (let k = 0; k < count; k++) {
      const number = list.length + 1;
      const pr = opts.prEvery ? number % opts.prEvery === 0 : false;
      list.push(fill(repo, {
        id: nextId++, number, title: `${pr ? "PR" : "Issue"} ${number}`, body: `Body of ${number}`, labels: [], state: number % 5 === 0 ? "closed" : "open",
        user: { login: `user${number % 13}` },
        ...(pr ? { pull_request: { url: `https://api.github.com/repos/${repo}/pulls/${number}`, merged_at: null } } : {}),
      }, true));
    }
  }

  function edit(repo: string, number: number, patch: Partial<Pick<GithubIssue, "title" | "body" | "state">>): GithubIssue {
    const issue = repos.get(repo)!.find((i) => i.number === number)!;
    Object.assign(issue, patch, { updated_at: stamp() });
    return issue;
  }

  function mint(login: string) {
    const access = "ghu_" + randomBytes(18).toString("hex");
    const refresh = "ghr_" + randomBytes(30).toString("hex");
    const expiresIn = opts.expiresIn ?? 28800;
    issued.set(access, { login, refresh, expiresAt: Date.now() + expiresIn * 1000 });
    return { access_token: access, expires_in: expiresIn, refresh_token: refresh, refresh_token_expires_in: 15897600, scope: "", token_type: "bearer" };
  }

  return Object.assign(s, { repos, issued, revokedGrants, comments, hooks, reactions, forbidden, seed, edit });
}
