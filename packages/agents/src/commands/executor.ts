/** Plugin command dispatch and the CommandExecutor handed to plugins (spec §8.1). */
import { MemoryTransport } from "../bridge/memory-transport.js";
import type { MessageRef, RenderedMessage } from "../bridge/transport.js";
import type { AgentChat, ChatMessage } from "../runtime/agent-chat.js";
import type { ParsedCommand } from "./parse.js";
import type { CommandBackend, CommandExecutor, RunMode, RunRequest, RunResult } from "./types.js";

export function createExecutor(chat: AgentChat, msg: ChatMessage): CommandExecutor {
  const runOne = async (req: RunRequest, opts: { mode?: RunMode } = {}): Promise<RunResult> => {
    const context = req.context ?? chat.runtime.defaultContextForChat(msg.channelId);
    // Only a user-set chat default overrides the usual resolution (takopi sources topic/chat default).
    const engine = req.engine ?? chat.prefs.defaultEngine(chat.chatKey(msg)) ?? chat.runtime.resolveEngine({ context });
    const input = { msg, text: req.prompt, token: null, engine, context };
    if ((opts.mode ?? "emit") === "emit") {
      await chat.runJob(input);
      return { engine, message: null };
    }
    const capture = new MemoryTransport();
    await chat.runJob(input, { transport: capture, presenter: chat.bridge.presenter, finalNotify: false });
    return { engine, message: capture.last()?.message ?? null };
  };
  return {
    send: (message: RenderedMessage | string, opts: { replyTo?: MessageRef | null; notify?: boolean } = {}) =>
      chat.opts.transport.send({
        channelId: msg.channelId,
        message: typeof message === "string" ? { text: message, extra: {} } : message,
        options: { replyTo: opts.replyTo ?? chat.userRef(msg), notify: opts.notify ?? true, threadId: msg.threadId ?? null },
      }),
    runOne,
    runMany: async (reqs, opts = {}) => {
      if (opts.parallel) return Promise.all(reqs.map((r) => runOne(r, { mode: opts.mode ?? "emit" })));
      const out: RunResult[] = [];
      for (const r of reqs) out.push(await runOne(r, { mode: opts.mode ?? "emit" }));
      return out;
    },
  };
}

export async function dispatchPluginCommand(chat: AgentChat, msg: ChatMessage, backend: CommandBackend, cmd: ParsedCommand): Promise<void> {
  try {
    const result = await backend.handle({
      command: cmd.command,
      text: msg.text,
      argsText: cmd.argsText,
      args: cmd.args,
      message: { channelId: msg.channelId, messageId: msg.messageId, threadId: msg.threadId ?? null, senderId: msg.senderId ?? null, raw: msg },
      replyTo: msg.replyTo ?? null,
      replyText: msg.replyText ?? null,
      configPath: chat.runtime.configPath,
      pluginConfig: chat.runtime.pluginConfig(backend.id),
      runtime: chat.runtime,
      executor: createExecutor(chat, msg),
    });
    if (result) {
      await chat.opts.transport.send({
        channelId: msg.channelId,
        message: { text: result.text, extra: {} },
        options: { replyTo: result.replyTo ?? chat.userRef(msg), notify: result.notify ?? true, threadId: msg.threadId ?? null },
      });
    }
  } catch (err) {
    await chat.reply(msg, `error:\n${err instanceof Error ? err.message : String(err)}`);
  }
}
