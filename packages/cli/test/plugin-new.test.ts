/**
 * `taiku plugin new <dir>` (issue "Plugin platform", item 10): the scaffold is a valid plugin with every
 * placeholder filled, and its own MockHost test passes when run with vitest.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateManifest } from "@taiku/protocol";
import { scaffoldPlugin } from "../src/plugin-new.js";
import { cliDir } from "./helpers/cli-process.js";

const repo = resolve(cliDir, "..", "..");
const sdkBundle = join(repo, "packages", "plugin-sdk", "dist", "taiku-plugin-sdk.js");
const made: string[] = [];
// Inside the checkout, so the scaffold's `@taiku/plugin-sdk` import resolves to the workspace package.
const tempDir = async () => {
  const d = await mkdtemp(join(repo, "packages", "cli", ".plugin-new-"));
  made.push(d);
  return d;
};

afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

describe("taiku plugin new", () => {
  it("writes a valid plugin whose MockHost test passes", async () => {
    const dir = join(await tempDir(), "weather-board");
    const files = scaffoldPlugin({ dir, name: 'Weather "Board"', sdkBundle });
    expect(files.sort()).toEqual(["README.md", "index.html", "manifest.json", "package.json", "snapshot.js", "taiku-plugin-sdk.js", "test/snapshot.test.mjs"]);
    for (const f of files.filter((f) => f !== "taiku-plugin-sdk.js")) expect(readFileSync(join(dir, f), "utf8"), f).not.toMatch(/TAIKU_(PLUGIN_ID|PLUGIN_NAME|PACKAGE_NAME)/);
    const manifest = validateManifest(readFileSync(join(dir, "manifest.json"), "utf8"), { manifestUrl: "https://plugins.example/weather/manifest.json" });
    expect(manifest).toMatchObject({ ok: true, warnings: [], manifest: { id: "my-org.weather-board", name: 'Weather "Board"' } });
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name).toBe("weather-board");
    expect(readFileSync(join(dir, "index.html"), "utf8")).toContain("<title>Weather \"Board\"</title>");

    const vitest = join(repo, "node_modules", "vitest", "vitest.mjs");
    writeFileSync(join(dir, "vitest.config.mjs"), "export default { test: { include: ['test/**/*.test.mjs'] } };\n");
    const out = execFileSync(process.execPath, [vitest, "run", "--root", dir], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
    expect(out).toMatch(/2 passed/);
  });

  it("refuses a non-empty directory and reserved or invalid ids", async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, "keep.txt"), "x");
    expect(() => scaffoldPlugin({ dir, sdkBundle })).toThrow(/is not empty/);
    expect(() => scaffoldPlugin({ dir: join(dir, "a"), id: "taiku.fake", sdkBundle })).toThrow(/reserved/);
    expect(() => scaffoldPlugin({ dir: join(dir, "b"), id: "bad id!", sdkBundle })).toThrow(/invalid plugin id/);
    expect(existsSync(join(dir, "a"))).toBe(false);
    expect(await readdir(dir)).toEqual(["keep.txt"]);
  });
});
