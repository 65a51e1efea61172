/**
 * `taiku agents`: the agents without a share.
 *
 * - `taiku agents --transport telegram [--config <file>]` runs the Telegram bridge in the
 *   foreground (config `[agents.transports.telegram]` of `$TAIKU_HOME/taiku.toml`); Ctrl-C stops it.
 * - `taiku agents doctor` prints the config file, each engine (✓, or ✗ with its install command)
 *   and plugin load errors; exit 1 when no engine is usable.
 *
 * Config errors name the file and the key and exit with status 2 (usage).
 */
import { ConfigError, TelegramBot, telegramSchema, type TelegramBotOptions } from "@taiku/agents";
import type { AgentsArgs } from "../args.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { doctorLines, setupAgents, type AgentsSetup } from "./config.js";

export interface AgentsCommandHooks {
  which?: (cmd: string) => string | null;
  /** Called once the bridge runs (tests). */
  onBot?: (bot: TelegramBot) => void;
  /** Bot timers (tests: short long-poll and outbox pacing). */
  botOptions?: Pick<TelegramBotOptions, "pollTimeoutS" | "outbox" | "retryDelayMs">;
}

export async function runAgentsCommand(args: AgentsArgs, io: CliIo, hooks: AgentsCommandHooks = {}): Promise<number> {
  let setup: AgentsSetup;
  try {
    setup = await setupAgents({ home: args.home, ...(args.config ? { configPath: args.config } : {}), ...(hooks.which ? { which: hooks.which } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`taiku: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (args.action === "doctor") {
    for (const line of doctorLines(setup)) io.stdout.write(`${line}\n`);
    return setup.runtime ? EXIT.ok : EXIT.error;
  }
  const transport = args.transport ?? setup.config.transport;
  const file = setup.config.configPath;
  if (transport === "session") {
    io.stderr.write("taiku: the session transport runs inside a share: start `taiku --agents`; for Telegram run `taiku agents --transport telegram`\n");
    return EXIT.usage;
  }
  if (transport !== "telegram") {
    io.stderr.write(`taiku: ${file}: agents.transport: unknown transport '${transport}' (available: session, telegram)\n`);
    return EXIT.usage;
  }
  const raw = (setup.config.transports as Record<string, unknown>)["telegram"];
  const parsed = telegramSchema.safeParse(raw ?? {});
  if (!raw || !parsed.success) {
    const issue = raw ? parsed.error!.issues[0]! : null;
    const key = issue ? `agents.transports.telegram.${issue.path.join(".")}` : "agents.transports.telegram";
    io.stderr.write(`taiku: ${file}: ${key}: ${issue ? issue.message : "missing; set bot_token and chat_id"}\n`);
    return EXIT.usage;
  }
  for (const line of doctorLines(setup)) if (line.includes("✗") || line.startsWith("no agent")) io.stderr.write(`warning: ${line.trim()}\n`);
  if (!setup.runtime) return EXIT.error;
  const bot = new TelegramBot({ config: parsed.data, runtime: setup.runtime, commands: (id) => setup.registry.find("command", id), commandIds: () => setup.registry.listIds("command"), ...hooks.botOptions });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  io.signals.on("SIGINT", onSignal);
  io.signals.on("SIGTERM", onSignal);
  io.stdout.write(`agents: Telegram bridge running (chat ${parsed.data.chat_id}, default engine ${setup.defaultEngine}); Ctrl-C to stop\n`);
  hooks.onBot?.(bot);
  try {
    await bot.run(stop.signal);
  } finally {
    io.signals.off("SIGINT", onSignal);
    io.signals.off("SIGTERM", onSignal);
  }
  return EXIT.ok;
}
