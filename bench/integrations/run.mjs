#!/usr/bin/env node
/**
 * Integrations: execute overhead of the taiku server against calling the GitHub stand-in directly,
 * and tools search latency over the full GitHub catalogue.
 *   node bench/integrations/run.mjs [--calls 1000] [--warmup 100] [--search-rounds 100] [--tool GITHUB_GET_AN_ISSUE]
 * Set up as packages/server/test/integrations does (its harness and stand-ins, bundled by
 * lib/build.mjs): a real oidc-provider authorization server and the GitHub stand-in (tokens checked
 * against the AS) on 127.0.0.1; `startServer` with `integrations` + `egressHosts`; a GitHub connection
 * made ACTIVE through the real consent flow over HTTP. A second client of the same AS gets its own
 * token the same way, for the direct calls.
 *   execute — `--calls` pairs, sequential, alternating: the same upstream request made directly
 *     (same method, path, headers as taiku's REST executor) and `POST /api/v1/integrations/execute`
 *     for the same tool and arguments; both with global fetch (keep-alive). Overhead = taiku − direct.
 *   search  — `GET /api/v1/integrations/toolkits/github/tools?search=…` (default limit 50) for a
 *     spread of queries, `--search-rounds` rounds; and the same `searchTools` in process (no HTTP).
 * Prints plain lines; asserts nothing; the whole run is bounded (--timeout s).
 */
import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL, URLSearchParams } from "node:url";
import { parseArgs } from "node:util";
import { buildIntegrations, CATALOGUES } from "./lib/build.mjs";
import { exitAfter, machineLine } from "../lib/run.mjs";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "1000" },
    warmup: { type: "string", default: "100" },
    "search-rounds": { type: "string", default: "100" },
    tool: { type: "string", default: "GITHUB_GET_AN_ISSUE" },
    timeout: { type: "string", default: "300" },
  },
});
exitAfter(Number(values.timeout));

const fmt = (n, d = 3) => (n === null || n === undefined || Number.isNaN(n) ? "n/a" : n.toFixed(d));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const summary = (xs) => ({ n: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), mean: xs.reduce((a, b) => a + b, 0) / xs.length });

/** Tools used for execute, with their arguments and the upstream request taiku's executor makes. */
const TOOLS = {
  GITHUB_GET_AN_ISSUE: { args: { owner: "octo", repo: "hello", issue_number: 7 }, method: "GET", path: "/repos/octo/hello/issues/7" },
  GITHUB_GET_THE_AUTHENTICATED_USER: { args: {}, method: "GET", path: "/user" },
};
const GITHUB_HEADERS = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "taiku-integrations" };
const QUERIES = ["create an issue", "issue", "pull request review", "list", "repository secret", "workflow run", "gist", "code scanning alert", "deployment", "org member", "delete a", "GITHUB_GET", "webhook", "zzz-no-match"];

console.log(`# taiku bench/integrations — ${new Date().toISOString()} — ${machineLine()}`);
const lib = await import(pathToFileURL(await buildIntegrations()).href);

// ---- set-up, as packages/server/test/integrations/flow.test.ts
const as = await lib.startAs();
const gh = await lib.startGithub({ verify: (tok) => as.verify(tok) });
gh.seed("octo/hello", 20);
const t = await lib.startTaiku({
  integrations: { apps: { github: lib.asApp(as, "taiku-github", ["repo", "read:user"]) }, catalogueDir: CATALOGUES },
  egressHosts: { "api.github.com": gh.url },
});
const DIRECT_CB = "http://127.0.0.1:9/bench-direct/callback";
// registerClients(as, t, ["taiku-github"]) plus the bench's own client for the direct calls.
as.setClients([
  { client_id: "taiku-github", client_secret: "secret-of-taiku-github", redirect_uris: [`${t.publicUrl}${lib.CALLBACK}`] },
  { client_id: "bench-direct", client_secret: "secret-of-bench-direct", redirect_uris: [DIRECT_CB] },
]);

