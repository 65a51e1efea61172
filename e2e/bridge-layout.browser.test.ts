/**
 * Pages, tiles and the built-in viewers in real Chromium (issue "Plugin platform", §7.4, §7.5): a
 * plugin splits a shell, opens a peek, creates and switches pages and closes a tile, and the page
 * shows each result; the File Browser opens a clicked file in the file viewer; the Agent Monitor opens
 * the agent overlay on an agent run produced by `taiku --agents` with a fake codex.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startShareWithFakeCodex } from "./harness/agents.js";
import { startServe, type ServerProc, type ShareProc } from "./harness/session.js";
import { terminalSelector, typeInto, waitForText } from "./harness/terminal.js";
import { bridgeRequest, enablePlugin, openWorkspace, pluginFrame } from "./harness/workspace.js";

/** A built-in plugin holding workspace.read/write and terminal.write: its frame makes the bridge calls. */
const PLUGIN = "example.terminal-commander";
/** A 1×1 PNG. */
const PIXEL = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let page: Page;
const pageErrors: string[] = [];

const call = async <T>(method: string, params: unknown = {}): Promise<T> => {
  const r = await bridgeRequest<T>(page, PLUGIN, method, params);
  if (r.error !== undefined) throw new Error(`${method}: ${r.error}`);
  return r.result as T;
};
const visible = (selector: string) => page.locator(selector).isVisible();
/** Press Escape once a dialog opened from a plugin frame has taken the keyboard from that frame. */
async function escapeFrom(testid: string): Promise<void> {
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe(testid);
  await page.keyboard.press("Escape");
  await expect.poll(() => page.locator(`[data-testid="${testid}"]`).count()).toBe(0);
}

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  ({ share } = await startShareWithFakeCodex(server, "taiku-e2e-layout-", { "notes.txt": "first line\nsecond line\nthird line\n", "pixel.png": PIXEL }));
  page = await openWorkspace(await browser.newContext({ viewport: { width: 1400, height: 900 } }), share.links.admin!, pageErrors);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

