/**
 * Agents in the browser (issue "Agents", item 5): `taiku --agents` with a fake codex; a writer's chat
 * message starts a run on the host; its progress is one chat message edited into the final answer,
 * and the Agent Monitor plugin in the page shows the run from the encrypted `agent` frames.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startShareWithFakeCodex } from "./harness/agents.js";
import { startServe, type ServerProc, type ShareProc } from "./harness/session.js";
import { enablePlugin, openWorkspace, pluginFrame } from "./harness/workspace.js";

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  ({ share } = await startShareWithFakeCodex(server, "taiku-e2e-agents-"));
  page = await openWorkspace(await browser.newContext({ viewport: { width: 1400, height: 900 } }), share.links.session!, pageErrors);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

it("a chat message runs codex on the host; the page shows the answer and the Agent Monitor shows the run", async () => {
  await enablePlugin(page, "taiku.agent-monitor");
  const monitor = pluginFrame(page, "taiku.agent-monitor");
  await expect.poll(() => monitor.locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
  // The session is told where runs execute before anyone asks.
  await page.waitForSelector('[data-testid="chat-message"]:has-text("run on the host\'s machine")', { state: "attached", timeout: 15_000 });

  await page.fill('[data-testid="chat-input"]', "@codex list the files");
  await page.click('[data-testid="chat-send"]');
  await page.waitForSelector('[data-testid="chat-message"]:has-text("done · codex")', { state: "attached", timeout: 30_000 });
  const answer = await page.locator('[data-testid="chat-message"]:has-text("done · codex")').first().textContent();
  expect(answer).toContain("echo: list the files");

  await expect.poll(() => monitor.locator("#counts").textContent(), { timeout: 15_000 }).toMatch(/^\d+ active \/ 1$/);
  await expect.poll(() => monitor.locator(".row").first().textContent(), { timeout: 15_000 }).toMatch(/codex · shell 1\s*done/);
  expect(pageErrors).toEqual([]);
});
