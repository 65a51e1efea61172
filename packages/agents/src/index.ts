/**
 * @taiku/agents — takopi-compatible engine, transport and command backends.
 * Everything a plugin may use is exported from here (seed 002 "Plugin API").
 */
export { PLUGIN_API_VERSION, TAKOPI_PLUGIN_API_VERSION } from "./version.js";
export * from "./model.js";
export { EventFactory, type ActionInput } from "./events.js";
export { Latch, Mutex, AbortedError, isAbortError, waitOrAbort } from "./concurrency.js";
export { getLogger, setLogger, MemoryLogger, type Logger } from "./logger.js";
export {
  RegexResumeCodec, defaultResumeCodec, splitLines, LINE_BREAK, stripResumeLines, type ResumeCodec, type RegexResumeCodecOptions,
} from "./resume.js";
export { relativizeCommand, relativizePath } from "./paths.js";
export { BaseRunner, ThreadLocks, type Runner, type RunOptions } from "./runner.js";
export { JsonlSubprocessRunner, type EndContext, type JsonlState, type SubprocessOptions } from "./jsonl-runner.js";
export { LineSplitter, DEFAULT_MAX_LINE_BYTES } from "./lines.js";
export { DEFAULT_KILL_GRACE_MS, spawnGroup, terminateGroup, which } from "./proc.js";

// engines
export { defineEngineBackend, type EngineBackend, type EngineConfig } from "./engines/backend.js";
export { toolAction, type ToolAction } from "./engines/tool-actions.js";
export { CodexRunner, buildCodexRunner, codexBackend, codexResumeCodec, findExecOnlyFlag, CODEX_INSTALL_CMD } from "./engines/codex.js";
export { ClaudeRunner, buildClaudeRunner, claudeBackend, claudeResumeCodec, CLAUDE_INSTALL_CMD } from "./engines/claude.js";
export { OpencodeRunner, buildOpencodeRunner, opencodeBackend, opencodeResumeCodec, OPENCODE_INSTALL_CMD } from "./engines/opencode.js";
export { PiRunner, buildPiRunner, piBackend, piResumeCodec, piSessionPath, piShortId, PI_INSTALL_CMD } from "./engines/pi.js";
export { BUILTIN_ENGINES } from "./engines/index.js";

// testing doubles
export { ScriptRunner, Emit, Advance, Sleep, Wait, Raise, Return, type ScriptStep, type ScriptRunnerOptions } from "./testing/script-runner.js";

// bridge
export {
  refKey, sameRef, sameRendered, type ChannelId, type MessageId, type ThreadId, type MessageRef, type RenderedMessage, type SendOptions,
  type Transport, type Presenter, type ExecBridgeConfig, type IncomingMessage,
} from "./bridge/transport.js";
export { ProgressTracker, type ProgressState, type ActionState } from "./bridge/progress.js";
export { formatElapsed, shorten, formatActionLine, progressParts, finalParts, assemble, HARD_BREAK, type MessageParts } from "./bridge/markdown.js";
export { MAX_BODY_CHARS, trimBody, splitMarkdownBody } from "./bridge/overflow.js";
export { MarkdownPresenter, splitParts, followupsOf, structuredProgress, type MarkdownPresenterOptions, type MessageOverflow } from "./bridge/presenter.js";
export { RunningTask, RunningTasks } from "./bridge/running-tasks.js";
export { ThreadScheduler, type ThreadJob } from "./bridge/scheduler.js";
export { handleMessage, errorText, monotonicSeconds, type HandleMessageOptions, type RunOutcome } from "./bridge/handle-message.js";
export { MemoryTransport, type StoredMessage, type TransportCall } from "./bridge/memory-transport.js";

// runtime
export { AutoRouter, type RunnerEntry, type EngineStatus } from "./runtime/router.js";
export { parseDirectives, parseContextLine, formatContextLine, type ParsedDirectives } from "./runtime/directives.js";
export { ensureWorktree, defaultBaseBranch, validateBranch, worktreesRoot, type ProjectConfig } from "./runtime/worktrees.js";
export { TransportRuntime, type ResolvedMessage, type ResolvedRunner, type ProjectsConfig, type RuntimeSpec } from "./runtime/transport-runtime.js";
export { MemorySessionStore, MemoryChatPrefs, type SessionStore, type ChatPrefs } from "./runtime/sessions.js";
export { AgentChat, hideResumeLines, RESERVED_CHAT_COMMANDS, RESERVED_CLI_COMMANDS, type AgentChatOptions, type ChatMessage, type RunJobInput } from "./runtime/agent-chat.js";
export { buildRuntime, buildRouterEntries, installIssue, type BuildRuntimeOptions } from "./runtime/build.js";

// commands
export { defineCommandBackend, type CommandBackend, type CommandContext, type CommandExecutor, type CommandResult, type RunRequest, type RunResult, type RunMode } from "./commands/types.js";
export { parseCommand, shellSplit, type ParsedCommand } from "./commands/parse.js";
export { createExecutor, dispatchPluginCommand } from "./commands/executor.js";

// session chat transport (taiku's own)
export {
  createSessionChat, toChatMessage, SessionChatTransport, MemoryChatPort, ManualTimers, realTimers,
  type SessionChat, type SessionChatOptions, type SessionChatMessage, type SessionChatPort, type ChatRecord, type Timers,
} from "./transports/session/index.js";

// plugins and transports
export { defineTransportBackend, setupResult, type TransportBackend, type SetupIssue, type SetupResult } from "./transports/backend.js";
export { PLUGIN_ID_RE, RESERVED_COMMAND_IDS, isValidPluginId, isReservedId, canonicalPackageName } from "./plugins/ids.js";
export { PluginRegistry, CORE_PACKAGE, type PluginEntry, type PluginGroup, type PluginLoadError, type PluginRegistryOptions } from "./plugins/discovery.js";

// configuration
export { agentsSchema, telegramSchema, sessionTransportSchema, projectSchema, type TelegramConfig, type SessionTransportConfig } from "./config/schema.js";
export { loadConfig, parseConfigText, parseAgentsConfig, type AgentsConfig } from "./config/load.js";
export { runtimeFromConfig } from "./config/runtime.js";

// telegram transport
export { BotClient, RetryAfter, redact, DEFAULT_RETRY_AFTER_S, type BotClientOptions } from "./transports/telegram/client.js";
export { TelegramOutbox, type OutboxOptions, type OpKind } from "./transports/telegram/outbox.js";
export { TelegramTransport } from "./transports/telegram/transport.js";
export { TelegramPresenter, CANCEL_CALLBACK_DATA, CANCEL_MARKUP, CLEAR_MARKUP } from "./transports/telegram/presenter.js";
export { renderMarkdown, type MessageEntity, type RenderedText } from "./transports/telegram/render.js";
export { TelegramBot, type TelegramBotOptions } from "./transports/telegram/bot.js";
export { checkRelativePath, matchesGlob, formatBytes } from "./transports/telegram/files.js";
export { telegramBackend } from "./transports/telegram/backend.js";

import { telegramBackend as builtinTelegram } from "./transports/telegram/backend.js";
/** Built-in transport backends, registered under package `@taiku/agents`. */
export const BUILTIN_TRANSPORTS = [builtinTelegram] as const;