describe("workspace and layout bridge methods", () => {
  it("splitShell, openTile (peek), createWorkspace / switchWorkspace and closeTile show on the page", async () => {
    await enablePlugin(page, PLUGIN);
    await expect.poll(() => bridgeRequest(page, PLUGIN, "getSession", {}).then((r) => r.error ?? "ok"), { timeout: 15_000 }).toBe("ok");
    await typeInto(page, "echo keep-$((6*7))");
    await waitForText(page, /keep-42/);

    const split = await call<{ shellId: number; key: number }>("splitShell", { direction: "vertical" });
    expect(split.shellId).toBe(2);
    await page.waitForSelector(terminalSelector({ shellId: 2 }), { state: "visible", timeout: 15_000 });
    const tree = await call<{ kind: string; direction: string }>("getLayoutTree", {});
    expect(tree).toMatchObject({ kind: "split", direction: "vertical" });

    const { key: peekKey } = await call<{ key: number }>("openTile", { type: "peek", shellId: 1 });
    await page.waitForSelector(terminalSelector({ shellId: 1, view: "peek" }), { state: "visible" });
    expect((await call<Array<{ key: number; type: string }>>("getLayout")).map((t) => t.type).sort()).toEqual(["peek", "shell", "shell"]);

    expect(await call("createWorkspace", { name: "scratch" })).toEqual({ index: 1 });
    await expect.poll(() => page.locator('[data-testid="page-tab"]').allTextContents()).toEqual(["Page 1", "scratch"]);
    await call("switchWorkspace", { index: 1 });
    await expect.poll(() => visible(terminalSelector({ shellId: 1 }))).toBe(false);
    expect(await page.locator('[data-testid="page-tab"][data-index="1"]').getAttribute("aria-selected")).toBe("true");
    expect(await call("getLayout")).toEqual([]);
    expect(await call("getWorkspaces")).toEqual({ pages: [{ index: 0 }, { index: 1, name: "scratch" }], activeIndex: 1 });

    // Back on the first page through the header switcher: the terminal kept its connection and history.
    await page.click('[data-testid="page-tab"][data-index="0"]');
    await expect.poll(() => visible(terminalSelector({ shellId: 1 }))).toBe(true);
    await typeInto(page, "echo again-$((6*8))");
    await waitForText(page, /keep-42[\s\S]*again-48/);

    await call("closeTile", { key: peekKey });
    await expect.poll(() => page.locator(terminalSelector({ shellId: 1, view: "peek" })).count()).toBe(0);
    expect(await bridgeRequest(page, PLUGIN, "closeTile", { key: peekKey })).toEqual({ error: `Tile not found: ${peekKey}` });
    // A document tile (§3.11): opened by id (a document not made yet opens empty), closed like any tile.
    expect(await bridgeRequest(page, PLUGIN, "openTile", { type: "document", docId: "bad" })).toEqual({ error: "Invalid params: a document tile needs docId (12 base62 characters)" });
    const doc = await call<{ key: number }>("openTile", { type: "document", docId: "abcdefghijkl" });
    await page.locator('[data-testid="doc-tile"][data-doc-id="abcdefghijkl"]').waitFor({ timeout: 15_000 });
    await call("closeTile", { key: doc.key });
    await expect.poll(() => page.locator('[data-testid="doc-tile"]').count()).toBe(0);
    // The closed shell tile of a split leaves the shell running.
    await call("closeTile", { key: split.key });
    await expect.poll(() => page.locator(terminalSelector({ shellId: 2 })).count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__taiku.client.state.shells.map((s: { id: number }) => s.id))).toEqual([1, 2]);

    // A page added from the header is shown at once and is empty; closing it returns to the other.
    await page.click('[data-testid="page-add"]');
    await expect.poll(() => page.locator('[data-testid="page-tab"]').count()).toBe(3);
    expect(await page.locator('[data-testid="page-tab"][data-index="2"]').getAttribute("aria-selected")).toBe("true");
    await page.click('[data-testid="page-close"]');
    await expect.poll(() => page.locator('[data-testid="page-tab"]').count()).toBe(2);
  });

  it("the File Browser opens a clicked file in the file viewer: text with line numbers, images", async () => {
    await enablePlugin(page, "taiku.file-browser");
    const fb = pluginFrame(page, "taiku.file-browser");
    await expect.poll(() => fb.locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    await fb.locator("#list li", { hasText: "notes.txt" }).click();
    await page.waitForSelector('[data-testid="file-viewer-text"]', { timeout: 15_000 });
    const text = await page.locator('[data-testid="file-viewer-text"]').innerText();
    expect(text).toContain("second line");
    expect(await page.locator('[data-testid="file-viewer-text"] .numbers').innerText()).toBe("1\n2\n3");
    await escapeFrom("file-viewer");

    await fb.locator("#list li", { hasText: "pixel.png" }).click();
    await page.waitForSelector('[data-testid="file-viewer-image"]', { timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="file-viewer-image"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(1);
    await page.click('[data-testid="file-viewer-close"]');
    expect(await bridgeRequest(page, "taiku.file-browser", "openFile", { path: "missing.txt" })).toEqual({ result: { ok: true } });
    await expect.poll(() => page.locator('[data-testid="file-viewer-error"]').textContent(), { timeout: 15_000 }).toContain("no such file");
    await escapeFrom("file-viewer");
  });

  it("the Agent Monitor opens the agent overlay with the run's status and activity", async () => {
    await enablePlugin(page, "taiku.agent-monitor");
    const monitor = pluginFrame(page, "taiku.agent-monitor");
    await expect.poll(() => monitor.locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    await page.fill('[data-testid="chat-input"]', "@codex list the files");
    await page.click('[data-testid="chat-send"]');
    await expect.poll(() => monitor.locator(".row").first().textContent().catch(() => ""), { timeout: 30_000 }).toMatch(/codex · shell \d+\s*done/);
    await monitor.locator(".row").first().click();
    await page.waitForSelector('[data-testid="agent-overlay"]', { timeout: 10_000 });
    expect(await page.locator('[data-testid="agent-overlay-status"]').textContent()).toBe("done");
    expect(await page.locator('[data-testid="agent-overlay"]').textContent()).toContain("codex");
    await escapeFrom("agent-overlay");
    expect(pageErrors).toEqual([]);
  });
});
