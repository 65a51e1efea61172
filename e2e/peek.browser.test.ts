/**
 * Peek (spec §3.8) and layout metadata (§2.2.3 `layoutMeta`) in real Chromium: two writers join one
 * session; B peeks at the terminal A works in and sees its output live, while nothing B does in the
 * peek tile (typing, clicking, zooming) reaches the shell; each page's layout reaches the other
 * through `users[].layout`; a reader on a phone-sized screen can peek too.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { terminalSelector, terminalText, typeInto, waitForText } from "./harness/terminal.js";
import { openWorkspace } from "./harness/workspace.js";

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let a: Page;
let b: Page;
const errors: string[] = [];

const PEEK = { shellId: 2, view: "peek" } as const;
const userId = (page: Page) => page.evaluate(() => (window as any).__taiku.client.state.userId as number);
/** Another participant's `layoutMeta` as this page's session state has it. */
const layoutOf = (page: Page, uid: number) =>
  page.evaluate((id) => (window as any).__taiku.client.state.users.find((u: any) => u.userId === id)?.layout ?? null, uid);

async function openPage(url: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  return openWorkspace(await browser.newContext({ viewport }), url, errors);
}

/** Open the Peek menu and pick `shellId` in the group of participant `uid`. */
async function peekAt(page: Page, uid: number, shellId: number): Promise<void> {
  await page.click('[data-testid="peek-open"]');
  const item = `[data-testid="peek-group"][data-user-ids="${uid}"] [data-testid="peek-shell"][data-shell-id="${shellId}"]`;
  await page.waitForSelector(item, { timeout: 15_000 });
  await page.click(item);
  await page.waitForSelector(terminalSelector({ shellId, view: "peek" }));
}

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  share = await startShare(server, ["--enable-readers"]);
  a = await openPage(share.links.write!);
  b = await openPage(share.links.write!);
  await a.evaluate(() => (window as any).__taiku.client.setName("Ada"));
  // A works in a terminal of its own (so it has an owner to label the peek with).
  await a.click('[data-testid="new-terminal"]');
  await a.waitForSelector(terminalSelector({ shellId: 2 }), { timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

describe("peek and layoutMeta in Chromium", () => {
  it("B peeks at A's terminal: live output, owner label, and nothing typed in the peek reaches the shell", async () => {
    const aId = await userId(a);
    await peekAt(b, aId, 2);
    expect(await b.locator('[data-testid="peek-tab"][data-shell-id="2"]').textContent()).toContain("Ada");

    // Every way B's page could act on the shell is recorded from here on.
    await b.evaluate(() => {
      const c = (window as any).__taiku.client;
      const w = window as any;
      w.__calls = [];
      for (const m of ["sendInput", "resize", "setFocus", "adoptRequest"]) {
        const orig = c[m].bind(c);
        c[m] = (...args: unknown[]) => (w.__calls.push([m, ...args.map(String)]), orig(...args));
      }
    });

    const marker = `peeked-${randomBytes(5).toString("hex")}`;
    await typeInto(a, `echo ${marker}`, { shellId: 2 });
    await waitForText(b, new RegExp(`^${marker}$`, "m"), 20_000, PEEK);
    // The shell's own tile on B's page shows it too: one subscription feeds both views.
    await waitForText(b, new RegExp(`^${marker}$`, "m"), 20_000, { shellId: 2 });

    const sneaky = `sneaky-${randomBytes(5).toString("hex")}`;
    await typeInto(b, `echo ${sneaky}`, PEEK);
    await b.keyboard.press("Control+c");
    const probe = `probe-${randomBytes(5).toString("hex")}`;
    await typeInto(a, `echo ${probe}`, { shellId: 2 });
    const aText = await waitForText(a, new RegExp(`^${probe}$`, "m"), 20_000, { shellId: 2 });
    await waitForText(b, new RegExp(`^${probe}$`, "m"), 20_000, PEEK);
    expect(aText).not.toContain(sneaky);
    expect(await terminalText(b, PEEK)).not.toContain(sneaky);
    expect(await b.evaluate(() => (window as any).__calls)).toEqual([]);
  });

  it("the peek tile zooms to 5× and pans by dragging, still without touching the shell", async () => {
    const stage = b.locator('[data-testid="peek-stage"]');
    expect(await stage.getAttribute("data-zoom")).toBe("1.00");
    for (let i = 0; i < 10; i++) await b.click('[data-testid="peek-zoom-in"]', { force: true });
    expect(await stage.getAttribute("data-zoom")).toBe("5.00");
    expect(await b.locator('[data-testid="peek-zoom-in"]').isDisabled()).toBe(true);
    const before = await stage.evaluate((el) => (el as HTMLElement).style.transform);
    expect(before).toMatch(/scale\(5\)/);

    const box = (await b.locator('[data-testid="peek-viewport"]').boundingBox())!;
    await b.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await b.mouse.down();
    await b.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 5 });
    await b.mouse.up();
    const after = await stage.evaluate((el) => (el as HTMLElement).style.transform);
    expect(after).toMatch(/scale\(5\)/);
    expect(after).not.toBe(before);
    // Dragging panned the view; it did not select text in the terminal.
    expect(await b.evaluate(() => getSelection()?.toString() ?? "")).toBe("");

    await b.click('[data-testid="peek-zoom-reset"]');
    expect(await stage.getAttribute("data-zoom")).toBe("1.00");
    expect(await b.evaluate(() => (window as any).__calls)).toEqual([]);
  });

  it("each page's layout reaches the other as layoutMeta, and follows changes", async () => {
    const [aId, bId] = [await userId(a), await userId(b)];
    await expect.poll(() => layoutOf(a, bId), { timeout: 10_000 }).toMatchObject({
      pages: 1,
      activeIndex: 0,
      tiles: expect.arrayContaining([{ key: expect.any(Number), type: "peek", shellId: 2 }, expect.objectContaining({ type: "shell", shellId: 1 })]),
    });
    await expect.poll(async () => ((await layoutOf(b, aId))?.tiles ?? []).map((t: any) => `${t.type}:${t.shellId}`).sort(), { timeout: 10_000 })
      .toEqual(["shell:1", "shell:2"]);

    await b.click('[data-testid="peek-tab"][data-shell-id="2"]');
    await b.click('[data-testid="peek-close"]');
    await expect.poll(async () => ((await layoutOf(a, bId))?.tiles ?? []).some((t: any) => t.type === "peek"), { timeout: 10_000 }).toBe(false);
    // Closing the peek kept B's own tile of the shell.
    expect(await b.locator(terminalSelector({ shellId: 2 })).count()).toBe(1);

    // A new connection (a reload) is a new participant: its layout, restored from storage, is sent again.
    await b.reload();
    await b.waitForSelector(terminalSelector({ shellId: 2 }), { timeout: 30_000 });
    const again = await userId(b);
    expect(again).not.toBe(bId);
    await expect.poll(async () => ((await layoutOf(a, again))?.tiles ?? []).map((t: any) => `${t.type}:${t.shellId}`).sort(), { timeout: 10_000 })
      .toEqual(["shell:1", "shell:2"]);
  });

  it("a reader on a phone-sized screen peeks too", async () => {
    const phone = await openPage(share.links.readOnly!, { width: 390, height: 800 });
    await phone.click('[data-testid="peek-open"]');
    const panel = (await phone.locator('[data-testid="peek-panel"]').boundingBox())!;
    expect(panel.x).toBeGreaterThanOrEqual(0);
    expect(panel.x + panel.width).toBeLessThanOrEqual(390);
    await phone.click('[data-testid="peek-open"]');
    await peekAt(phone, await userId(a), 2);
    const marker = `phone-${randomBytes(5).toString("hex")}`;
    await typeInto(a, `echo ${marker}`, { shellId: 2 });
    await waitForText(phone, new RegExp(`^${marker}$`, "m"), 20_000, PEEK);
    await phone.context().close();
    expect(errors).toEqual([]);
  });
});
