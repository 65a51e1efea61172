/**
 * The plugin platform in real Chromium (issue "Plugin platform", Must show): built-in plugins mounted in
 * sandboxed iframes talk to the host bridge of a live session; permissions, session KV across browsers,
 * storage layers across a server restart, session-managed plugins, a hostile plugin, malformed floods,
 * and the seed 000 Integrations Demo with integrations off.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { enablePlugin, inPlugin, openWorkspace, pluginFrame, signUp } from "./harness/workspace.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "hostile-plugin");
let fixtureServer: Server;
let fixtureUrl: string;

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let a: Page;
let b: Page;
const pageErrors: string[] = [];

/** Serves e2e/fixtures/hostile-plugin on another origin, as a third-party plugin host would. */
async function startFixtureServer(): Promise<void> {
  fixtureServer = createServer(async (req, res) => {
    const name = (req.url ?? "/").split("?")[0]!.replace(/^\/+/, "");
    if (!/^[a-z.]+$/.test(name)) return void res.writeHead(404).end();
    try {
      const body = await readFile(join(FIXTURES, name));
      res.writeHead(200, { "content-type": name.endsWith(".json") ? "application/json" : "text/html", "access-control-allow-origin": "*" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => fixtureServer.listen(0, "127.0.0.1", r));
  const port = (fixtureServer.address() as { port: number }).port;
  fixtureUrl = `http://localhost:${port}`;
}

const typeInto = async (page: Page, text: string) => {
  await page.click('[data-testid="terminal-1"]');
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press("Enter");
};

beforeAll(async () => {
  browser = await launchChromium();
  await startFixtureServer();
  // Small file quotas so the quota errors are reachable with small uploads.
  server = await startServe({ TAIKU_PLUGIN_FILE_MAX: "1MiB", TAIKU_PLUGIN_QUOTA: "2MiB" });
  share = await startShare(server, []);
  ctxA = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  ctxB = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // A: an account signed up through the API (its cookie stays in ctxA), on the admin link; B: a participant, signed out.
  await signUp(ctxA, server.url, "Ada");
  a = await openWorkspace(ctxA, share.links.admin!, pageErrors);
  await a.waitForFunction(() => (window as any).__taiku.client.state.accountId !== null);
  b = await openWorkspace(ctxB, share.links.session!, pageErrors);
});

afterAll(async () => {
  await browser?.close();
  fixtureServer?.close();
  await share?.stop();
  await server?.stop();
});

describe("plugin platform in Chromium", () => {
  it("thin path: the blank plugin in a sandboxed iframe answers getSession through the bridge", async () => {
    await enablePlugin(a, "blank");
    const iframe = a.locator('iframe[data-plugin-id="blank"]');
    expect(await iframe.getAttribute("sandbox")).toBe("allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads");
    await expect.poll(() => pluginFrame(a, "blank").locator("#status").textContent(), { timeout: 15_000 }).toMatch(/^Connected to .* as admin$/);
    // Opaque origin: the frame is not the app's origin.
    expect(await inPlugin<string>(a, "blank", "return String(window.origin)")).toBe("null");
  });

  it("Agent Monitor loads: renders, answers getSession and shows its toolbar action", async () => {
    await enablePlugin(a, "taiku.agent-monitor");
    await expect.poll(() => pluginFrame(a, "taiku.agent-monitor").locator("#status").textContent(), { timeout: 15_000 }).toMatch(/^Watching /);
    expect(await pluginFrame(a, "taiku.agent-monitor").locator("#counts").textContent()).toBe("0 active / 0");
    expect(await a.locator('[data-testid="plugin-action"][data-plugin-id="taiku.agent-monitor"] svg').count()).toBe(1);
    // The toolbar action toggles the panel.
    await a.click('[data-testid="plugin-action"][data-plugin-id="taiku.agent-monitor"]');
    await expect.poll(() => a.locator('iframe[data-plugin-id="taiku.agent-monitor"]').count()).toBe(0);
    await a.click('[data-testid="plugin-action"][data-plugin-id="taiku.agent-monitor"]');
    await expect.poll(() => a.locator('iframe[data-plugin-id="taiku.agent-monitor"]').count()).toBe(1);
  });

  it("Event Log streams events (terminal output arrives as shell:data)", async () => {
    await enablePlugin(a, "taiku.event-log");
    await expect.poll(() => pluginFrame(a, "taiku.event-log").locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    await typeInto(a, `echo event-log-${randomBytes(3).toString("hex")}`);
    await expect.poll(() => pluginFrame(a, "taiku.event-log").locator('.ev[data-type="shell:data"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // This page's own layout changes are events too (§8): a new terminal opens a tile.
    await a.click('[data-testid="new-terminal"]');
    for (const type of ["tile_opened", "layout_changed"]) {
      await expect.poll(() => pluginFrame(a, "taiku.event-log").locator(`.ev[data-type="${type}"]`).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    }
    // The SDK took the MessagePort the host transferred with taiku:init: its calls and these events went over it.
    const frame = a.frames().find((f) => f.parentFrame() === a.mainFrame() && f.url().includes("/plugins/taiku.event-log/"))!;
    expect(await frame.evaluate("taiku.transport")).toBe("port");
  });

  it("the settings dialog stores settings locally and tells the plugin; a hotkey toggles the panel", async () => {
    await a.click('[data-testid="plugin-panel"][data-plugin-id="taiku.event-log"] [data-testid="plugin-settings-open"]');
    await a.fill('[data-testid="plugin-settings"] [data-setting="max_entries"]', "12");
    await a.click('[data-testid="plugin-settings-save"]');
    expect(await inPlugin(a, "taiku.event-log", `await call("subscribeEvents", {}); return await call("getSetting", { key: "max_entries" });`)).toBe(12);
    expect(JSON.parse((await a.evaluate(() => localStorage.getItem("taiku:plugin-settings")))!)).toEqual({ "taiku.event-log": { max_entries: 12 } });
    // Distinct events (identical consecutive ones are shown once): 16 session KV changes of its own.
    await inPlugin(a, "taiku.event-log", `for (let i = 0; i < 16; i++) await call("setPluginData", { key: "fill" + i, value: i }); return true;`);
    await expect.poll(() => pluginFrame(a, "taiku.event-log").locator(".ev").count(), { timeout: 10_000 }).toBe(12);
    // Cmd+Shift+Y (Ctrl on Linux) toggles the Event Log panel.
    await a.click('[data-testid="session-name"]');
    await a.keyboard.press("Control+Shift+KeyY");
    await expect.poll(() => a.locator('iframe[data-plugin-id="taiku.event-log"]').count()).toBe(0);
    await a.keyboard.press("Control+Shift+KeyY");
    await expect.poll(() => a.locator('iframe[data-plugin-id="taiku.event-log"]').count()).toBe(1);
    await expect.poll(() => pluginFrame(a, "taiku.event-log").locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
  });

  it("a call without its permission is rejected with the documented error, before the method runs", async () => {
    // Event Log declares neither terminal.write nor chat.read.
    const r = await inPlugin<string[]>(a, "taiku.event-log", `
      const out = [];
      for (const [m, p] of [["writeToShell", { shellId: 1, data: "echo should-not-run\\n" }], ["getChatHistory", {}], ["integrations.list", {}]]) {
        try { await call(m, p); out.push("ran " + m); } catch (e) { out.push(e.message); }
      }
      return out;`);
    expect(r).toEqual([
      "Permission denied: terminal.write is required for writeToShell",
      "Permission denied: chat.read is required for getChatHistory",
      "Permission denied: integrations.read is required for integrations.list",
    ]);
    await a.waitForTimeout(300);
    const text = await a.evaluate(() => (window as any).__taiku.getTerminalText(1) as string);
    expect(text).not.toContain("should-not-run");
  });

  it("Terminal Commander sends a command with writeToShell and shows the output", async () => {
    await enablePlugin(a, "example.terminal-commander");
    const tc = pluginFrame(a, "example.terminal-commander");
    await expect.poll(() => tc.locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    const marker = `tc-${randomBytes(4).toString("hex")}`;
    await tc.locator("#cmd").fill(`echo ${marker}`);
    await tc.locator("#send").click();
    await expect.poll(() => a.evaluate(() => (window as any).__taiku.getTerminalText(1) as string), { timeout: 15_000 }).toMatch(new RegExp(`^${marker}$`, "m"));
    await expect.poll(() => tc.locator("#output").textContent(), { timeout: 15_000 }).toContain(marker);
    await a.click('[data-testid="plugin-action"][data-plugin-id="example.terminal-commander"]');
  });

  it("Chat Notifier (background panel) toasts chat from others", async () => {
    await enablePlugin(a, "taiku.chat-notifier");
    // Background: mounted hidden, no panel chrome.
    expect(await a.locator('[data-testid="plugin-panel"][data-plugin-id="taiku.chat-notifier"]').count()).toBe(0);
    await a.waitForTimeout(500);
    const text = `ping-${randomBytes(3).toString("hex")}`;
    await b.fill('[data-testid="chat-input"]', text);
    await b.click('[data-testid="chat-send"]');
    await expect.poll(() => a.locator('[data-testid="toast"]').allTextContents(), { timeout: 15_000 }).toEqual(expect.arrayContaining([expect.stringContaining(text)]));
  });

  it("File Browser lists and reads the session directory through the CLI-backed routes, confined to it", async () => {
    await enablePlugin(a, "taiku.file-browser");
    const fb = pluginFrame(a, "taiku.file-browser");
    await expect.poll(() => fb.locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    const started = Date.now();
    const listed = await inPlugin<unknown>(a, "taiku.file-browser", `try { return await call("listDir", { path: "." }); } catch (e) { return "error: " + e.message; }`);
    expect(Date.now() - started).toBeLessThan(5000);
    // The share runs in the checkout: its working directory is the repository root.
    expect((listed as Array<{ name: string }>).map((e) => e.name)).toEqual(expect.arrayContaining(["package.json", "packages"]));
    await expect.poll(() => fb.locator("#list li").allTextContents(), { timeout: 10_000 }).toEqual(expect.arrayContaining([expect.stringContaining("packages/")]));
    const file = await inPlugin<{ content: string; truncated: boolean }>(a, "taiku.file-browser", `return await call("readFile", { path: "package.json", maxBytes: 100000 });`);
    expect(JSON.parse(file.content).name).toBe("taiku-monorepo");
    // Confined to the working directory.
    const escape = await inPlugin<string>(a, "taiku.file-browser", `try { await call("readFile", { path: "../../etc/passwd" }); return "read"; } catch (e) { return e.message; }`);
    expect(escape).not.toBe("read");
    await a.click('[data-testid="plugin-action"][data-plugin-id="taiku.file-browser"]');
  });

  it("a session KV write in browser A reaches browser B and its plugins as an event", async () => {
    await enablePlugin(b, "taiku.event-log");
    await expect.poll(() => pluginFrame(b, "taiku.event-log").locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    await inPlugin(b, "taiku.event-log", `await call("subscribeEvents", {}); return true;`);
    const value = { build: "green", n: Math.floor(Math.random() * 1e6) };
    await inPlugin(a, "taiku.event-log", `await call("setPluginData", { key: "status", value: ${JSON.stringify(value)} }); return true;`);
    await expect
      .poll(() => inPlugin<unknown[]>(b, "taiku.event-log", `return (window.__events || []).filter((e) => e.type === "plugin_data_changed" && e.data.key === "status");`), { timeout: 10_000 })
      .toEqual([expect.objectContaining({ data: expect.objectContaining({ pluginId: "taiku.event-log", key: "status", deleted: false }) })]);
    expect(await inPlugin(b, "taiku.event-log", `return await call("getPluginData", { key: "status" });`)).toEqual(value);
    // The Event Log panel itself shows it too.
    await expect.poll(() => pluginFrame(b, "taiku.event-log").locator('.ev[data-type="plugin_data_changed"]').count()).toBeGreaterThan(0);
  });

  it("the 64 KiB session KV cap holds to the byte", async () => {
    const r = await inPlugin<Record<string, unknown>>(a, "taiku.event-log", `
      for (const k of Object.keys(await call("getAllPluginData"))) await call("deletePluginData", { key: k });
      // key "big" (3 bytes) + JSON string of n chars (n + 2 bytes) = 65536 exactly.
      const n = 65536 - 3 - 2;
      const out = {};
      try { await call("setPluginData", { key: "big", value: "a".repeat(n) }); out.exact = "ok"; } catch (e) { out.exact = e.message; }
      try { await call("setPluginData", { key: "big", value: "a".repeat(n + 1) }); out.over = "ok"; } catch (e) { out.over = e.message; }
      try { await call("setPluginData", { key: "x", value: 1 }); out.more = "ok"; } catch (e) { out.more = e.message; }
      out.len = (await call("getPluginData", { key: "big" })).length;
      return out;`);
    expect(r).toEqual({ exact: "ok", over: "Session KV quota exceeded (64 KiB per plugin per session)", more: "Session KV quota exceeded (64 KiB per plugin per session)", len: 65531 });
    // B received the full value from the server (its cap is the same).
    await expect.poll(() => inPlugin<number>(b, "taiku.event-log", `return (await call("getPluginData", { key: "big" }))?.length ?? 0;`), { timeout: 10_000 }).toBe(65531);
    await inPlugin(a, "taiku.event-log", `await call("deletePluginData", { key: "big" }); return true;`);
  });

  it("Music Player: upload/download round trip, quota errors, now_playing shared through session KV", async () => {
    await enablePlugin(a, "taiku.music-player");
    const mp = pluginFrame(a, "taiku.music-player");
    await expect.poll(() => mp.locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
    const bytes = randomBytes(200 * 1024);
    await mp.locator("#file").setInputFiles({ name: "demo track.mp3", mimeType: "audio/mpeg", buffer: bytes });
    await expect.poll(() => mp.locator("#tracks li").allTextContents(), { timeout: 15_000 }).toEqual([expect.stringContaining("demo_track.mp3")]);
    const digest = await inPlugin<string>(a, "taiku.music-player", `
      const buf = await call("readPluginFile", { name: "demo_track.mp3" });
      const h = await crypto.subtle.digest("SHA-256", buf);
      return [...new Uint8Array(h)].map((x) => x.toString(16).padStart(2, "0")).join("");`);
    expect(digest).toBe(createHash("sha256").update(bytes).digest("hex"));
    await mp.locator("#tracks li button", { hasText: "Play" }).click();
    await expect.poll(() => mp.locator("body").getAttribute("data-loaded-bytes"), { timeout: 15_000 }).toBe(String(bytes.length));
    // B's Music Player sees now_playing through session KV.
    await enablePlugin(b, "taiku.music-player");
    await expect.poll(() => pluginFrame(b, "taiku.music-player").locator("#now").textContent(), { timeout: 15_000 }).toMatch(/demo_track/);
    // Quota and name errors are the documented texts.
    const errors = await inPlugin<Record<string, string>>(a, "taiku.music-player", `
      const out = {};
      const tryIt = async (k, fn) => { try { await fn(); out[k] = "ok"; } catch (e) { out[k] = e.message; } };
      await tryIt("tooBig", () => call("writePluginFile", { name: "big.bin", data: new Uint8Array(1024 * 1024 + 1).buffer }));
      await tryIt("badName", () => call("writePluginFile", { name: "../escape", data: "x" }));
      await tryIt("missing", () => call("readPluginFile", { name: "nope.bin" }));
      return out;`);
    expect(errors).toEqual({ tooBig: "File size or user quota exceeded.", badName: "Invalid filename.", missing: "File not found." });
  });

  it("the seed 000 Integrations Demo runs unmodified; with integrations off its calls fail with the documented text", async () => {
    await enablePlugin(a, "example.integrations");
    const demo = pluginFrame(a, "example.integrations");
    // Its refresh() runs before taiku:init and has no catch: the host holds it until init and answers it.
    await expect.poll(() => pageErrors, { timeout: 10_000 }).toContain("Integrations are not enabled on this server");
    await demo.locator("#load").click();
    await expect.poll(() => demo.locator("#output").textContent(), { timeout: 10_000 }).toBe("List failed: Integrations are not enabled on this server");
    await demo.locator("#connect").click();
    await expect.poll(() => demo.locator("#output").textContent(), { timeout: 10_000 }).toBe("Connect failed: Integrations are not enabled on this server");
    await demo.locator("#run").click();
    await expect.poll(() => demo.locator("#output").textContent(), { timeout: 10_000 }).toMatch(/^Error: /);
    // An undeclared toolkit is refused by the host before any request; B (not signed in) is told so.
    const undeclared = await inPlugin<string>(a, "example.integrations", `try { await call("integrations.tools", { toolkit: "Slack" }); return "ran"; } catch (e) { return e.message; }`);
    expect(undeclared).toBe('Toolkit "slack" is not declared in manifest.integrations');
    await enablePlugin(b, "example.integrations");
    const demoB = pluginFrame(b, "example.integrations");
    await demoB.locator("#load").click();
    await expect.poll(() => demoB.locator("#output").textContent(), { timeout: 10_000 }).toBe("List failed: Not signed in");
  });

  it("user KV and plugin files survive a server restart", async () => {
    const before = await inPlugin<unknown>(a, "taiku.music-player", `
      await call("setUserData", { key: "prefs", value: { volume: 7, list: [1, 2, 3] } });
      await call("writePluginFile", { name: "keep.txt", data: "kept across restarts" });
      return await call("listUserData");`);
    expect(before).toEqual(expect.objectContaining({ prefs: { volume: 7, list: [1, 2, 3] } }));
    // B is not signed in: User KV says so with the documented text.
    expect(await inPlugin(b, "taiku.music-player", `try { return await call("getUserData", { key: "prefs" }); } catch (e) { return e.message; }`)).toBe("No authenticated user or invalid user ID.");
    await server.restart();
    await a.waitForFunction(() => (window as any).__taiku.client.state.status === "online", undefined, { timeout: 60_000 });
    const after = await inPlugin<unknown>(a, "taiku.music-player", `
      const prefs = await call("getUserData", { key: "prefs" });
      const text = new TextDecoder().decode(await call("readPluginFile", { name: "keep.txt" }));
      const usage = await call("getStorageUsage");
      return { prefs, text, files: usage.files.map((f) => f.name).sort() };`);
    expect(after).toEqual({ prefs: { volume: 7, list: [1, 2, 3] }, text: "kept across restarts", files: ["demo_track.mp3", "keep.txt"] });
  });

  it("session-managed plugins appear for every client and go away when removed", async () => {
    await a.click('[data-testid="plugins-open"]');
    await a.check('[data-testid="plugin-row"][data-plugin-id="blank"] [data-testid="plugin-session-toggle"]');
    await a.click('[data-testid="plugin-manager-close"]');
    const managed = () => b.evaluate(() => (window as any).__taiku.plugins.plugins.filter((p: any) => p.manifest.id === "blank").map((p: any) => p.serverManaged));
    await expect.poll(managed, { timeout: 10_000 }).toEqual([true]);
    await b.evaluate(() => (window as any).__taiku.plugins.setOpen("blank", "blank-panel", true));
    await expect.poll(() => pluginFrame(b, "blank").locator("#status").textContent(), { timeout: 15_000 }).toMatch(/^Connected to /);
    expect(await inPlugin(b, "blank", `return (await call("getPluginInfo")).serverManaged;`)).toBe(true);
    await a.click('[data-testid="plugins-open"]');
    await a.uncheck('[data-testid="plugin-row"][data-plugin-id="blank"] [data-testid="plugin-session-toggle"]');
    await a.click('[data-testid="plugin-manager-close"]');
    await expect.poll(managed, { timeout: 10_000 }).toEqual([]);
    expect(await b.locator('iframe[data-plugin-id="blank"]').count()).toBe(0);
  });

  describe("a hostile plugin", () => {
    let hostile: import("playwright-core").Frame;

    beforeAll(async () => {
      await a.click('[data-testid="plugins-open"]');
      await a.fill('[data-testid="plugin-install-url"]', `${fixtureUrl}/manifest.json`);
      await a.click('[data-testid="plugin-install"]');
      await a.waitForSelector('[data-testid="plugin-permissions-dialog"]');
      expect(await a.locator('[data-testid="plugin-permission"]').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining("Broadcast custom events to other plugins and participants")]),
      );
      await a.click('[data-testid="plugin-approve"]');
      await a.click('[data-testid="plugin-manager-close"]');
      await a.waitForSelector('iframe[data-plugin-id="evil.hostile"]');
      for (let i = 0; i < 100 && !a.frames().some((f) => f.url().startsWith(fixtureUrl)); i++) await a.waitForTimeout(100);
      hostile = a.frames().find((f) => f.url().startsWith(fixtureUrl))!;
      await hostile.waitForFunction(() => (window as any).hostile !== undefined);
      await hostile.evaluate(() => (window as any).hostile.ready());
    });

    /** The host still answers other plugins and the terminal still works. */
    async function hostStillWorks(): Promise<void> {
      expect(await inPlugin<string>(a, "blank", `return (await call("getSession")).id;`)).toMatch(/\S/);
      const marker = `alive-${randomBytes(3).toString("hex")}`;
      await typeInto(a, `echo ${marker}`);
      await expect.poll(() => a.evaluate(() => (window as any).__taiku.getTerminalText(1) as string), { timeout: 15_000 }).toMatch(new RegExp(`^${marker}$`, "m"));
    }

    it("cannot claim another plugin's id or use a wrong token: dropped silently", async () => {
      const r = await hostile.evaluate(() => (window as any).hostile.impersonate("taiku.event-log"));
      expect(r).toEqual([{ timeout: true }, { timeout: true }, { timeout: true }, { timeout: true }]);
    });

    it("over the host's MessagePort: the same answers, permission and identity checks; a port it offers is never used", async () => {
      const r = await hostile.evaluate((victim) => (window as any).hostile.viaPort(victim), "taiku.event-log");
      expect(r).toEqual({
        port: true,
        session: { result: expect.objectContaining({ id: expect.any(String), role: "admin" }) },
        setData: { result: { ok: true } },
        getData: { result: 1 },
        denied: { error: "Permission denied: chat.read is required for getChatHistory" },
        unknown: { error: "Unknown method: nope" },
        otherId: { timeout: true },
        noToken: { timeout: true },
        wrongToken: { timeout: true },
        offered: true,
        onOwnPort: 0,
      });
    });

    it("cannot post from a nested frame or from another window", async () => {
      expect(await hostile.evaluate(() => (window as any).hostile.nestedFrame("nested-marker"))).toEqual({ result: null });
      const other = await hostile.evaluate(() => (window as any).hostile.otherWindow("popup-marker"));
      expect(other.after).toEqual({ result: null });
    });

    it("cannot read the host's DOM, cookies or localStorage", async () => {
      await a.evaluate(() => localStorage.setItem("taiku:plugin-secrets", JSON.stringify({ "taiku.x": { api_key: "SECRET-123" } })));
      const r = await hostile.evaluate(() => (window as any).hostile.snoop());
      expect(r.origin).toBe("null");
      for (const k of ["parentDom", "topLocation", "localStorage", "sessionStorage", "parentStorage"]) expect(r[k], k).toHaveProperty("blocked");
      expect(JSON.stringify(r)).not.toContain("SECRET-123");
      expect(r.cookie.read ?? "").not.toMatch(/taiku_session/);
    });

    it("gets its own secrets from the settings dialog; they stay in this browser, keyed by plugin id", async () => {
      const requests: string[] = [];
      a.on("request", (r) => requests.push(r.url() + " " + (r.postData() ?? "")));
      await a.click('[data-testid="plugin-panel"][data-plugin-id="evil.hostile"] [data-testid="plugin-settings-open"]');
      await a.fill('[data-testid="plugin-settings"] [data-secret="api_key"]', "hostile-own-key");
      await a.click('[data-testid="plugin-settings-save"]');
      expect(await hostile.evaluate(() => (window as any).hostile.send("getSecret", { key: "api_key" }))).toEqual({ result: "hostile-own-key" });
      expect(await inPlugin(a, "blank", `return await call("getSecret", { key: "api_key" });`)).toBeNull();
      const stored = JSON.parse((await a.evaluate(() => localStorage.getItem("taiku:plugin-secrets")))!);
      expect(stored["evil.hostile"]).toEqual({ api_key: "hostile-own-key" });
      expect(requests.filter((r) => r.includes("hostile-own-key"))).toEqual([]);
    });

    it("is held to every limit: pending requests, payload size, broadcast rate, session KV quota", async () => {
      const r = await hostile.evaluate(() => (window as any).hostile.limits());
      expect(r.answered).toBe(200);
      expect(r.tooMany).toBeGreaterThan(0);
      expect(r.big).toEqual({ error: "Invalid params: request larger than 1048576 bytes" });
      expect(r.rateLimited).toBe(40);
      expect(r.kv).toEqual({ error: "Session KV quota exceeded (64 KiB per plugin per session)" });
      await hostStillWorks();
    });

    it("10,020 malformed bridge requests: each answered with an error or dropped; nothing crashes", async () => {
      const statsBefore = await a.evaluate(() => ({ ...(window as any).__taiku.plugins.bridge.stats }));
      const n = 10_020;
      const r = await hostile.evaluate((count) => (window as any).hostile.flood(count), n);
      // 15 of the 30 shapes are well-formed envelopes from the right frame (bad method or params): answered with an error.
      const expected = (n / 30) * 15;
      expect(r).toEqual({ sent: n, shapes: 30, answers: expected, errors: expected, results: 0 });
      const statsAfter = await a.evaluate(() => ({ ...(window as any).__taiku.plugins.bridge.stats }));
      expect(statsAfter.errors - statsBefore.errors).toBe(expected);
      expect(statsAfter.dropped - statsBefore.dropped).toBeGreaterThanOrEqual(n - expected - (n / 30) * 4);
      await hostStillWorks();
      // The documented Integrations Demo calls refresh() without a catch: with integrations off its
      // rejection is the page's only error, and it carries the documented text (not a timeout).
      expect(pageErrors.filter((e) => e !== "Integrations are not enabled on this server" && e !== "Not signed in")).toEqual([]);
    });
  });
});
