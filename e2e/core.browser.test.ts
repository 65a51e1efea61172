/**
 * The core product in real Chromium (issue "taiku core", Must show): `taiku serve` + `taiku` through a
 * cuttable proxy; a writer and a reader browser; chat; a cut CLI link restored within the grace window
 * loses and duplicates nothing; a server restart keeps the session.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let writer: Page;
let reader: Page;

const terminalText = (page: Page, shellId = 1) =>
  page.evaluate((id) => (window as any).__taiku?.getTerminalText(id) ?? "", shellId);

async function waitForText(page: Page, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await terminalText(page);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal never showed ${pattern}; it shows:\n${text.slice(-2000)}`);
}

async function openSession(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => console.error("[page error]", e.message));
  await page.goto(url);
  await page.waitForSelector('[data-testid="terminal-1"]', { timeout: 30_000 });
  return page;
}

async function typeInto(page: Page, text: string): Promise<void> {
  await page.click('[data-testid="terminal-1"]');
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press("Enter");
}

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  share = await startShare(server, ["--enable-readers"]);
  expect(share.links.write).toMatch(/\/s\/[A-Za-z0-9]+#[A-Za-z0-9]+,[A-Za-z0-9]+$/);
  expect(share.links.readOnly).toMatch(/\/s\/[A-Za-z0-9]+#[A-Za-z0-9]+$/);
  writer = await openSession(share.links.write!);
  reader = await openSession(share.links.readOnly!);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

describe("taiku core in Chromium", () => {
  it("a writer types and both browsers see the output; the reader cannot type", async () => {
    const marker = `hello-${randomBytes(6).toString("hex")}`;
    await typeInto(writer, `echo ${marker}`);
    await waitForText(writer, new RegExp(`^${marker}$`, "m"));
    await waitForText(reader, new RegExp(`^${marker}$`, "m"));

    expect(await reader.locator('[data-testid="role-badge"]').first().textContent()).toMatch(/reader/i);
    expect(await reader.locator('[data-testid="readonly-notice"]').first().isVisible()).toBe(true);
    const sneaky = `sneaky-${randomBytes(6).toString("hex")}`;
    await typeInto(reader, `echo ${sneaky}`);
    const probe = `probe-${randomBytes(6).toString("hex")}`;
    await typeInto(writer, `echo ${probe}`);
    const after = await waitForText(reader, new RegExp(`^${probe}$`, "m"));
    expect(after).not.toContain(sneaky);
  });

  it("a title the shell sets (OSC 0) reaches both browsers' tabs, decrypted in the page", async () => {
    const title = `title-${randomBytes(4).toString("hex")}`;
    // The command line shows `\033`, not ESC: only printf's output sets the title.
    await typeInto(writer, `printf '\\033]0;%s\\007' ${title}`);
    for (const page of [writer, reader]) {
      await page.waitForSelector(`[data-testid="shell-tab"]:has-text("${title}")`, { timeout: 15_000 });
    }
  });

  it("a chat message shows in both browsers", async () => {
    const text = `chat-${randomBytes(4).toString("hex")}`;
    await writer.fill('[data-testid="chat-input"]', text);
    await writer.click('[data-testid="chat-send"]');
    for (const page of [writer, reader]) {
      await page.waitForSelector(`[data-testid="chat-message"]:has-text("${text}")`, { timeout: 10_000, state: "attached" });
    }
  });

  it("a cut CLI link restored within the grace window loses and duplicates nothing", async () => {
    const tag = randomBytes(3).toString("hex");
    await typeInto(writer, `for i in $(seq 1 400); do echo "L${tag}-$i"; sleep 0.005; done; echo "DONE${tag}"`);
    await waitForText(writer, new RegExp(`L${tag}-20\\b`));
    share.proxy.cut({ refuse: true });
    await writer.waitForTimeout(1500);
    share.proxy.restore();
    const text = await waitForText(writer, new RegExp(`^DONE${tag}$`, "m"), 60_000);
    const seen = [...text.matchAll(new RegExp(`^L${tag}-(\\d+)$`, "gm"))].map((m) => Number(m[1]));
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const readerText = await waitForText(reader, new RegExp(`^DONE${tag}$`, "m"), 30_000);
    expect([...readerText.matchAll(new RegExp(`^L${tag}-(\\d+)$`, "gm"))].map((m) => Number(m[1]))).toEqual(seen);
    expect(share.proxy.connections()).toBeGreaterThanOrEqual(2);
  });

  it("a 10 MB stream reaches the browser while the page stays responsive", async () => {
    const tag = randomBytes(3).toString("hex");
    // 100,000 lines of 100 bytes, generated by the shell itself.
    await typeInto(writer, `seq -f "%09g ${"y".repeat(89)}" 0 99999; echo "END${tag}"`);
    let probes = 0;
    const deadline = Date.now() + 120_000;
    let text = "";
    while (Date.now() < deadline) {
      // Each probe is a round trip into the page's main thread: it answers while output streams in.
      text = await writer.evaluate(() => (window as any).__taiku.getTerminalText(1) as string);
      probes++;
      if (new RegExp(`^END${tag}$`, "m").test(text)) break;
      await writer.waitForTimeout(200);
    }
    expect(text).toMatch(new RegExp(`^END${tag}$`, "m"));
    expect(text).toMatch(/^000099999 y+$/m);
    expect(probes).toBeGreaterThan(1);
  });

  it("a `taiku serve` restart keeps the session", async () => {
    const before = `before-${randomBytes(4).toString("hex")}`;
    await typeInto(writer, `echo ${before}`);
    await waitForText(writer, new RegExp(`^${before}$`, "m"));
    // The page must notice the restart (its socket drops), reconnect, and see the CLI re-attach;
    // typing before that would be queued and, if stale, dropped by design (spec §2.2.5).
    const pageState = (page: Page) =>
      page.evaluate(() => {
        const st = (window as any).__taiku.client.state;
        return { status: st.status as string, cli: st.cli.connected as boolean };
      });
    let sawDrop = false;
    let restarted = false;
    const restart = server.restart().then(() => (restarted = true));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const s = await pageState(writer);
      if (s.status !== "online" || !s.cli) sawDrop = true;
      else if (sawDrop && restarted) break;
      await writer.waitForTimeout(50);
    }
    await restart;
    expect(sawDrop, "the page noticed the restart").toBe(true);
    expect(await pageState(writer)).toEqual({ status: "online", cli: true });
    const after = `after-${randomBytes(4).toString("hex")}`;
    await typeInto(writer, `echo ${after}`);
    const text = await waitForText(writer, new RegExp(`^${after}$`, "m"), 30_000);
    expect(text).toMatch(new RegExp(`^${before}$`, "m"));
    await waitForText(reader, new RegExp(`^${after}$`, "m"), 30_000);
    // A page opened after the restart replays output from before it (the ring was snapshotted).
    const fresh = await openSession(share.links.write!);
    await waitForText(fresh, new RegExp(`^${before}$`, "m"), 30_000);
    await fresh.close();
  });
});
