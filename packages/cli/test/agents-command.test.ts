/**
 * `taiku agents` (doctor, Telegram bridge on its own), config validation, argument parsing,
 * chat triggers and usage normalisation of the CLI's agents wiring.
 */
import { capturedIo } from "./helpers/captured-io.js";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { TelegramBot } from "@taiku/agents";
import { parseCommandLine } from "../src/index.js";
import { runAgentsCommand } from "../src/agents/command.js";
import { addressAgents, normalizeUsage } from "../src/agents/index.js";
import { BotApiStandIn } from "../../agents/test/helpers/bot-api.js";
import { eventually, fakeCli } from "../../agents/test/helpers/fake-cli.js";

const io = (env: NodeJS.ProcessEnv = {}) => capturedIo({ env, stdin: process.stdin });

function home(toml: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), "taiku-agents-cmd-"));
  mkdirSync(dir, { recursive: true });
  if (toml !== null) writeFileSync(join(dir, "taiku.toml"), toml);
  return dir;
}

const onlyAbsolute = (cmd: string) => (cmd.startsWith("/") ? cmd : null);
let api: BotApiStandIn | null = null;
afterEach(async () => {
  await api?.stop();
  api = null;
});

describe("taiku agents doctor", () => {
  it("lists each engine, with the install command of every missing CLI", async () => {
    const h = home(`[agents]\ndefault_engine = "codex"\n\n[agents.engines.codex]\nexecutable = ${JSON.stringify(fakeCli("codex"))}\n`);
    const t = io();
    const code = await runAgentsCommand({ command: "agents", action: "doctor", home: h }, t.io, { which: onlyAbsolute });
    expect(code).toBe(0);
    expect(t.out()).toContain(`config: ${join(h, "taiku.toml")}`);
    expect(t.out()).toContain("✓ codex (default)");
    expect(t.out()).toContain("✗ claude: `claude` not found on PATH; install it with `npm install -g @anthropic-ai/claude-code`");
    expect(t.out()).toMatch(/✗ opencode: .*install it with `.+`/);
    expect(t.out()).toMatch(/✗ pi: .*install it with `npm install -g @mariozechner\/pi-coding-agent`/);
  });

  it("no engine installed: exit 1 and says so; a missing config file means defaults", async () => {
    const t = io();
    const code = await runAgentsCommand({ command: "agents", action: "doctor", home: home(null) }, t.io, { which: () => null });
    expect(code).toBe(1);
    expect(t.out()).toContain("(not found; defaults)");
    expect(t.out()).toContain("no agent CLI is installed");
  });

  it("config errors name the file and the key (exit 2)", async () => {
    const h = home(`[agents.transports.session]\nedit_interval_ms = "soon"\n`);
    const t = io();
    expect(await runAgentsCommand({ command: "agents", action: "doctor", home: h }, t.io, { which: onlyAbsolute })).toBe(2);
    expect(t.err()).toContain(`${join(h, "taiku.toml")}: agents.transports.session.edit_interval_ms`);
    const t2 = io();
    const h2 = home(`[agents]\ndefault_engine = "claude"\n`);
    expect(await runAgentsCommand({ command: "agents", action: "doctor", home: h2 }, t2.io, { which: () => null })).toBe(2);
    expect(t2.err()).toContain(`${join(h2, "taiku.toml")}: agents.default_engine: engine 'claude' is unavailable`);
    expect(t2.err()).toContain("npm install -g @anthropic-ai/claude-code");
    const t3 = io();
    expect(await runAgentsCommand({ command: "agents", action: "doctor", home: h2, config: join(h2, "nope.toml") }, t3.io)).toBe(2);
    expect(t3.err()).toContain("nope.toml: config file not found");
  });
});

