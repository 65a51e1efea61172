/**
 * Tunnels (spec §3.12) in real Chromium: `taiku --tunnel <port>` publishes a local HTTP server; the page
 * lists it under "Tunnels", opens it inline in a tunnel tile and links it for a tab of its own. On the
 * app's own origin the tunneled page runs sandboxed (opaque origin): it cannot read the app's storage,
 * where plugin secrets live.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { openWorkspace } from "./harness/workspace.js";

const marker = `tunneled-${randomBytes(4).toString("hex")}`;
/** A page that shows the marker and reports whether it could read its origin's localStorage. */
const PAGE = `<!doctype html><title>app</title><h1 id="m">${marker}</h1><p id="storage">pending</p>
<script>
  let r;
  try { localStorage.getItem("taiku:plugin-secrets"); r = "readable"; } catch (e) { r = "blocked:" + e.name; }
  document.getElementById("storage").textContent = r;
</script>`;

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let app: Server;
let port: number;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  app = createServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.setHeader("set-cookie", "sid=from-the-tunnel; Path=/");
    res.end(PAGE);
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  port = (app.address() as AddressInfo).port;
  browser = await launchChromium();
  server = await startServe();
  share = await startShare(server, ["--tunnel", String(port)]);
  page = await openWorkspace(await browser.newContext({ viewport: { width: 1280, height: 800 } }), share.links.admin ?? share.links.session!, errors);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
  await new Promise((r) => app?.close(r));
});

describe("tunnels in Chromium", () => {
  it("the CLI prints the tunnel; the page lists it and links it for a tab of its own", async () => {
    const printed = share.proc.lines.find((l) => l.includes(`:${port}`) && l.includes("/t/"));
    expect(printed, share.proc.lines.join("\n")).toBeTruthy();
    await page.click('[data-testid="tunnels-open"]');
    const row = page.locator(`[data-testid="tunnel-row"][data-port="${port}"]`);
    const href = await row.locator("a").getAttribute("href");
    expect(href).toMatch(new RegExp(`/t/[^/]+/p/${port}/$`));
    const direct = await fetch(href!);
    expect(await direct.text()).toContain(marker);
    expect(direct.headers.get("content-security-policy")).toContain("sandbox");
    expect(direct.headers.get("set-cookie")).toBeNull();
  });

  it("opens inline in a tunnel tile, sandboxed away from the app's storage", async () => {
    await page.click(`[data-testid="tunnel-row"][data-port="${port}"] [data-testid="tunnel-inline"]`);
    await page.waitForSelector(`[data-testid="tunnel-tab"]`);
    const frame = page.frameLocator(`[data-testid="tunnel-tile"][data-port="${port}"] iframe`);
    await expect.poll(() => frame.locator("#m").textContent(), { timeout: 15_000 }).toBe(marker);
    await expect.poll(() => frame.locator("#storage").textContent(), { timeout: 5_000 }).toMatch(/^blocked:/);
    // The app page itself still works: its terminal is there and no page error was raised.
    expect(await page.locator('[data-testid="terminal-1"]').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
