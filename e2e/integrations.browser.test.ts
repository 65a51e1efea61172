/**
 * Integrations in real Chromium (issue "Integrations", Must show): a `taiku serve` process configured
 * through the environment and `$TAIKU_HOME/taiku.toml`, a real OAuth 2.0 authorization server
 * (oidc-provider) as GitHub's, and the GitHub REST stand-in behind `[egress.hosts]`. The seed 000
 * Integrations Demo, unmodified, connects GitHub through the popup, lists tools and creates an issue
 * that then exists in the stand-in; a blocked popup yields `opened: false` and a working link; an
 * undeclared toolkit is refused with no request leaving the page; a signed-out viewer is told
 * "Not signed in". Then the Integrations page and `taiku integrations rotate-key`.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { consentAt, enablePlugin, inPlugin, loopbackOnly, openWorkspace, pluginFrame as frame, signUp } from "./harness/workspace.js";
import { startGithubIntegrations, type GithubIntegrations } from "./harness/github-integrations.js";
import { TAIKU_BIN } from "./harness/processes.js";
import { startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import type { RealAs } from "../packages/server/test/integrations/standins/oauth-server.js";
import type { GithubStandIn } from "../packages/server/test/integrations/standins/github.js";

const DEMO = "example.integrations";
const CLIENT_ID = "taiku-e2e-github";
const CLIENT_SECRET = `secret-${randomBytes(8).toString("hex")}`;
const SCREENSHOTS = process.env.TAIKU_E2E_SCREENSHOTS ?? tmpdir();

let browser: Browser;
let as: RealAs;
let gh: GithubStandIn;
let home: string;
let stack: GithubIntegrations;
let server: ServerProc;
let share: ShareProc;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let a: Page;
const pageErrors: string[] = [];

/** Loopback only: the browser never leaves the machine (oidc-provider's pages import a web font). */
const consentOpts = () => ({ serverUrl: server.url, login: "octocat-e2e", issuer: as.issuer });

const connections = async (ctx: BrowserContext) =>
  ((await (await ctx.request.get(`${server.url}/api/v1/integrations/connections`)).json()) as { connections: Array<{ id: string; toolkit: string; status: string }> }).connections;

beforeAll(async () => {
  browser = await launchChromium();
  // Configuration as an admin writes it: the vault key from `taiku integrations keygen`, the OAuth app
  // and the egress rewrite in taiku.toml (its secret through an environment variable), integrations
  // turned on from the environment (over the file's `enabled = false`).
  stack = await startGithubIntegrations({
    homePrefix: "taiku-integrations-", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, secretEnv: "E2E_GITHUB_CLIENT_SECRET",
    tomlHead: ["[integrations]", "enabled = false # TAIKU_INTEGRATIONS=on below wins", ""],
  });
  ({ as, gh, server, home } = stack);
  expect(stack.keygenOutput).toContain(join(home, "vault.key"));
  expect(statSync(join(home, "vault.key")).mode & 0o777).toBe(0o600);

  // A signed-up user (cookie in ctxA) whose API key shares the session: the session is theirs.
  ctxA = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  ctxB = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await loopbackOnly(ctxA);
  await loopbackOnly(ctxB);
  const { apiKey } = await signUp(ctxA, server.url, "Grace", "e2e share");
  share = await startShare(server, ["--token", apiKey!]);
  a = await openWorkspace(ctxA, share.links.session!);
  await a.waitForFunction(() => (window as any).__taiku.client.state.accountId !== null);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await stack?.close();
});

