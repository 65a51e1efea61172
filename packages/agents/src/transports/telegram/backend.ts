/** The Telegram transport backend (spec §7), registered under id `telegram`. */
import { ConfigError } from "../../model.js";
import { telegramSchema } from "../../config/schema.js";
import { setupResult, type TransportBackend } from "../backend.js";
import { TelegramBot } from "./bot.js";

function parseConfig(transportConfig: unknown) {
  const r = telegramSchema.safeParse(transportConfig ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`transports.telegram.${issue.path.join(".")}: ${issue.message}`);
  }
  return r.data;
}

export const telegramBackend: TransportBackend = {
  id: "telegram",
  description: "Telegram bot (long polling)",
  checkSetup(_engine, _opts) {
    return setupResult([], "");
  },
  async interactiveSetup() {
    return false; // configure [agents.transports.telegram] in taiku.toml
  },
  lockToken({ transportConfig }) {
    const t = (transportConfig as { bot_token?: unknown } | null)?.bot_token;
    return typeof t === "string" ? t : null;
  },
  async buildAndRun({ transportConfig, runtime, finalNotify }) {
    const bot = new TelegramBot({ config: parseConfig(transportConfig), runtime, finalNotify });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      await bot.run(stop.signal);
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
