/** Page-level helpers shared by the browser tests: the session page, the plugin manager, plugin frames. */
import { expect } from "vitest";
import type { BrowserContext, FrameLocator, Page } from "playwright-core";

/** Nothing but loopback: a stray request elsewhere is aborted, never sent. */
export async function loopbackOnly(ctx: BrowserContext): Promise<void> {
  await ctx.route((url) => !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname), (route) => route.abort());
}

/** Open a session link and wait for the first terminal and the plugins button; page errors go to `errors`. */
export async function openWorkspace(ctx: BrowserContext, url: string, errors?: string[]): Promise<Page> {
  const page = await ctx.newPage();
  if (errors) page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('[data-testid="terminal-1"]', { timeout: 30_000 });
  await page.waitForSelector('[data-testid="plugins-open"]');
  return page;
}

/** Enable a registry plugin through the manager (permission dialog included) and wait for its frame. */
export async function enablePlugin(page: Page, id: string): Promise<void> {
  await page.click('[data-testid="plugins-open"]');
  await page.click(`[data-testid="plugin-row"][data-plugin-id="${id}"] [data-testid="plugin-enable"]`);
  await page.waitForSelector('[data-testid="plugin-permissions-dialog"]');
  await page.click('[data-testid="plugin-approve"]');
  await page.click('[data-testid="plugin-manager-close"]');
  await page.waitForSelector(`iframe[data-plugin-id="${id}"]`, { state: "attached" });
}

/** Install a plugin from its manifest URL through the manager (permission dialog approved) and wait for its frame. */
export async function installPlugin(page: Page, id: string, manifestUrl: string): Promise<void> {
  await page.click('[data-testid="plugins-open"]');
  await page.fill('[data-testid="plugin-install-url"]', manifestUrl);
  await page.click('[data-testid="plugin-install"]');
  await page.waitForSelector('[data-testid="plugin-permissions-dialog"]');
  await page.click('[data-testid="plugin-approve"]');
  await page.click('[data-testid="plugin-manager-close"]');
  await page.waitForSelector(`iframe[data-plugin-id="${id}"]`, { state: "attached" });
}

export const pluginFrame = (page: Page, id: string): FrameLocator => page.frameLocator(`iframe[data-plugin-id="${id}"]`);

/**
 * Runs `body` inside a plugin's own panel frame (its identity, its manifest) as a raw bridge client —
 * the §6.5 pattern: waits for taiku:init if needed, then gives the body `call(method, params, extra?)`
 * (rejecting with the host's error text) and `ctx` ({pluginId, panelId, authToken}); events the frame
 * receives collect in `window.__events`. Returns what the body returns.
 */
export async function inPlugin<T>(page: Page, id: string, body: string): Promise<T> {
  const f = page.frames().find((fr) => fr.parentFrame() === page.mainFrame() && fr.url().includes(`/plugins/${id}/`));
  if (!f) throw new Error(`no frame for ${id}`);
  return f.evaluate(`(async () => {
    if (!window.__bridge) {
      const pending = new Map(); let ctx = null; let seq = 0;
      window.addEventListener("message", (e) => {
        if (e.source !== window.parent) return;
        const m = e.data;
        if (m?.type === "taiku:init") ctx = { pluginId: m.pluginId, panelId: m.panelId, authToken: m.authToken };
        if (m?.type === "taiku:response" && pending.has(m.id)) { const p = pending.get(m.id); pending.delete(m.id); m.error !== undefined ? p.reject(new Error(m.error)) : p.resolve(m.result); }
        if (m?.type === "taiku:event") (window.__events ||= []).push(m.event);
      });
      window.parent.postMessage({ type: "taiku:ready" }, "*");
      for (let i = 0; i < 100 && !ctx; i++) await new Promise((r) => setTimeout(r, 50));
      window.__bridge = {
        ctx: () => ctx,
        call: (method, params, extra) => new Promise((resolve, reject) => {
          const id = "e2e_" + ++seq;
          pending.set(id, { resolve, reject });
          window.parent.postMessage({ type: "taiku:request", id, ...ctx, method, params, ...extra }, "*");
          setTimeout(() => pending.delete(id) && reject(new Error("Timeout")), 15000);
        }),
      };
    }
    const call = window.__bridge.call;
    const ctx = window.__bridge.ctx();
    ${body}
  })()`) as Promise<T>;
}

