/**
 * MockHost answers as the real host and server do where the answer comes from the server (plugin file
 * storage, User KV: packages/server/src/plugins) or from the host's reply step. The checks that can run
 * against the web host too are in tests/plugin-bridge-parity.test.ts.
 */
import { BRIDGE_ERRORS } from "@taiku/protocol";
import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { TaikuPlugin } from "./index.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup) f();
  cleanup = [];
});

function setup(opts: { secrets?: Record<string, string> } = {}) {
  const win = createTestWindow();
  const mock = new MockHost({ pluginId: "my-org.parity", sessionId: "s", window: win, ...opts });
  const taiku = new TaikuPlugin({ window: win });
  cleanup.push(() => { taiku.destroy(); mock.dispose(); });
  return { mock, taiku };
}

describe("MockHost answers like the host and server", () => {
  it("a handler that returns nothing answers { ok: true }, as the host does (§6.2)", async () => {
    const { mock, taiku } = setup();
    mock.handle("showToast", () => undefined as never);
    await expect(taiku.showToast("hi")).resolves.toEqual({ ok: true });
  });

  it("an empty secret reads as unset (null), as in the host's local store (§9.2)", async () => {
    const { taiku } = setup({ secrets: { api_key: "" } });
    await expect(taiku.getSecret("api_key")).resolves.toBeNull();
  });

  it("plugin files: the server's name rule and missing files (§9.5, §11.3.6)", async () => {
    const { taiku } = setup();
    for (const name of ["sounds/a.wav", ".hidden", "a..b", "x".repeat(129)]) {
      await expect(taiku.writePluginFile(name, "x"), name).rejects.toThrow(BRIDGE_ERRORS.invalidFilename);
    }
    await expect(taiku.readPluginFile("../secret")).rejects.toThrow(BRIDGE_ERRORS.invalidFilename);
    await expect(taiku.readPluginFile("nope.wav")).rejects.toThrow(BRIDGE_ERRORS.fileNotFound);
    await expect(taiku.deletePluginFile("nope.wav")).rejects.toThrow(BRIDGE_ERRORS.fileNotFound);
    await expect(taiku.writePluginFile("a.wav", "x")).resolves.toEqual({ ok: true, size: 1 });
    await expect(taiku.deletePluginFile("a.wav")).resolves.toEqual({ ok: true });
  });

  it("refuses requests over the host's payload limits: 8 MiB for file writes, 1 MiB otherwise (§6.3)", async () => {
    const { taiku } = setup();
    await expect(taiku.writePluginFile("big.bin", new ArrayBuffer(9 * 1024 * 1024))).rejects.toThrow(BRIDGE_ERRORS.invalidParams("request larger than 8388608 bytes"));
    await expect(taiku.writePluginFile("ok.bin", new ArrayBuffer(2 * 1024 * 1024))).resolves.toEqual({ ok: true, size: 2 * 1024 * 1024 });
    await expect(taiku.setUserData("k", "x".repeat(600 * 1024))).rejects.toThrow(BRIDGE_ERRORS.invalidParams("request larger than 1048576 bytes"));
  });

  it("User KV: values come back as JSON and the server's 256 KiB value cap applies (§9.4)", async () => {
    const { taiku } = setup();
    await taiku.setUserData("k", { at: new Date(0) });
    await expect(taiku.getUserData("k")).resolves.toEqual({ at: "1970-01-01T00:00:00.000Z" });
    await expect(taiku.setUserData("big", "x".repeat(256 * 1024))).rejects.toThrow(BRIDGE_ERRORS.userKvQuota);
    await expect(taiku.listUserData()).resolves.toEqual({ k: { at: "1970-01-01T00:00:00.000Z" } });
  });
});
