/**
 * Connectors in real Chromium (issue "Connectors", items 3 and 5): a `taiku serve` process with
 * integrations (and so connectors) on, a real OAuth 2.0 authorization server and the GitHub REST
 * stand-in behind `[egress.hosts]`. A signed-up user connects GitHub (consent in a browser window),
 * sets up the GitHub connection on the Connections page, enables a repository and watches its sync
 * reach "done"; the Inbox plugin lists the stand-in's issues, a reply becomes a comment upstream, a 👍
 * becomes a reaction upstream, and closing the issue closes it upstream. A plugin without `inbox.read` is refused before any request.
 */
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { bridgeRequest, consentAt, enablePlugin, loopbackOnly, pluginFrame as frame, signUp } from "./harness/workspace.js";
import { startGithubIntegrations, type GithubIntegrations } from "./harness/github-integrations.js";
import { startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import type { GithubStandIn } from "../packages/server/test/integrations/standins/github.js";

const INBOX = "taiku.inbox";
const REPO = "octo/hello";
const SEEDED = 12;
const CLIENT_ID = "taiku-e2e-inbox";
const CLIENT_SECRET = `secret-${randomBytes(8).toString("hex")}`;
const SCREENSHOTS = process.env.TAIKU_E2E_SCREENSHOTS ?? tmpdir();

let browser: Browser;
let gh: GithubStandIn;
let stack: GithubIntegrations;
let server: ServerProc;
let share: ShareProc;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startGithubIntegrations({ homePrefix: "taiku-inbox-", clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, secretEnv: "E2E_INBOX_GITHUB_SECRET" });
  ({ gh, server } = stack);
  gh.seed(REPO, SEEDED, { prEvery: 6 });

  ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await loopbackOnly(ctx);
  const { apiKey } = await signUp(ctx, server.url, "Linus", "e2e inbox");
  share = await startShare(server, ["--token", apiKey!]);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await stack?.close();
});

