/**
 * Shell aliases in real Chromium (spec §4.8, §7.14): a plugin with `shell.alias` declaring an alias is
 * enabled on the admin's page; typing the alias in the page's terminal runs the CLI's shim, the page's
 * plugin host delivers `alias_invoked` and the plugin's `respondAlias` output and exit code come back.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { launchChromium } from "./harness/chromium.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { typeInto, waitForText } from "./harness/terminal.js";
import { installPlugin, openWorkspace } from "./harness/workspace.js";

const ID = "dev.alias-e2e";
const manifest = {
  id: ID, name: "Alias E2E", version: "0.1.0", permissions: ["events.subscribe", "shell.alias"],
  panels: [{ id: "bg", title: "Alias E2E", htmlUrl: "bg.html", background: true }],
  aliases: [{ name: "taiku-greet", description: "Says hello" }],
};
const background = `<!doctype html><meta charset="utf-8">
<script src="/plugin-sdk/taiku-plugin-sdk.js"></script>
<script>
  const taiku = new TaikuPluginSDK.TaikuPlugin();
  taiku.on("alias_invoked", (e) => {
    taiku.respondAlias(e.data.invocationId, { stdout: "plugin says " + e.data.args.join("+") + " to " + e.data.name + "\\n", exitCode: 3 });
  });
</script>`;

let browser: Browser;
let ctx: BrowserContext;
let server: ServerProc;
let share: ShareProc;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "taiku-alias-plugin-"));
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
  await writeFile(join(dir, "bg.html"), background);
  browser = await launchChromium();
  server = await startServe();
  share = await startShare(server, ["--plugin", dir]);
  ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await ctx?.close();
  await browser?.close();
  await share?.stop();
  await server?.stop();
});

it("an alias typed in the page's terminal prints the plugin's answer and exits with its code", { timeout: 120_000 }, async () => {
  const page = await openWorkspace(ctx, share.links.admin!);
  // Session-managed (`--plugin`) plugins never get high-risk permissions by themselves: the user installs it and approves shell.alias.
  const url = await page.waitForFunction(
    (id) => (window as any).__taiku?.plugins?.plugins?.find((x: any) => x.manifest.id === id)?.manifestUrl, ID, { timeout: 15_000 },
  );
  await installPlugin(page, ID, (await url.jsonValue()) as string);
  await typeInto(page, "until command -v taiku-greet >/dev/null; do sleep 0.2; done; echo shim-ready");
  await waitForText(page, /\nshim-ready/);
  await typeInto(page, "taiku-greet a b");
  await waitForText(page, /plugin says a\+b to taiku-greet/);
  await typeInto(page, "echo rc=$?");
  const text = await waitForText(page, /rc=3/);
  expect(text).not.toContain("no plugin client responded");
});
