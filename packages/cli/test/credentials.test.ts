import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configDir, loadCredentials, removeCredentials, saveCredentials } from "../src/credentials.js";

const creds = { server: "https://t.example", apiKey: "tk_abc", userId: "u1", userName: "Ann", deviceId: "d1", deviceToken: "dt" };

describe("credentials", () => {
  it("lives in TAIKU_CONFIG_DIR or ~/.config/taiku", () => {
    expect(configDir({}, "/home/u")).toBe("/home/u/.config/taiku");
    expect(configDir({ TAIKU_CONFIG_DIR: "/c" }, "/home/u")).toBe("/c");
  });

  it("round-trips as JSON with mode 0600 and is removed by logout", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "taiku-cred-")), "nested");
    expect(await loadCredentials(dir)).toBeNull();
    await saveCredentials(dir, creds);
    const file = join(dir, "credentials");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(creds);
    expect(await loadCredentials(dir)).toEqual(creds);
    expect(await removeCredentials(dir)).toBe(true);
    expect(await removeCredentials(dir)).toBe(false);
  });

  it("explains a corrupt file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "taiku-cred-"));
    await writeFile(join(dir, "credentials"), "{not json");
    await expect(loadCredentials(dir)).rejects.toThrow(/not valid JSON/);
  });
});