describe("connectors and the inbox in Chromium", () => {
  it("connects GitHub, enables a repository in the Connections page and sees its sync reach done", async () => {
    // The OAuth account: started over HTTP as the signed-in user, consent in a browser window.
    const started = await ctx.request.post(`${server.url}/api/v1/integrations/connections`, {
      data: { toolkit: "github", callbackUrl: `${server.url}/api/v1/integrations/callback` },
      headers: { origin: server.url },
    });
    expect(started.status()).toBeLessThan(300);
    const { redirectUrl } = (await started.json()) as { redirectUrl: string };
    const consent = await ctx.newPage();
    await consent.goto(redirectUrl);
    expect(await consentAt(consent, { serverUrl: server.url, login: "octocat-inbox" })).toBe("Connected — you can close this tab");
    await consent.close();

    // The Connections page, reached from the account page's link.
    const p = await ctx.newPage();
    p.on("pageerror", (e) => pageErrors.push(e.message));
    await p.goto(`${server.url}/account`);
    await p.click('[data-testid="connections-link"]');
    await p.waitForURL(`${server.url}/connections`);
    const github = p.locator('[data-testid="connector"][data-connector="github"]');
    await github.locator('[data-testid="connection-create"]').click();
    const channel = github.locator(`[data-testid="channel"][data-channel-id="${REPO}"]`);
    await expect.poll(() => channel.count(), { timeout: 15_000 }).toBe(1);
    expect(await channel.getAttribute("data-sync")).toBe("off");
    expect(await channel.locator('[data-testid="channel-toggle"]').isChecked()).toBe(false);
    // The hook URL is loopback: GitHub could not deliver webhooks, and the page says so.
    await expect.poll(() => github.locator('[data-testid="webhooks-unreachable"]').count(), { timeout: 15_000 }).toBe(1);

    // Enable: the channel goes through pending/syncing to done, with the item count.
    const seen = new Set<string>();
    await channel.locator('[data-testid="channel-toggle"]').check();
    await expect.poll(async () => {
      const s = (await channel.getAttribute("data-sync")) ?? "";
      seen.add(s);
      return s;
    }, { timeout: 60_000, interval: 100 }).toBe("done");
    expect([...seen].every((s) => ["off", "pending", "syncing", "done"].includes(s))).toBe(true);
    await expect.poll(() => channel.locator('[data-testid="channel-sync"]').textContent(), { timeout: 15_000 }).toBe(`Synced · ${SEEDED} items`);
    expect(await channel.locator('[data-testid="channel-toggle"]').isChecked()).toBe(true);
    await p.screenshot({ path: join(SCREENSHOTS, "inbox-connections.png") });

    // The same page at phone width still shows the channel and its state.
    await p.setViewportSize({ width: 390, height: 800 });
    expect(await channel.locator('[data-testid="channel-sync"]').isVisible()).toBe(true);
    await p.screenshot({ path: join(SCREENSHOTS, "inbox-connections-phone.png"), fullPage: true });
    await p.close();
  });

  it("the Inbox plugin lists the stand-in's issues, replies upstream and closes the issue", async () => {
    page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(share.links.session!);
    await page.waitForSelector('[data-testid="terminal-1"]', { timeout: 30_000 });
    await page.waitForFunction(() => (window as any).__taiku.client.state.accountId !== null);
    await enablePlugin(page, INBOX);
    const inbox = frame(page, INBOX);

    const threads = inbox.locator('[data-testid="inbox-thread"]');
    await expect.poll(() => threads.count(), { timeout: 20_000 }).toBe(SEEDED);
    const titles = (await inbox.locator('[data-testid="inbox-thread"] .title').allTextContents()).sort();
    expect(titles).toEqual(gh.repos.get(REPO)!.map((i) => i.title).sort());

    // Events from the server's stream reach the plugin (gated by inbox.read): record them in its frame,
    // through the plugin's own SDK client (it takes them from the host's MessagePort, not the window).
    const inboxFrame = page.frames().find((f) => f.url().includes(`/plugins/${INBOX}/`))!;
    await inboxFrame.evaluate(() => {
      const w = window as unknown as { __inboxEvents: string[] };
      w.__inboxEvents = [];
      // `taiku` is the panel's top-level `const` (a global lexical binding, not a window property).
      const sdk = (0, eval)("taiku") as { on(type: string, h: (e: { type: string }) => void): void };
      sdk.on("*", (e) => {
        if (e.type.startsWith("inbox.")) w.__inboxEvents.push(e.type);
      });
    });

    // Read Issue 3: its body is the first note.
    await inbox.locator('[data-testid="inbox-thread"]').filter({ has: inbox.locator(".title", { hasText: /^Issue 3$/ }) }).click();
    await expect.poll(() => inbox.locator("#thread-title").textContent(), { timeout: 15_000 }).toBe("Issue 3");
    await expect.poll(() => inbox.locator('[data-testid="inbox-note"] .body').first().textContent(), { timeout: 15_000 }).toBe("Body of 3");

    // Reply: the note is written back as a comment on the stand-in.
    const reply = `Looking into it ${randomBytes(3).toString("hex")}`;
    await inbox.locator("#reply-text").fill(reply);
    await inbox.locator("#reply-send").click();
    await expect.poll(() => gh.comments.get(`${REPO}#3`)?.map((c) => c.body) ?? [], { timeout: 30_000 }).toEqual([reply]);
    await expect.poll(() => inbox.locator('[data-testid="inbox-note"] .body').allTextContents(), { timeout: 15_000 }).toContain(reply);
    await expect.poll(() => inboxFrame.evaluate(() => (window as unknown as { __inboxEvents: string[] }).__inboxEvents), { timeout: 15_000 })
      .toContain("inbox.note_added");
    // One note for the reply, even after its upstream key came back.
    expect((await inbox.locator('[data-testid="inbox-note"] .body').allTextContents()).filter((t) => t === reply)).toHaveLength(1);

    // 👍 on the issue body: a reaction upstream, shown as yours; a second click takes it back.
    const thumbs = inbox.locator('[data-testid="inbox-note"]').first().locator('[data-testid="inbox-react"][data-emoji="👍"]');
    await thumbs.click();
    await expect.poll(() => gh.reactions.get(`${REPO}#3`)?.map((r) => r.content) ?? [], { timeout: 30_000 }).toEqual(["+1"]);
    await expect.poll(() => thumbs.textContent(), { timeout: 15_000 }).toBe("👍 1");
    await expect.poll(() => thumbs.getAttribute("class"), { timeout: 15_000 }).toBe("mine");
    await thumbs.click();
    await expect.poll(() => gh.reactions.get(`${REPO}#3`)?.length, { timeout: 30_000 }).toBe(0);
    await expect.poll(() => thumbs.textContent(), { timeout: 15_000 }).toBe("👍");

    // Close, then reopen: both written back.
    await inbox.locator("#toggle-status").click();
    await expect.poll(() => gh.repos.get(REPO)!.find((i) => i.number === 3)!.state, { timeout: 30_000 }).toBe("closed");
    await expect.poll(() => inbox.locator("#thread-status").textContent(), { timeout: 15_000 }).toBe("closed");
    await expect.poll(() => inbox.locator("#toggle-status").textContent(), { timeout: 15_000 }).toBe("Reopen");
    await inbox.locator("#toggle-status").click();
    await expect.poll(() => gh.repos.get(REPO)!.find((i) => i.number === 3)!.state, { timeout: 30_000 }).toBe("open");
    await page.screenshot({ path: join(SCREENSHOTS, "inbox-plugin.png") });
  });

  it("a reply GitHub refuses shows the server's delivery error on the note", async () => {
    const inbox = frame(page, INBOX);
    await inbox.locator("#back").click();
    await inbox.locator('[data-testid="inbox-thread"]').filter({ has: inbox.locator(".title", { hasText: /^Issue 4$/ }) }).click();
    await expect.poll(() => inbox.locator("#thread-title").textContent(), { timeout: 15_000 }).toBe("Issue 4");
    // The issue is gone upstream for a moment: the comment POST answers 404.
    const issues = gh.repos.get(REPO)!;
    const at = issues.findIndex((i) => i.number === 4);
    const [gone] = issues.splice(at, 1);
    try {
      const reply = `Refused ${randomBytes(3).toString("hex")}`;
      await inbox.locator("#reply-text").fill(reply);
      await inbox.locator("#reply-send").click();
      const note = inbox.locator('[data-testid="inbox-note"]').filter({ has: inbox.locator(".body", { hasText: reply }) });
      // The server sends `deliveryError: { code, message }`: the panel shows the message, not "[object Object]".
      await expect.poll(async () => {
        await inbox.locator("#refresh").click();
        const err = note.locator(".err");
        return (await err.count()) ? err.textContent() : null;
      }, { timeout: 30_000, interval: 500 }).toBe("Not sent upstream: GitHub answered 404");
    } finally {
      issues.splice(at, 0, gone!);
    }
  });

  it("a plugin without inbox.read is refused, and no inbox request leaves the page", async () => {
    await enablePlugin(page, "taiku.event-log");
    const inboxRequests: string[] = [];
    const onRequest = (r: { url(): string }) => void (r.url().includes("/api/v1/inbox/threads") && inboxRequests.push(r.url()));
    ctx.on("request", onRequest);
    const denied = await bridgeRequest(page, "taiku.event-log", "inbox.list", {});
    expect(denied.error).toBe("Permission denied: inbox.read is required for inbox.list");
    const write = await bridgeRequest(page, "taiku.event-log", "inbox.reply", { threadId: "x", content: "hi" });
    expect(write.error).toBe("Permission denied: inbox.write is required for inbox.reply");
    // The Inbox plugin, which declares it, is answered.
    const allowed = await bridgeRequest<{ threads: unknown[] }>(page, INBOX, "inbox.list", { limit: 5 });
    expect(allowed.result?.threads).toHaveLength(5);
    ctx.off("request", onRequest);
    expect(inboxRequests.filter((u) => u.includes("limit=5"))).toHaveLength(1);
    expect(inboxRequests.filter((u) => !u.includes("limit=5") && !u.includes("limit=100"))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("shows the re-auth prompt when the GitHub account is gone, and resumes after reconnecting", async () => {
    // The user disconnects GitHub under Integrations; the next write-back finds no token.
    const integ = ((await (await ctx.request.get(`${server.url}/api/v1/integrations/connections`)).json()) as { connections: Array<{ id: string; toolkit: string }> })
      .connections.find((c) => c.toolkit === "github")!;
    expect((await ctx.request.delete(`${server.url}/api/v1/integrations/connections/${integ.id}`, { headers: { origin: server.url } })).status()).toBeLessThan(300);
    const inbox = frame(page, INBOX);
    await inbox.locator("#reply-text").fill("Sent while disconnected");
    await inbox.locator("#reply-send").click();

    const p = await ctx.newPage();
    p.on("pageerror", (e) => pageErrors.push(e.message));
    await p.goto(`${server.url}/connections`);
    const github = p.locator('[data-testid="connector"][data-connector="github"]');
    await expect.poll(() => github.locator('[data-testid="reauth-prompt"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await github.locator('[data-testid="reauth-prompt"]').textContent()).toContain("GitHub needs you to sign in again");
    expect(gh.comments.get(`${REPO}#3`)?.map((c) => c.body)).not.toContain("Sent while disconnected");

    // Reconnect the account: the connection becoming ACTIVE clears the re-auth state by itself (no
    // "Resume syncing" click); after a reload the prompt is gone and the channel syncs to done again.
    const started = await ctx.request.post(`${server.url}/api/v1/integrations/connections`, {
      data: { toolkit: "github", callbackUrl: `${server.url}/api/v1/integrations/callback` },
      headers: { origin: server.url },
    });
    const consent = await ctx.newPage();
    await consent.goto(((await started.json()) as { redirectUrl: string }).redirectUrl);
    expect(await consentAt(consent, { serverUrl: server.url, login: "octocat-inbox" })).toBe("Connected — you can close this tab");
    await consent.close();
    await p.reload();
    await expect.poll(() => github.locator('[data-testid="channel"]').count(), { timeout: 15_000 }).toBe(1);
    expect(await github.locator('[data-testid="reauth-prompt"]').count()).toBe(0);
    const channel = github.locator(`[data-testid="channel"][data-channel-id="${REPO}"]`);
    await expect.poll(() => channel.getAttribute("data-sync"), { timeout: 60_000, interval: 100 }).toBe("done");
    await p.close();
    expect(pageErrors).toEqual([]);
  });
});
