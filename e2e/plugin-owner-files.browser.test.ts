/**
 * Music Player shared playback in real Chromium (spec §9.5, §11.3.6, §15): the session owner uploads a
 * track; another participant — signed out, on the session link — plays it. Their host reads the owner's
 * file with `readPluginFile({ from: "sessionOwner" })`, i.e. the session-scoped storage route with
 * session viewer auth (`X-Taiku-Session-Nonce` + `X-Taiku-Session-Key`).
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { enablePlugin, openWorkspace, pluginFrame, signUp } from "./harness/workspace.js";

const MUSIC = "taiku.music-player";

let browser: Browser;
let server: ServerProc;
let share: ShareProc;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let a: Page;
let b: Page;

beforeAll(async () => {
  browser = await launchChromium();
  server = await startServe();
  ctxA = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  ctxB = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // A signs up and shares with an API key of that account: the session is A's.
  const { apiKey } = await signUp(ctxA, server.url, "Ada", "e2e share");
  share = await startShare(server, ["--token", apiKey!]);
  a = await openWorkspace(ctxA, share.links.admin!);
  await a.waitForFunction(() => (window as any).__taiku.client.state.accountId !== null);
  // B: another participant, signed out, on the session link.
  b = await openWorkspace(ctxB, share.links.session!);
});

afterAll(async () => {
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

it("a signed-out participant plays the track the session owner uploaded", async () => {
  await enablePlugin(a, MUSIC);
  await expect.poll(() => pluginFrame(a, MUSIC).locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
  const bytes = randomBytes(150 * 1024);
  await pluginFrame(a, MUSIC).locator("#file").setInputFiles({ name: "owner track.mp3", mimeType: "audio/mpeg", buffer: bytes });
  await expect.poll(() => pluginFrame(a, MUSIC).locator("#tracks li").allTextContents(), { timeout: 15_000 }).toEqual([expect.stringContaining("owner_track.mp3")]);

  await enablePlugin(b, MUSIC);
  await expect.poll(() => pluginFrame(b, MUSIC).locator("body").getAttribute("data-ready"), { timeout: 15_000 }).toBe("1");
  await pluginFrame(a, MUSIC).locator("#tracks li button", { hasText: "Play" }).click();
  // B's player follows now_playing and loads the owner's bytes. (Its own file list still says to sign in:
  // B's own storage needs an account.)
  await expect.poll(() => pluginFrame(b, MUSIC).locator("#now").textContent(), { timeout: 15_000 }).toMatch(/owner_track/);
  await expect.poll(() => pluginFrame(b, MUSIC).locator("body").getAttribute("data-loaded-bytes"), { timeout: 15_000 }).toBe(String(bytes.length));

  // The bytes B's host got are the owner's file, byte for byte; writing as B is still refused.
  const frameB = b.frames().find((f) => f.url().includes("/plugins/taiku.music-player/"))!;
  // `taiku` is the panel's SDK instance (a top-level const of its script).
  const r = await frameB.evaluate(`(async () => {
    const buf = await taiku.readPluginFile("owner_track.mp3", { from: "sessionOwner" });
    const h = await crypto.subtle.digest("SHA-256", buf);
    const digest = [...new Uint8Array(h)].map((x) => x.toString(16).padStart(2, "0")).join("");
    let write = "ok";
    try { await taiku.writePluginFile("mine.txt", "x"); } catch (e) { write = e.message; }
    return { digest, write };
  })()`);
  expect(r).toEqual({ digest: createHash("sha256").update(bytes).digest("hex"), write: "missing authentication" });
});