/** One bridge request from a plugin's frame, answered as `{ result }` or `{ error }` (the host's text). */
export function bridgeRequest<T = unknown>(page: Page, id: string, method: string, params: unknown): Promise<{ result?: T; error?: string }> {
  return inPlugin(page, id, `try { return { result: await call(${JSON.stringify(method)}, ${JSON.stringify(params)}) }; } catch (e) { return { error: e.message }; }`);
}

/**
 * Signs in and consents at the OAuth stand-in (oidc-provider's dev interactions) in a browser window
 * until taiku's callback page answers; returns that page's heading. A second authorization in the same
 * browser may skip the login (the server remembers it), so each step is taken only when shown.
 */
export async function consentAt(popup: Page, opts: { serverUrl: string; login: string; issuer?: string }): Promise<string> {
  const callback = `${opts.serverUrl}/api/v1/integrations/callback`;
  for (let step = 0; step < 6; step++) {
    await popup.waitForLoadState("domcontentloaded");
    if (popup.url().startsWith(callback)) break;
    const login = popup.locator('input[name="login"]');
    const consent = popup.locator('input[name="prompt"][value="consent"]');
    await expect.poll(async () => (await login.count()) + (await consent.count()) > 0 || popup.url().startsWith(callback), { timeout: 15_000 }).toBe(true);
    if (popup.url().startsWith(callback)) break;
    if (await login.count()) {
      if (opts.issuer) expect(new URL(popup.url()).origin).toBe(opts.issuer);
      await login.fill(opts.login);
      await popup.fill('input[name="password"]', "anything");
    }
    await Promise.all([popup.waitForNavigation(), popup.click('button[type="submit"]')]);
  }
  await expect.poll(() => popup.url(), { timeout: 15_000 }).toContain("/api/v1/integrations/callback");
  return (await popup.locator("h1").textContent()) ?? "";
}

/** The `taiku.toml` lines registering the GitHub OAuth app at the stand-in and pointing api.github.com at its API stand-in. */
export function githubAppToml(
  as: { issuer: string; endpoints: { authorizationEndpoint: string; tokenEndpoint: string; revocationEndpoint: string } },
  githubUrl: string,
  clientId: string,
  secretEnv: string,
): string {
  return [
    "[integrations.apps.github]",
    `client_id = "${clientId}"`,
    `client_secret_env = "${secretEnv}"`,
    `scopes = ["repo", "read:user"]`,
    `issuer = "${as.issuer}"`,
    `authorization_endpoint = "${as.endpoints.authorizationEndpoint}"`,
    `token_endpoint = "${as.endpoints.tokenEndpoint}"`,
    `revocation_endpoint = "${as.endpoints.revocationEndpoint}"`,
    `revocation_style = "rfc7009"`,
    "",
    "[egress.hosts]",
    `"api.github.com" = "${githubUrl}"`,
    "",
  ].join("\n");
}

/**
 * Signs a new account up inside `ctx` (the cookie stays in the context), and with `apiKeyLabel`
 * also mints an API key for it (to share a session the account owns with `--token`).
 */
export async function signUp(ctx: BrowserContext, serverUrl: string, name: string, apiKeyLabel?: string): Promise<{ apiKey?: string }> {
  const signup = await ctx.request.post(`${serverUrl}/api/v1/auth/signup`, {
    data: { name, email: `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}@example.test`, password: "correct horse battery staple" },
    headers: { origin: serverUrl },
  });
  expect(signup.status()).toBe(201);
  if (!apiKeyLabel) return {};
  const key = await ctx.request.post(`${serverUrl}/api/v1/auth/api-keys`, { data: { label: apiKeyLabel }, headers: { origin: serverUrl } });
  expect(key.status()).toBe(201);
  return { apiKey: ((await key.json()) as { apiKey: string }).apiKey };
}
