/** Plugin discovery from package.json `taiku` fields (equivalent of takopi tests/test_plugins.py). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_ENGINES, ConfigError, PluginRegistry, canonicalPackageName } from "../src/index.js";
import { tempDir } from "./helpers/fake-cli.js";

function pkg(root: string, name: string, taiku: Record<string, unknown>, files: Record<string, string> = {}) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", type: "module", taiku }));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
}

const COMMAND_JS = `export const command = { id: "hello", description: "say hi", async handle() { return { text: "hi" }; } };\nexport default { id: "other", description: "", async handle() { return null; } };\n`;

function tree() {
  const root = join(tempDir(), "node_modules");
  pkg(root, "taiku-hello", { pluginApi: 1, commands: { hello: "./cmd.js#command", other: "./cmd.js" } }, { "cmd.js": COMMAND_JS });
  pkg(root, "@acme/taiku-gemini", { pluginApi: 1, engines: { gemini: "./engine.js#backend" } }, { "engine.js": "throw new Error('must not be imported while listing');" });
  pkg(root, "dup-a", { pluginApi: 1, commands: { twin: "./a.js" } });
  pkg(root, "dup-b", { pluginApi: 1, commands: { twin: "./b.js" } });
  pkg(root, "bad-ids", { pluginApi: 1, commands: { "Bad-Id": "./x.js", cancel: "./x.js" } });
  pkg(root, "old-api", { pluginApi: 0, commands: { legacy: "./legacy.js" } }, { "legacy.js": "export default { id: 'legacy', description: '', async handle() { return null; } };" });
  pkg(root, "mismatch", { pluginApi: 1, commands: { named: "./m.js" } }, { "m.js": "export default { id: 'other_name', description: '', async handle() { return null; } };" });
  mkdirSync(join(root, "not-a-plugin"), { recursive: true });
  writeFileSync(join(root, "not-a-plugin", "package.json"), JSON.stringify({ name: "not-a-plugin" }));
  return root;
}

describe("PluginRegistry", () => {
  it("lists entries sorted, without importing plugin code; built-ins are registered as @taiku/agents", () => {
    let imports = 0;
    const reg = new PluginRegistry({ roots: [tree()], builtins: { engines: BUILTIN_ENGINES }, importModule: async () => { imports++; return {}; } });
    expect(reg.listIds("engine")).toEqual(["claude", "codex", "gemini", "opencode", "pi"]);
    expect(reg.list("engine").find((e) => e.id === "gemini")).toMatchObject({ packageName: "@acme/taiku-gemini", value: "./engine.js#backend" });
    expect(reg.listIds("command")).toEqual(["hello", "legacy", "named", "other"]);
    expect(imports).toBe(0);
  });

  it("records invalid, reserved and duplicate ids", () => {
    const reg = new PluginRegistry({ roots: [tree()] });
    const errs = reg.errors({ group: "command" }).map((e) => e.error);
    expect(errs).toContain("invalid plugin id 'Bad-Id'");
    expect(errs).toContain("reserved plugin id 'cancel'");
    expect(errs).toContain("duplicate plugin id 'twin' from dup-a, dup-b");
    expect(reg.listIds("command")).not.toContain("twin");
  });

  it("loads lazily and once, by named or default export", async () => {
    const reg = new PluginRegistry({ roots: [tree()] });
    const hello = await reg.get("command", "hello");
    expect(hello.description).toBe("say hi");
    expect(await reg.get("command", "hello")).toBe(hello);
    expect((await reg.get("command", "other")).id).toBe("other");
    expect(await reg.find("command", "missing")).toBeNull();
  });

  it("loadEngines loads built-ins and records a broken plugin engine without failing", async () => {
    const reg = new PluginRegistry({ roots: [tree()], builtins: { engines: BUILTIN_ENGINES } });
    expect((await reg.loadEngines()).map((e) => e.id)).toEqual(["claude", "codex", "opencode", "pi"]);
    expect(reg.errors({ group: "engine", name: "gemini" })[0]!.error).toMatch(/must not be imported while listing/);
  });

  it("load failures become ConfigErrors and are recorded: api mismatch, id mismatch, unknown id", async () => {
    const reg = new PluginRegistry({ roots: [tree()] });
    await expect(reg.get("command", "legacy")).rejects.toThrow(/Failed to load command 'legacy': plugin API 0/);
    await expect(reg.get("command", "named")).rejects.toThrow(/does not match entry 'named'/);
    await expect(reg.get("engine", "gemini")).rejects.toThrow(ConfigError);
    await expect(reg.get("command", "nope")).rejects.toThrow("Unknown command 'nope'. Available: hello, legacy, named, other.");
    expect(reg.errors({ name: "legacy" })).toHaveLength(1);
  });

  it("the allow-list filters by canonical package name but keeps built-ins", () => {
    const reg = new PluginRegistry({ roots: [tree()], builtins: { engines: BUILTIN_ENGINES }, enabled: ["Taiku_Hello"] });
    expect(reg.listIds("command")).toEqual(["hello", "other"]);
    expect(reg.listIds("engine")).toEqual(["claude", "codex", "opencode", "pi"]);
    expect(canonicalPackageName("My__Pkg.name")).toBe("my-pkg-name");
  });
});