try {
  await lib.connect(t, "github");
  const conns = await lib.connections(t);
  console.log(`setup: taiku ${t.http.base}, AS ${as.issuer}, GitHub stand-in ${gh.url}; connections ${conns.map((c) => `${c.toolkit}=${c.status}`).join(", ")}`);
  if (!conns.some((c) => c.toolkit === "github" && c.status === "ACTIVE")) throw new Error("GitHub connection did not become ACTIVE");

  // A token for the direct calls: the same AS, the same consent flow, PKCE S256.
  const verifier = randomBytes(32).toString("base64url");
  const auth = new URL(as.endpoints.authorizationEndpoint);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: "bench-direct", redirect_uri: DIRECT_CB, scope: "repo read:user", state: randomBytes(12).toString("base64url"), code_challenge: createHash("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256" })) auth.searchParams.set(k, v);
  const cb = new URL(await lib.authorize(auth.href, DIRECT_CB));
  const tokRes = await fetch(as.endpoints.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: cb.searchParams.get("code") ?? "", redirect_uri: DIRECT_CB, code_verifier: verifier, client_id: "bench-direct", client_secret: "secret-of-bench-direct" }).toString(),
  });
  const directToken = (await tokRes.json()).access_token;
  if (!directToken) throw new Error(`no direct token: ${tokRes.status}`);

  // ---- execute overhead
  const tool = TOOLS[values.tool];
  if (!tool) throw new Error(`--tool must be one of ${Object.keys(TOOLS).join(", ")}`);
  const direct = async () => {
    const t0 = performance.now();
    const res = await fetch(gh.url + tool.path, { method: tool.method, headers: { ...GITHUB_HEADERS, authorization: `Bearer ${directToken}` } });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`direct: ${res.status} ${body.slice(0, 200)}`);
    return { ms, body };
  };
  const execUrl = `${t.http.base}/api/v1/integrations/execute`;
  const execBody = JSON.stringify({ toolkit: "github", action: values.tool, arguments: tool.args });
  const viaTaiku = async () => {
    const t0 = performance.now();
    const res = await fetch(execUrl, { method: "POST", headers: { ...t.headers, "content-type": "application/json" }, body: execBody });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`taiku execute: ${res.status} ${body.slice(0, 200)}`);
    return { ms, body };
  };
  const a = await direct();
  const b = await viaTaiku();
  if (JSON.stringify(JSON.parse(a.body)) !== JSON.stringify(JSON.parse(b.body))) throw new Error("taiku's answer differs from the stand-in's");
  for (let i = 0; i < Number(values.warmup); i++) {
    await direct();
    await viaTaiku();
  }
  const dMs = [];
  const tMs = [];
  const diff = [];
  const n = Number(values.calls);
  const upstreamBefore = gh.log.length;
  const e0 = performance.now();
  for (let i = 0; i < n; i++) {
    // Alternate which goes first, so neither side always follows the other's GC or timer work.
    const [x, y] = i % 2 ? [await direct(), await viaTaiku()] : [null, null];
    const [y2, x2] = i % 2 ? [null, null] : [await viaTaiku(), await direct()];
    const d = (x ?? x2).ms;
    const tk = (y ?? y2).ms;
    dMs.push(d);
    tMs.push(tk);
    diff.push(tk - d);
  }
  const execWall = performance.now() - e0;
  const D = summary(dMs);
  const T = summary(tMs);
  const X = summary(diff);
  console.log(`execute ${values.tool} (${tool.method} ${tool.path}), ${n} sequential pairs in ${fmt(execWall / 1000, 1)} s; upstream requests seen by the stand-in: ${gh.log.length - upstreamBefore}`);
  console.log(`execute direct to the GitHub stand-in: p50 ${fmt(D.p50)} ms, p90 ${fmt(D.p90)} ms, p99 ${fmt(D.p99)} ms, mean ${fmt(D.mean)} ms`);
  console.log(`execute via taiku POST /api/v1/integrations/execute: p50 ${fmt(T.p50)} ms, p90 ${fmt(T.p90)} ms, p99 ${fmt(T.p99)} ms, mean ${fmt(T.mean)} ms`);
  console.log(`execute overhead: p50 ${fmt(T.p50 - D.p50)} ms, p99 ${fmt(T.p99 - D.p99)} ms (difference of percentiles); per pair p50 ${fmt(X.p50)} ms, p99 ${fmt(X.p99)} ms; target p50 < 2 ms: ${T.p50 - D.p50 < 2 ? "met" : "MISSED"}`);

  // A cheap authenticated route of the same server, for the HTTP + auth floor.
  const floor = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const r = await fetch(`${t.http.base}/api/v1/integrations/connections`, { headers: t.headers });
    await r.text();
    floor.push(performance.now() - t0);
  }
  const F = summary(floor.slice(50));
  console.log(`floor: GET /api/v1/integrations/connections (auth + one DB read): p50 ${fmt(F.p50)} ms, p99 ${fmt(F.p99)} ms`);

  // ---- tools search
  const store = new lib.CatalogueStore(CATALOGUES);
  const tools = store.get("github").catalogue.tools;
  const rounds = Number(values["search-rounds"]);
  const per = new Map(QUERIES.map((q) => [q, { http: [], inproc: [], hits: 0, bytes: 0 }]));
  for (const q of QUERIES) {
    // warm-up
    for (let i = 0; i < 5; i++) await (await fetch(`${t.http.base}/api/v1/integrations/toolkits/github/tools?search=${encodeURIComponent(q)}`, { headers: t.headers })).text();
  }
  const s0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const q of QUERIES) {
      const e = per.get(q);
      const t0 = performance.now();
      const res = await fetch(`${t.http.base}/api/v1/integrations/toolkits/github/tools?search=${encodeURIComponent(q)}`, { headers: t.headers });
      const text = await res.text();
      e.http.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${text.slice(0, 200)}`);
      if (r === 0) {
        e.hits = JSON.parse(text).tools.length;
        e.bytes = Buffer.byteLength(text);
      }
      const t1 = performance.now();
      lib.searchTools(tools, q, 50).map(lib.toPublic);
      e.inproc.push(performance.now() - t1);
    }
  }
  const searchWall = performance.now() - s0;
  const allHttp = [];
  const allIn = [];
  console.log(`search: ${tools.length} tools in the GitHub catalogue; ${QUERIES.length} queries × ${rounds} rounds in ${fmt(searchWall / 1000, 1)} s; default limit 50`);
  for (const [q, e] of per) {
    allHttp.push(...e.http);
    allIn.push(...e.inproc);
    const h = summary(e.http);
    const i = summary(e.inproc);
    console.log(`search "${q}": ${e.hits} hits, ${fmt(e.bytes / 1024, 1)} KiB answer; HTTP p50 ${fmt(h.p50)} ms, p99 ${fmt(h.p99)} ms; searchTools in process p50 ${fmt(i.p50)} ms, p99 ${fmt(i.p99)} ms`);
  }
  const H = summary(allHttp);
  const I = summary(allIn);
  console.log(`search all queries (n=${H.n}): HTTP p50 ${fmt(H.p50)} ms, p90 ${fmt(H.p90)} ms, p99 ${fmt(H.p99)} ms; searchTools in process p50 ${fmt(I.p50)} ms, p99 ${fmt(I.p99)} ms; target < 5 ms: p50 ${H.p50 < 5 ? "met" : "MISSED"}, p99 ${H.p99 < 5 ? "met" : "MISSED"}`);
  console.log(`# ${machineLine()}`);
} finally {
  await t.server.close().catch(() => {});
  await gh.close();
  await as.close();
  rmSync(dirname(t.home), { recursive: true, force: true });
}
process.exit(0);
