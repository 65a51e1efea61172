/** Built-in chat commands: /cancel (§6.7), /new (§7.6), /agent (§7.10) [compat texts]. */
import type { AgentChat, ChatMessage } from "../runtime/agent-chat.js";

export async function handleCancelCommand(chat: AgentChat, msg: ChatMessage): Promise<void> {
  if (!msg.replyTo) {
    await chat.reply(msg, msg.replyText ? "nothing is currently running for that message." : "reply to the progress message to cancel.");
    return;
  }
  const result = await chat.cancel(msg.replyTo);
  // A running task is cancelled silently; its progress message shows the cancelled render.
  if (result === "none") await chat.reply(msg, "nothing is currently running for that message.");
}

export async function handleNewCommand(chat: AgentChat, msg: ChatMessage): Promise<void> {
  const sessions = chat.opts.sessions;
  const perSender = chat.opts.sessionScope === "sender" && !msg.isPrivate;
  if (sessions && sessions.clear(chat.sessionKey(msg))) {
    await chat.reply(msg, perSender ? "cleared stored sessions for you in this chat." : "cleared stored sessions for this chat.");
  } else {
    await chat.reply(msg, "no stored sessions to clear for this chat.");
  }
}

function engineSource(chat: AgentChat, msg: ChatMessage): { engine: string; source: string } {
  const chatDefault = chat.prefs.defaultEngine(chat.chatKey(msg));
  if (chatDefault) return { engine: chatDefault, source: "chat default" };
  const ctx = chat.runtime.defaultContextForChat(msg.channelId);
  const projectDefault = chat.runtime.projectDefaultEngine(ctx);
  if (projectDefault) return { engine: projectDefault, source: "project default" };
  return { engine: chat.runtime.defaultEngine, source: "global default" };
}

export async function handleAgentCommand(chat: AgentChat, msg: ChatMessage, args: readonly string[]): Promise<void> {
  const [sub, value] = args;
  const available = chat.runtime.availableEngineIds();
  if (!sub || sub === "show") {
    const { engine, source } = engineSource(chat, msg);
    const missing = chat.runtime.missingEngineIds();
    const lines = [
      `engine: \`${engine}\` (${source})`,
      `global default: \`${chat.runtime.defaultEngine}\``,
      `available: \`${available.join(", ") || "none"}\`${missing.length ? ` (not installed: ${missing.join(", ")})` : ""}`,
    ];
    await chat.reply(msg, lines.join("\n"));
    return;
  }
  if ((sub === "set" || sub === "clear") && chat.opts.isAdmin && !(await chat.opts.isAdmin(msg))) {
    await chat.reply(msg, "changing the default engine is restricted to admins.");
    return;
  }
  if (sub === "set") {
    const engine = value?.toLowerCase();
    if (!engine || !chat.runtime.engineIds.includes(engine)) {
      await chat.reply(msg, `unknown engine${engine ? ` '${engine}'` : ""}. available: ${available.join(", ")}`);
      return;
    }
    chat.prefs.setDefaultEngine(chat.chatKey(msg), engine);
    await chat.reply(msg, `default engine set to \`${engine}\` for this chat.`);
    return;
  }
  if (sub === "clear") {
    chat.prefs.setDefaultEngine(chat.chatKey(msg), null);
    await chat.reply(msg, "default engine cleared for this chat.");
    return;
  }
  await chat.reply(msg, "usage: /agent, /agent set <engine>, /agent clear");
}