describe("taiku agents --transport telegram", () => {
  const codexToml = () => `[agents.engines.codex]\nexecutable = ${JSON.stringify(fakeCli("codex"))}\n`;

  it("validates [agents.transports.telegram], naming the key and the file", async () => {
    const h = home(codexToml());
    const t = io();
    expect(await runAgentsCommand({ command: "agents", action: "run", transport: "telegram", home: h }, t.io, { which: onlyAbsolute })).toBe(2);
    expect(t.err()).toContain(`${join(h, "taiku.toml")}: agents.transports.telegram: missing; set bot_token and chat_id`);
    const h2 = home(`[agents.transports.telegram]\nchat_id = 5\n\n${codexToml()}`);
    const t2 = io();
    expect(await runAgentsCommand({ command: "agents", action: "run", transport: "telegram", home: h2 }, t2.io, { which: onlyAbsolute })).toBe(2);
    expect(t2.err()).toContain(`${join(h2, "taiku.toml")}: agents.transports.telegram.bot_token`);
    const t3 = io();
    expect(await runAgentsCommand({ command: "agents", action: "run", home: h }, t3.io, { which: onlyAbsolute })).toBe(2);
    expect(t3.err()).toContain("taiku --agents");
  });

  it("runs the bridge against a local Bot API: a prompt runs the fake engine and the answer comes back; Ctrl-C stops it", async () => {
    api = await new BotApiStandIn().start();
    const h = home(`[agents]\ntransport = "telegram"\n\n[agents.transports.telegram]\nbot_token = "123:tok"\nchat_id = 777\napi_root = ${JSON.stringify(api.url)}\n\n${codexToml()}`);
    const t = io();
    let bot: TelegramBot | null = null;
    const running = runAgentsCommand({ command: "agents", action: "run", home: h }, t.io, {
      which: onlyAbsolute,
      onBot: (b) => (bot = b),
      botOptions: { pollTimeoutS: 1, outbox: { privateIntervalMs: 5, groupIntervalMs: 15 }, retryDelayMs: 10 },
    });
    await eventually(() => bot !== null && api!.visible(777).some((m) => m.text.includes("taiku is ready")), 10_000);
    api.push({ message: { message_id: 1, date: 0, chat: { id: 777, type: "private" }, from: { id: 5, is_bot: false, first_name: "u" }, text: "list the files" } });
    await eventually(() => api!.visible(777).some((m) => m.text.startsWith("done · codex") && m.text.includes("echo: list the files")), 10_000);
    expect(t.out()).toContain("Telegram bridge running");
    t.signals.emit("SIGINT");
    expect(await running).toBe(0);
  });
});

describe("agents arguments", () => {
  const ctx = { env: {}, cwd: "/w", homedir: "/h" };
  it("--agents is off by default; --agents-owner-only implies it; --config", () => {
    expect(parseCommandLine([], ctx)).toMatchObject({ command: "share", agents: false });
    expect(parseCommandLine(["--agents-owner-only", "--config", "/c.toml"], ctx)).toMatchObject({ agents: true, agentsOwnerOnly: true, config: "/c.toml" });
  });
  it("taiku agents [doctor] [--transport] [--config]", () => {
    expect(parseCommandLine(["agents", "--transport", "telegram"], ctx)).toEqual({ command: "agents", action: "run", transport: "telegram", home: "/h/.taiku" });
    expect(parseCommandLine(["agents", "doctor", "--config", "/x.toml"], { ...ctx, env: { TAIKU_HOME: "/th" } })).toEqual({ command: "agents", action: "doctor", config: "/x.toml", home: "/th" });
    expect(() => parseCommandLine(["agents", "frobnicate"], ctx)).toThrow(/unknown agents command/);
  });
});

describe("chat triggers", () => {
  const ctx = { engineIds: ["codex", "claude", "opencode", "pi"], projectAliases: ["shop"], commandIds: ["usage"], name: "agent", hasResumeLine: (t: string) => /`codex resume \S+`/.test(t) };
  it.each([
    ["hello everyone", null],
    ["did you ask @codex already?", null],
    ["/shrug", null],
    ["http://example.com /codex", null],
    ["/codex fix it", "/codex fix it"],
    ["/cancel", "/cancel"],
    ["/new", "/new"],
    ["/agent set claude", "/agent set claude"],
    ["/usage", "/usage"],
    ["/shop add tests", "/shop add tests"],
    ["@claude fix it", "/claude fix it"],
    ["@Codex: run the tests", "/codex run the tests"],
    ["@shop @feat add tests", "/shop @feat add tests"],
    ["@agent what is failing?", "what is failing?"],
    ["hey @agent, look at this", "hey look at this"],
    ["please continue\n`codex resume 0199`", "please continue\n`codex resume 0199`"],
  ])("%j → %j", (text, want) => {
    expect(addressAgents(text, ctx)).toBe(want);
  });
});

describe("token usage from each engine", () => {
  it("codex, claude, pi shapes", () => {
    expect(normalizeUsage({ input_tokens: 5, cached_input_tokens: 2, output_tokens: 3 })).toEqual({ input: 5, output: 3, cached: 2, cost: 0 });
    expect(normalizeUsage({ total_cost_usd: 0.5, usage: { input_tokens: 7, output_tokens: 1, cache_read_input_tokens: 4 } })).toEqual({ input: 7, output: 1, cached: 4, cost: 0.5 });
    expect(normalizeUsage({ input: 1, output: 2, cacheRead: 3, cost: { total: 0.25 } })).toEqual({ input: 1, output: 2, cached: 3, cost: 0.25 });
    expect(normalizeUsage(null)).toBeNull();
    expect(normalizeUsage({ duration_ms: 5 })).toBeNull();
  });
});
