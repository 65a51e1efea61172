/** taiku.toml `[agents]`: parsing, defaults, validation errors naming the file and key. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_ENGINES, ConfigError, loadConfig, parseConfigText, runtimeFromConfig } from "../src/index.js";
import { tempDir } from "./helpers/fake-cli.js";

const ENGINES = ["claude", "codex", "opencode", "pi"];
const FILE = "/etc/taiku/taiku.toml";
const parse = (text: string) => parseConfigText(text, FILE, { engineIds: ENGINES });

describe("config", () => {
  it("parses a full [agents] section with defaults", () => {
    const c = parse(`
[agents]
default_engine = "Claude"
default_project = "Shop"
transport = "telegram"

[agents.transports.telegram]
bot_token = "123:abc"
chat_id = "4242"
session_mode = "chat"
show_resume_line = false

[agents.transports.telegram.topics]
enabled = true

[agents.projects.Shop]
path = "code/shop"
default_engine = "codex"
worktree_base = "main"
chat_id = -100987

[agents.plugins]
enabled = ["taiku-hello"]

[agents.plugins.hello]
greeting = "hi"

[agents.engines.claude]
allowed_tools = ["Bash", "Read"]

[agents.engines.codex]
profile = "work"
`);
    expect(c.default_engine).toBe("claude");
    expect(c.transports.telegram).toMatchObject({ bot_token: "123:abc", chat_id: 4242, session_mode: "chat", message_overflow: "trim", topics: { enabled: true, scope: "auto" }, files: { enabled: false, uploads_dir: "incoming" } });
    expect(c.transports.session).toEqual({ show_resume_line: false, message_overflow: "split", edit_interval_ms: 300, forward_coalesce_s: 0 });
    const shop = c.projects.projects.get("shop")!;
    expect(shop).toMatchObject({ alias: "Shop", path: "/etc/taiku/code/shop", worktreesDir: "/etc/taiku/code/shop/.worktrees", defaultEngine: "codex", chatId: -100987 });
    expect(c.projects.defaultProject).toBe("shop");
    expect(c.pluginConfigs).toEqual({ hello: { greeting: "hi" } });
    expect(c.engines["claude"]).toEqual({ allowed_tools: ["Bash", "Read"] });
  });

  it("an empty file gives the session transport defaults", () => {
    const c = parse("");
    expect(c.transport).toBe("session");
    expect(c.projects.projects.size).toBe(0);
  });

  const bad: Array<[string, string]> = [
    ["[agents.transports.telegram]\nbot_token = \"\"\nchat_id = 1", "agents.transports.telegram.bot_token"],
    ["[agents.transports.telegram]\nbot_token = \"x\"\nchat_id = true", "agents.transports.telegram.chat_id"],
    ["[agents.transports.telegram]\nbot_token = \"x\"\nchat_id = 1.5", "agents.transports.telegram.chat_id"],
    ["[agents.transports.telegram]\nbot_token = \"x\"\nchat_id = 1\nbogus = 2", "agents.transports.telegram"],
    ["[agents]\ndefault_engine = \"gemini\"", "agents.default_engine"],
    ["[agents]\ndefault_project = \"nope\"", "agents.default_project"],
    ["[agents.projects.codex]\npath = \"/x\"", "agents.projects.codex"],
    ["[agents.projects.new]\npath = \"/x\"", "agents.projects.new"],
    ["[agents.projects.a]\npath = \"/x\"\ndefault_engine = \"zzz\"", "agents.projects.a.default_engine"],
    ["[agents.projects.a]\npath = \"/x\"\nchat_id = 5\n[agents.projects.b]\npath = \"/y\"\nchat_id = 5", "agents.projects.b.chat_id"],
    ["[agents.projects.a]\nworktrees_dir = \"w\"", "agents.projects.a.path"],
    ["[agents.plugins]\nfoo = 3", "agents.plugins.foo"],
    ["[agents.engines]\ncodex = 3", "agents.engines.codex"],
    ["[agents]\nwatch_config = \"yes\"", "agents.watch_config"],
    ["[agents\n", "invalid TOML"],
  ];
  for (const [text, key] of bad) {
    it(`rejects: ${key}`, () => {
      let err: unknown;
      try {
        parse(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.startsWith(`${FILE}: `)).toBe(true);
      expect((err as Error).message).toContain(key);
    });
  }

  it("loads from disk and builds a runtime with per-engine options and statuses", () => {
    const dir = tempDir();
    const path = join(dir, "taiku.toml");
    writeFileSync(path, `[agents]\ndefault_engine = "codex"\n[agents.engines.codex]\nextra_args = ["--json"]\n[agents.projects.app]\npath = "."\n`);
    const c = loadConfig(path, { engineIds: ENGINES });
    const runtime = runtimeFromConfig(c, { backends: BUILTIN_ENGINES, which: (cmd) => (cmd === "codex" ? "/bin/codex" : null) });
    expect(runtime.router.entryFor("codex")).toMatchObject({ status: "bad_config" });
    expect(runtime.availableEngineIds()).toEqual(["codex"]);
    expect(runtime.missingEngineIds()).toEqual(["claude", "opencode", "pi"]);
    expect(runtime.projectAliases()).toEqual(["app"]);
    expect(() => loadConfig(join(dir, "missing.toml"))).toThrow(/missing\.toml: cannot read config: ENOENT/);
  });
});
