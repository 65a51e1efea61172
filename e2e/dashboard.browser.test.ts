/**
 * The device dashboard in real Chromium (spec §3.14, §11.3.11): a signed-in user sees the machine
 * running the built `taiku daemon`, starts a session on it remotely at phone width, and lands on
 * the session page with a live terminal. The link secret travels sealed through the server.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startProcess, tempHome, type Proc } from "./harness/processes.js";
import { startServe, type ServerProc } from "./harness/session.js";
import { terminalSelector, typeInto, waitForText } from "./harness/terminal.js";
import { loopbackOnly, signUp } from "./harness/workspace.js";

let browser: Browser;
let server: ServerProc;
let daemon: Proc;
let ctx: BrowserContext;
let workDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await loopbackOnly(ctx);
  const { apiKey } = await signUp(ctx, server.url, "Dana", "e2e daemon");
  // As after `taiku login` on this server, before the machine registered itself.
  const config = tempHome("taiku-config-");
  writeFileSync(
    join(config, "credentials"),
    JSON.stringify({ server: `http://127.0.0.1:${server.port}`, apiKey, userId: "", userName: "Dana", deviceId: "", deviceToken: "" }),
    { mode: 0o600 },
  );
  const home = tempHome("taiku-user-");
  workDir = join(home, "project");
  mkdirSync(workDir);
  daemon = startProcess(["daemon", "--shell", "/bin/bash"], { TAIKU_CONFIG_DIR: config, HOME: home, PS1: "$ ", TAIKU_HEARTBEAT_MS: "500" });
  await daemon.waitFor(/waiting for remote starts/, 30_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop("SIGINT");
  await server?.stop();
});

it("sends a signed-out visitor to /login", async () => {
  const anon = await browser.newContext();
  const page = await anon.newPage();
  await page.goto(`${server.url}/dashboard`);
  await page.waitForURL(/\/login\?next=%2Fdashboard$/);
  await anon.close();
});

it("lists the device and starts a session on it remotely", async () => {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.url}/account`);
  await page.click('[data-testid="dashboard-link"]');
  await page.waitForURL(/\/dashboard$/);
  const device = page.locator('[data-testid="device"]');
  await expect.poll(() => device.count(), { timeout: 15_000 }).toBe(1);
  await expect.poll(() => device.locator('[data-testid="device-online"]').textContent()).toBe("online");

  // Nothing fits wider than the phone's viewport.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  // A directory that does not exist is refused by the daemon, with its reason on the page.
  await page.fill('[data-testid="start-cwd"]', join(workDir, "missing"));
  await page.click('[data-testid="start-session"]');
  await expect.poll(() => page.locator('[data-testid="start-error"]').textContent(), { timeout: 15_000 }).toContain("no such directory");

  await page.fill('[data-testid="start-cwd"]', workDir);
  await page.click('[data-testid="start-session"]');
  await page.waitForURL(/\/s\/[0-9A-Za-z]+#/, { timeout: 30_000 });
  await page.waitForSelector(terminalSelector(), { timeout: 30_000 });
  await typeInto(page, "pwd; echo dash-$((6*7))");
  const text = await waitForText(page, /dash-42/);
  expect(text).toContain(workDir);
  expect(errors).toEqual([]);

  // The session is listed on the device (its URL without the fragment) and in the daemon's log.
  const sessionUrl = page.url().split("#")[0]!;
  await page.goto(`${server.url}/dashboard`);
  await expect.poll(() => page.locator('[data-testid="device-session"]').getAttribute("href"), { timeout: 15_000 }).toBe(sessionUrl);
  expect(daemon.output()).toContain(`started session ${sessionUrl}`);
  expect(daemon.output()).not.toContain(page.url().split("#")[1]!);
}, 120_000);
