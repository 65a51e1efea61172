/** The <script> bundle (scripts/bundle.mjs) builds, exposes `TaikuPluginSDK`, and talks to MockHost. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import { afterAll, describe, expect, it } from "vitest";
import type * as SDK from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "taiku-sdk-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("browser bundle", () => {
  it("is a small IIFE exposing TaikuPluginSDK.TaikuPlugin that works against MockHost", async () => {
    const outfile = join(dir, "taiku-plugin-sdk.js");
    execFileSync(process.execPath, [join(import.meta.dirname, "..", "scripts", "bundle.mjs"), "--outfile", outfile]);
    const code = readFileSync(outfile, "utf8");
    expect(code.length).toBeLessThan(40_000); // no schema library inside
    const sdk = new Function(`${code}\nreturn TaikuPluginSDK;`)() as typeof SDK;
    expect(typeof sdk.TaikuPlugin).toBe("function");

    const win = createTestWindow();
    const mock = new MockHost({ pluginId: "example.blank-static", sessionId: "s-bundle", window: win });
    const taiku = new sdk.TaikuPlugin({ window: win });
    try {
      await taiku.ready();
      await expect(taiku.getSession()).resolves.toMatchObject({ id: "s-bundle" });
      await expect(taiku.request("nope")).rejects.toBeInstanceOf(sdk.TaikuBridgeError);
    } finally {
      taiku.destroy();
      mock.dispose();
    }
  });
});
