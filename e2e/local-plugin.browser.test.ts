/**
 * `taiku --plugin ./dir` in real Chromium (spec §10, §14.2): a plugin directory on the CLI's machine
 * is validated at start, served through the CLI's link at a session-scoped URL, loaded by every
 * client as a session-managed plugin, and reloaded in every client when a file changes.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startProcess } from "./harness/processes.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";

const ID = "dev.local-e2e";
const manifest = {
  id: ID, name: "Local E2E", version: "0.1.0", permissions: ["ui.panel", "session.read"],
  panels: [{ id: "main", title: "Local E2E", position: "sidebar", htmlUrl: "index.html" }],
};
const page = (label: string) => `<!doctype html><meta charset="utf-8">
<p id="out">loading</p>
<script src="/plugin-sdk/taiku-plugin-sdk.js"></script>
<script>
  const taiku = new TaikuPluginSDK.TaikuPlugin();
  taiku.ready().then(() => taiku.getSession()).then(
    (s) => { document.getElementById("out").textContent = "${label} " + s.id + " " + s.role; },
    (e) => { document.getElementById("out").textContent = "error " + e.message; },
  );
</script>`;

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let dir: string;
let sessionId: string;
let servedBase = "";

async function openPanel(url: string): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await p.goto(url);
  await p.waitForSelector('[data-testid="terminal-1"]', { timeout: 30_000 });
  await p.waitForFunction((id) => (window as any).__taiku?.plugins?.plugins?.some((x: any) => x.manifest.id === id && x.serverManaged), ID, { timeout: 15_000 });
  await p.evaluate((id) => (window as any).__taiku.plugins.setOpen(id, "main", true), ID);
  return p;
}
const out = (p: Page) => p.frameLocator(`iframe[data-plugin-id="${ID}"]`).locator("#out").textContent({ timeout: 5_000 }).catch(() => null);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "taiku-local-plugin-"));
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
  await writeFile(join(dir, "index.html"), page("first"));
  await writeFile(join(tmpdir(), "taiku-local-plugin-secret.txt"), "TOP SECRET");
  browser = await launchChromium();
  server = await startServe();
  share = await startShare(server, ["--plugin", dir]);
  sessionId = new URL(share.links.session!).pathname.split("/").pop()!;
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

describe("taiku --plugin ./dir", () => {
  it("every client loads the local plugin; its panel talks to the bridge; an edit remounts it everywhere", async () => {
    const admin = await openPanel(share.links.admin!);
    const viewer = await openPanel(share.links.session!);
    await expect.poll(() => out(admin), { timeout: 20_000 }).toBe(`first ${sessionId} admin`);
    await expect.poll(() => out(viewer), { timeout: 20_000 }).toMatch(new RegExp(`^first ${sessionId} (writer|reader)$`));

    await writeFile(join(dir, "index.html"), page("second"));
    await expect.poll(() => out(admin), { timeout: 20_000 }).toBe(`second ${sessionId} admin`);
    await expect.poll(() => out(viewer), { timeout: 20_000 }).toMatch(/^second /);
    const url = await viewer.evaluate((id) => (window as any).__taiku.plugins.plugins.find((x: any) => x.manifest.id === id).manifestUrl, ID);
    expect(url).toMatch(new RegExp(`/api/s/${sessionId}/local-plugins/${ID}/[0-9A-Za-z]{22}/manifest\\.json\\?v=[2-9]`));
    servedBase = url.replace(/\/manifest\.json\?.*$/, "");
  });

  it("serves files with the plugin CSP and nothing outside the directory", async () => {
    const base = new URL(servedBase, server.url).href;
    const ok = await fetch(`${base}/index.html`);
    // The session id alone does not open the directory: the URL's serving key is needed.
    const guessed = await fetch(`${server.url}/api/s/${sessionId}/local-plugins/${ID}/index.html`);
    expect(guessed.status).toBe(404);
    expect(await guessed.text()).not.toContain("second");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-security-policy")).toMatch(/sandbox allow-scripts/);
    for (const path of ["%2e%2e/taiku-local-plugin-secret.txt", "..%2ftaiku-local-plugin-secret.txt", "nope.js"]) {
      const r = await fetch(`${base}/${path}`);
      expect(r.status, path).toBe(404);
      expect(await r.text(), path).not.toContain("TOP SECRET");
    }
  });

  it("refuses to start with an invalid manifest, naming the field", async () => {
    const bad = await mkdtemp(join(tmpdir(), "taiku-local-plugin-bad-"));
    await writeFile(join(bad, "manifest.json"), JSON.stringify({ ...manifest, version: "one" }));
    const proc = startProcess(["--server", server.url, "--plugin", bad], { TAIKU_CONFIG_DIR: bad, HOME: bad });
    expect(await proc.exited).toBe(2);
    expect(proc.lines.join("\n")).toMatch(/rejected: version: must be a semantic version/);
  });
});