describe("integrations in Chromium", () => {
  it("the Integrations Demo connects GitHub through the popup, becomes ACTIVE, lists tools and creates an issue in the stand-in", async () => {
    await enablePlugin(a, DEMO);
    const demo = frame(a, DEMO);
    await expect.poll(() => demo.locator("#connect").textContent(), { timeout: 15_000 }).toBe("Connect GitHub");

    const authRequests: string[] = [];
    ctxA.on("request", (r) => void (r.url().startsWith(`${as.endpoints.authorizationEndpoint}?`) && authRequests.push(r.url())));
    const [popup] = await Promise.all([a.waitForEvent("popup"), demo.locator("#connect").click()]);
    await expect.poll(() => demo.locator("#output").textContent(), { timeout: 15_000 }).toBe("Finish OAuth in the opened tab, then reload.");
    // The popup went to the authorization server with PKCE S256 and state, redirecting to taiku's callback.
    await expect.poll(() => authRequests.length, { timeout: 15_000 }).toBe(1);
    const auth = new URL(authRequests[0]!);
    expect(auth.origin).toBe(as.issuer);
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("state")).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get("redirect_uri")).toBe(`${server.url}/api/v1/integrations/callback`);
    expect(await connections(ctxA)).toEqual([expect.objectContaining({ toolkit: "github", status: "INITIATED" })]);
    expect(await consentAt(popup, consentOpts())).toBe("Connected — you can close this tab");
    expect(as.grants.authorization_code).toBe(1);
    await popup.close();

    // ACTIVE: through the bridge, and in the demo after a reload (its documented "then reload").
    expect(await inPlugin(a, DEMO, `return await call("integrations.list", {});`)).toEqual({ connections: [expect.objectContaining({ toolkit: "github", status: "ACTIVE" })] });
    await a.reload();
    await a.waitForSelector('[data-testid="terminal-1"]', { timeout: 30_000 });
    if ((await a.locator(`iframe[data-plugin-id="${DEMO}"]`).count()) === 0) await a.click(`[data-testid="plugin-action"][data-plugin-id="${DEMO}"]`);
    await expect.poll(() => frame(a, DEMO).locator("#connect").textContent(), { timeout: 15_000 }).toBe("Reconnect GitHub");

    // List tools: the demo asks for 50; the everyday tools come first (featured.ts), so the demo
    // offers GITHUB_CREATE_AN_ISSUE as it is, and a user picks it from its dropdown.
    const demo2 = frame(a, DEMO);
    await demo2.locator("#load").click();
    await expect.poll(() => demo2.locator("#tools option").count(), { timeout: 15_000 }).toBe(50);
    const offered = await demo2.locator("#tools option").allTextContents();
    expect(offered.every((s) => s.startsWith("GITHUB_"))).toBe(true);
    expect(offered).toContain("GITHUB_CREATE_AN_ISSUE");
    const found = await inPlugin<{ tools: Array<{ slug: string; inputParameters: { required?: string[] } }> }>(
      a, DEMO, `return await call("integrations.tools", { toolkit: "github", search: "create an issue", limit: 5 });`);
    const tool = found.tools.find((t) => t.slug === "GITHUB_CREATE_AN_ISSUE")!;
    expect(tool.inputParameters.required).toEqual(expect.arrayContaining(["owner", "repo", "title"]));
    await demo2.locator("#tools").selectOption("GITHUB_CREATE_AN_ISSUE");
    const title = `Bug from Chromium ${randomBytes(3).toString("hex")}`;
    await demo2.locator("#args").fill(JSON.stringify({ owner: "octo", repo: "hello", title, body: "Created by the Integrations Demo." }));
    await demo2.locator("#run").click();
    await expect.poll(() => demo2.locator("#output").textContent(), { timeout: 15_000 }).toContain(`"title": "${title}"`);
    const shown = JSON.parse((await demo2.locator("#output").textContent())!) as { number: number; user: { login: string } };
    expect(shown.user.login).toBe("octocat-e2e");
    // The issue exists upstream, created with the user's token.
    expect(gh.repos.get("octo/hello")).toEqual(expect.arrayContaining([expect.objectContaining({ number: shown.number, title, body: "Created by the Integrations Demo." })]));
    const upstream = gh.log.filter((l) => l.method === "POST" && l.path === "/repos/octo/hello/issues");
    expect(upstream.at(-1)!.headers.authorization).toMatch(/^Bearer /);
    // An upstream error reaches the demo verbatim (GitHub's 422 body).
    await demo2.locator("#args").fill(JSON.stringify({ owner: "octo", repo: "hello", title: "" }));
    await demo2.locator("#run").click();
    await expect.poll(() => demo2.locator("#output").textContent(), { timeout: 15_000 }).toMatch(/^Error: .*Validation Failed/);
  });

  it("an undeclared toolkit is refused in the page: no request reaches the server", async () => {
    let requests = 0;
    await a.route("**/api/v1/integrations/**", (route) => {
      requests++;
      return route.continue();
    });
    try {
      const refused = await inPlugin<string[]>(a, DEMO, `
        const out = [];
        for (const [m, p] of [["integrations.tools", { toolkit: "Slack" }], ["integrations.connect", { toolkit: "slack" }], ["integrations.execute", { toolkit: "linear", action: "LINEAR_CREATE_ISSUE", arguments: {} }]]) {
          try { await call(m, p); out.push("ran " + m); } catch (e) { out.push(e.message); }
        }
        return out;`);
      expect(refused).toEqual([
        'Toolkit "slack" is not declared in manifest.integrations',
        'Toolkit "slack" is not declared in manifest.integrations',
        'Toolkit "linear" is not declared in manifest.integrations',
      ]);
      expect(requests).toBe(0);
      // The counter sees the requests a declared toolkit makes (so the zero above means something).
      await inPlugin(a, DEMO, `return await call("integrations.tools", { toolkit: "github", limit: 1 });`);
      expect(requests).toBe(1);
    } finally {
      await a.unroute("**/api/v1/integrations/**");
    }
  });

  it("a blocked popup yields opened: false and a link that completes the connection", async () => {
    // window.open answers null in the host page, as when the browser's popup blocker refuses it.
    const page = await ctxA.newPage();
    await page.addInitScript(() => {
      window.open = () => null;
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(share.links.session!);
    await page.waitForSelector('[data-testid="terminal-1"]', { timeout: 30_000 });
    await page.waitForFunction(() => (window as any).__taiku.client.state.accountId !== null);
    if ((await page.locator(`iframe[data-plugin-id="${DEMO}"]`).count()) === 0) await page.click(`[data-testid="plugin-action"][data-plugin-id="${DEMO}"]`);
    await expect.poll(() => frame(page, DEMO).locator("#connect").textContent(), { timeout: 15_000 }).toBe("Reconnect GitHub");

    const r = await inPlugin<{ opened: boolean; redirectUrl: string; status: string; connectionId: string }>(page, DEMO, `return await call("integrations.connect", { toolkit: "github" });`);
    expect(r).toMatchObject({ opened: false, status: "INITIATED" });
    expect(new URL(r.redirectUrl).origin).toBe(as.issuer);
    // The demo's own Connect button shows its fallback link.
    const demo = frame(page, DEMO);
    await demo.locator("#connect").click();
    await expect.poll(() => demo.locator("#output").textContent(), { timeout: 15_000 }).toBe("Popup blocked: connect here.");
    const link = demo.locator("#output a");
    const href = (await link.getAttribute("href"))!;
    expect(new URL(href).origin).toBe(as.issuer);
    const pending = (await connections(ctxA)).find((c) => c.status === "INITIATED")!;
    expect(pending).toBeDefined();
    // The link works: it opens (the sandbox allows popups that escape it) and completes the connection.
    const [tab] = await Promise.all([ctxA.waitForEvent("page"), link.click()]);
    expect(await consentAt(tab, consentOpts())).toBe("Connected — you can close this tab");
    await tab.close();
    await expect.poll(async () => (await connections(ctxA)).find((c) => c.id === pending.id)?.status, { timeout: 10_000 }).toBe("ACTIVE");
    await page.close();
  });

  it("a signed-out viewer of the session gets the documented Not signed in error", async () => {
    const b = await openWorkspace(ctxB, share.links.session!);
    expect(await b.evaluate(() => (window as any).__taiku.client.state.accountId)).toBeNull();
    let requests = 0;
    await b.route("**/api/v1/integrations/**", (route) => (requests++, route.continue()));
    await enablePlugin(b, DEMO);
    const demoB = frame(b, DEMO);
    await demoB.locator("#load").click();
    await expect.poll(() => demoB.locator("#output").textContent(), { timeout: 15_000 }).toBe("List failed: Not signed in");
    await demoB.locator("#connect").click();
    await expect.poll(() => demoB.locator("#output").textContent(), { timeout: 15_000 }).toBe("Connect failed: Not signed in");
    expect(requests).toBe(0);
    // Over HTTP without a cookie the server says the same.
    const res = await ctxB.request.get(`${server.url}/api/v1/integrations/connections`);
    expect(res.status()).toBe(401);
    expect(await res.text()).toBe("Not signed in");
  });

  it("the Integrations page shows the connection, browses tools with their input schema, and the audit log", async () => {
    // The session header links to the page for a signed-in user.
    expect(await a.locator('[data-testid="integrations-link"]').getAttribute("href")).toBe("/integrations");
    const page = await ctxA.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/account`);
    await page.click('[data-testid="integrations-link"]');
    await page.waitForURL(`${server.url}/integrations`);
    const row = page.locator('[data-testid="toolkit"][data-toolkit="github"]');
    await expect.poll(() => row.locator('[data-testid="toolkit-status"]').textContent(), { timeout: 15_000 }).toBe("ACTIVE");
    expect(await page.locator('[data-testid="toolkit"][data-toolkit="slack"] [data-testid="toolkit-status"]').textContent()).toBe("Not configured");

    // Tool browser: search, then the input schema.
    await row.locator('[data-testid="toolkit-tools"]').click();
    await page.fill('[data-testid="tool-search"]', "create an issue");
    await expect.poll(() => page.locator('[data-testid="tool"]').allTextContents(), { timeout: 15_000 }).toEqual(expect.arrayContaining([expect.stringContaining("GITHUB_CREATE_AN_ISSUE")]));
    await page.locator('[data-testid="tool"][data-slug="GITHUB_CREATE_AN_ISSUE"] summary').click();
    const schema = JSON.parse((await page.locator('[data-testid="tool"][data-slug="GITHUB_CREATE_AN_ISSUE"] [data-testid="tool-schema"]').textContent())!);
    expect(schema.required).toEqual(expect.arrayContaining(["owner", "repo", "title"]));

    // Audit log: the demo's executions, newest first.
    const audit = page.locator('[data-testid="audit-row"]');
    await expect.poll(() => audit.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const first = await audit.nth(0).textContent();
    expect(first).toContain(DEMO);
    expect(first).toContain("GITHUB_CREATE_AN_ISSUE");
    expect(first).toContain("upstream_error");
    expect(await audit.nth(1).textContent()).toMatch(/GITHUB_CREATE_AN_ISSUE[\s\S]*ok/);
    await page.screenshot({ path: join(SCREENSHOTS, "taiku-integrations-desktop.png"), fullPage: true });

    // Phone width: nothing overflows sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, "taiku-integrations-phone.png"), fullPage: true });

    // Disconnect: the grant is revoked at the AS and the row offers Connect again.
    await row.locator('[data-testid="toolkit-disconnect"]').click();
    expect(await row.locator('[data-testid="toolkit-disconnect"]').textContent()).toContain("Confirm");
    expect(await connections(ctxA)).toEqual([expect.objectContaining({ status: "ACTIVE" })]);
    await row.locator('[data-testid="toolkit-disconnect"]').click();
    await expect.poll(() => row.locator('[data-testid="toolkit-status"]').textContent(), { timeout: 15_000 }).toBe("Not connected");
    expect(await connections(ctxA)).toEqual([]);
    await page.close();
  });

  it("taiku integrations rotate-key re-encrypts the vault under a new key; the server keeps working", async () => {
    const before = readFileSync(join(home, "vault.key"), "utf8");
    // Connect again (the page above disconnected) with the demo's button. Headless Chromium without a GPU
    // can keep stale hit-test data for an out-of-process (sandboxed) iframe on a page that has not drawn
    // for a while, and then drops clicks meant for it; a viewport change makes the page draw again.
    await a.setViewportSize({ width: 1400, height: 901 });
    const demo = frame(a, DEMO);
    const [popup] = await Promise.all([a.waitForEvent("popup"), demo.locator("#connect").click()]);
    await expect.poll(() => demo.locator("#output").textContent(), { timeout: 15_000 }).toBe("Finish OAuth in the opened tab, then reload.");
    await consentAt(popup, consentOpts());
    await popup.close();
    const out = execFileSync(process.execPath, [TAIKU_BIN, "integrations", "rotate-key", "--server", server.url], { env: { ...process.env, TAIKU_HOME: home }, encoding: "utf8" });
    expect(out).toMatch(/^re-encrypted [1-9]\d* records? under key [0-9a-f]{12}\n/);
    expect(out).toContain("the server updated its vault.key");
    const after = readFileSync(join(home, "vault.key"), "utf8");
    expect(after.trim().split("\n")).toHaveLength(1);
    expect(after).not.toBe(before);
    // Tokens still decrypt: the demo runs a tool after the rotation.
    const r = await inPlugin<{ login: string }>(a, DEMO, `return await call("integrations.execute", { toolkit: "github", action: "GITHUB_GET_THE_AUTHENTICATED_USER", arguments: {} });`);
    expect(r.login).toBe("octocat-e2e");
    // And keygen refuses to overwrite the key.
    let refused = "";
    try {
      execFileSync(process.execPath, [TAIKU_BIN, "integrations", "keygen"], { env: { ...process.env, TAIKU_HOME: home }, encoding: "utf8", stdio: "pipe" });
    } catch (err) {
      refused = String((err as { stderr?: string }).stderr);
    }
    expect(refused).toContain("refusing to overwrite");
    expect(readFileSync(join(home, "vault.key"), "utf8")).toBe(after);
  });

  it("left no page errors other than the demo's documented uncaught Not signed in", () => {
    expect(pageErrors.filter((e) => e !== "Not signed in")).toEqual([]);
  });
});
