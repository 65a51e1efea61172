/**
 * Collaborative documents (spec §3.11) in real Chromium: a writer creates a Markdown document, a second
 * writer opens it from the Documents menu, both type at once and end with the same text, each sees the
 * other's cursor; a reader sees it read-only; the document survives a `taiku serve` restart and a
 * browser that joins afterwards reads it from the server's (encrypted) buffer.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { openWorkspace } from "./harness/workspace.js";

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let alice: Page;
let bob: Page;
let reader: Page;
let docId: string;
const errors: string[] = [];
const title = `Plan-${randomBytes(4).toString("hex")}`;

const open = async (url: string, width = 1280) =>
  openWorkspace(await browser.newContext({ viewport: { width, height: 800 } }), url, errors);
const editor = (page: Page) => page.locator(`[data-testid="doc-tile"][data-doc-id="${docId}"] [data-testid="doc-editor"]`);
/** The document's text as the page's own Yjs document holds it. */
const docText = (page: Page) =>
  page.evaluate((id) => (window as any).__taiku.client.docs.get(id)?.text.toString() ?? null, docId) as Promise<string | null>;

async function openFromMenu(page: Page): Promise<void> {
  await page.click('[data-testid="doc-menu-open"]');
  const item = page.locator(`[data-testid="doc-item"][data-doc-id="${docId}"]`);
  await expect.poll(() => item.textContent(), { timeout: 15_000 }).toContain(title);
  await item.click();
  await editor(page).waitFor({ timeout: 15_000 });
}

/** Put the caret at the end (or start) of the document and type. */
/** `line3`: the end of the third line ("first line from alice"), a different place from the end. */
async function typeAt(page: Page, where: "end" | "line3", text: string): Promise<void> {
  await editor(page).click();
  await page.keyboard.press(where === "end" ? "Control+End" : "Control+Home");
  if (where === "line3") {
    for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
  }
  await page.keyboard.type(text, { delay: 5 });
}

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  share = await startShare(server, ["--enable-readers"]);
  alice = await open(share.links.admin!);
  bob = await open(share.links.write!);
  reader = await open(share.links.readOnly!, 390); // a phone's width
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

describe("collaborative documents in Chromium", () => {
  it("a writer creates a document and another opens it from the list", async () => {
    await alice.click('[data-testid="doc-menu-open"]');
    await alice.click('[data-testid="doc-new"]');
    const tile = alice.locator('[data-testid="doc-tile"]');
    await tile.waitFor({ timeout: 15_000 });
    docId = (await tile.getAttribute("data-doc-id"))!;
    expect(docId).toMatch(/^[A-Za-z0-9]{12}$/);
    await editor(alice).click();
    await alice.keyboard.press("Control+a");
    await alice.keyboard.type(`# ${title}\n\nfirst line from alice\n`, { delay: 5 });
    await expect.poll(() => docText(alice)).toContain("first line from alice");

    await openFromMenu(bob);
    await expect.poll(() => docText(bob), { timeout: 15_000 }).toContain("first line from alice");
    await expect.poll(() => editor(bob).textContent()).toContain("first line from alice");
  });

  it("both type at the same time and end with the same text, and each sees the other's cursor", async () => {
    // At two different places: two people typing at the very same place get their keystrokes merged
    // character by character (which is right for a CRDT, but makes no stable assertion).
    await Promise.all([typeAt(alice, "end", "alpha-from-alice "), typeAt(bob, "line3", " beta-from-bob")]);
    for (const page of [alice, bob]) {
      await expect.poll(() => docText(page), { timeout: 15_000 }).toContain("alpha-from-alice");
      await expect.poll(() => docText(page), { timeout: 15_000 }).toContain("beta-from-bob");
    }
    expect(await docText(alice)).toBe(await docText(bob));
    // Neither insertion is split, repeated or lost.
    expect((await docText(alice))!.split("alpha-from-alice").length).toBe(2);
    expect(await docText(alice)).toContain("first line from alice beta-from-bob\n");
    // Each editor shows the other participant's caret, labelled with a name.
    await expect.poll(() => alice.locator(".cm-ySelectionCaret").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => bob.locator(".cm-ySelectionCaret").count(), { timeout: 15_000 }).toBeGreaterThan(0);
  });

  it("a reader sees the document live and cannot change it", async () => {
    await openFromMenu(reader);
    await expect.poll(() => docText(reader), { timeout: 15_000 }).toBe(await docText(alice));
    expect(await reader.locator('[data-testid="doc-readonly"]').isVisible()).toBe(true);
    expect(await reader.locator('[data-testid="doc-new"]').count()).toBe(0);
    const before = await docText(alice);
    await editor(reader).click();
    await reader.keyboard.type("sneaky-reader-edit");
    await typeAt(alice, "end", "after-the-reader ");
    await expect.poll(() => docText(reader), { timeout: 15_000 }).toContain("after-the-reader");
    expect(await docText(reader)).not.toContain("sneaky-reader-edit");
    expect(await docText(alice)).toBe(`${before}after-the-reader `);
  });

  it("survives a `taiku serve` restart; a browser that joins afterwards reads it", async () => {
    const expected = await docText(alice);
    await server.restart();
    const carol = await open(share.links.write!);
    await openFromMenu(carol);
    await expect.poll(() => docText(carol), { timeout: 20_000 }).toBe(expected);
    // The pages from before the restart reconnect and keep editing together.
    await expect.poll(() => alice.locator('[data-testid="terminal-1"]').count()).toBe(1);
    await typeAt(bob, "end", "after-restart ");
    await expect.poll(() => docText(carol), { timeout: 20_000 }).toContain("after-restart");
    await expect.poll(() => docText(alice), { timeout: 20_000 }).toContain("after-restart");
    expect(errors).toEqual([]);
  });
});
