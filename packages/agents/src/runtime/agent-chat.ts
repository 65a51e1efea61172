/**
 * AgentChat: what a chat transport does with one incoming message (spec §1.2, §7.4 without the
 * Telegram-only parts): built-in commands, plugin commands, directive/resume resolution,
 * reply-to-running, per-thread queue, and a run through handleMessage. Telegram and taiku's
 * session chat both delegate to it, so they behave the same.
 */
import { handleMessage, monotonicSeconds, type RunOutcome } from "../bridge/handle-message.js";
import { ProgressTracker } from "../bridge/progress.js";
import { RunningTasks } from "../bridge/running-tasks.js";
import { ThreadScheduler, type ThreadJob } from "../bridge/scheduler.js";
import type { ExecBridgeConfig, IncomingMessage, MessageRef, Presenter, RenderedMessage, Transport } from "../bridge/transport.js";
import { handleAgentCommand, handleCancelCommand, handleNewCommand } from "../commands/builtins.js";
import { dispatchPluginCommand } from "../commands/executor.js";
import { parseCommand } from "../commands/parse.js";
import type { CommandBackend } from "../commands/types.js";
import { getLogger } from "../logger.js";
import { ConfigError, DirectiveError, RunnerUnavailableError, resumeToken, type EngineId, type ResumeToken, type RunContext } from "../model.js";
import type { Runner } from "../runner.js";
import { MemoryChatPrefs, type ChatPrefs, type SessionStore } from "./sessions.js";
import type { TransportRuntime } from "./transport-runtime.js";

/** Reserved chat command ids (spec §8.2) [compat]. */
export const RESERVED_CHAT_COMMANDS = ["cancel", "file", "new", "agent", "model", "reasoning", "trigger", "topic", "ctx"] as const;
export const RESERVED_CLI_COMMANDS = ["config", "doctor", "init", "plugins"] as const;

export interface ChatMessage extends IncomingMessage {
  /** Text of the replied-to message, when the message is a reply. */
  replyText?: string | null;
  /** Private chats share one session; group members get their own (sessionScope "sender"). */
  isPrivate?: boolean;
  ambientContext?: RunContext | null;
}

export interface AgentChatOptions {
  runtime: TransportRuntime;
  transport: Transport;
  presenter: Presenter;
  /** Final answer as a new loud message replacing the progress message (takopi default). */
  finalNotify?: boolean;
  /** Stateful chats store one resume token per session and engine. */
  sessions?: SessionStore | null;
  /** "chat": one session per channel; "sender": one per sender outside private chats. */
  sessionScope?: "chat" | "sender";
  /** Hidden only in stateful chats (spec §7.6). Default true. */
  showResumeLine?: boolean;
  prefs?: ChatPrefs;
  /** Plugin command lookup (discovery registry). */
  commands?: ((id: string) => CommandBackend | null | Promise<CommandBackend | null>) | null;
  /** May this sender change chat settings (`/agent set`)? Default: yes. */
  isAdmin?: (msg: ChatMessage) => boolean | Promise<boolean>;
  clock?: () => number;
  /** Renders the markdown of plain replies (Telegram: entities). Default: text as is. */
  renderText?: (markdown: string) => RenderedMessage;
  /** Run directory when the message names no project (taiku: the session's working directory). Default: the host process cwd. */
  defaultCwd?: string | null;
  /** Extra run options applied to every run (model/reasoning overrides). */
  model?: string | null;
  reasoning?: string | null;
}

export interface RunJobInput {
  msg: ChatMessage;
  text: string;
  token: ResumeToken | null;
  engine: EngineId;
  context: RunContext | null;
  progressRef?: MessageRef | null;
}

/** Wraps a runner so resume lines render as "" while extraction still works (§4.7). */
export function hideResumeLines(runner: Runner): Runner {
  return {
    engine: runner.engine,
    run: (p, r, o) => runner.run(p, r, o),
    formatResume: () => "",
    extractResume: (t) => runner.extractResume(t),
    isResumeLine: (l) => runner.isResumeLine(l),
  };
}

export class AgentChat {
  readonly runningTasks = new RunningTasks();
  readonly scheduler: ThreadScheduler;
  readonly prefs: ChatPrefs;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly queuedJobs = new WeakMap<ThreadJob, RunJobInput>();
  /** Resolvers that let `idle()` wait for queued jobs. */
  private readonly jobSettled = new Map<ThreadJob, () => void>();

  private settle(job: ThreadJob): void {
    this.jobSettled.get(job)?.();
    this.jobSettled.delete(job);
  }

  constructor(readonly opts: AgentChatOptions) {
    this.prefs = opts.prefs ?? new MemoryChatPrefs();
    this.scheduler = new ThreadScheduler(async (job) => {
      const input = this.queuedJobs.get(job);
      try {
        if (input) await this.runJob({ ...input, progressRef: job.progressRef ?? null });
      } finally {
        this.settle(job);
      }
    });
  }

  get runtime(): TransportRuntime {
    return this.opts.runtime;
  }
  get stateful(): boolean {
    return !!this.opts.sessions;
  }
  get bridge(): ExecBridgeConfig {
    return { transport: this.opts.transport, presenter: this.opts.presenter, finalNotify: this.opts.finalNotify ?? true };
  }

  chatKey(msg: ChatMessage): string {
    return msg.threadId !== null && msg.threadId !== undefined ? `${msg.channelId}:${msg.threadId}` : String(msg.channelId);
  }

  sessionKey(msg: ChatMessage): string {
    const owner = this.opts.sessionScope === "sender" && !msg.isPrivate && msg.senderId !== null && msg.senderId !== undefined ? String(msg.senderId) : "chat";
    return `${this.chatKey(msg)}:${owner}`;
  }

  userRef(msg: ChatMessage): MessageRef {
    return { channelId: msg.channelId, messageId: msg.messageId, threadId: msg.threadId ?? null };
  }

  async reply(msg: ChatMessage, text: string | RenderedMessage, notify = true): Promise<MessageRef | null> {
    const message = typeof text === "string" ? (this.opts.renderText?.(text) ?? { text, extra: {} }) : text;
    return this.opts.transport.send({ channelId: msg.channelId, message, options: { replyTo: this.userRef(msg), notify, threadId: msg.threadId ?? null } });
  }

  /** Resolves when every run started so far has finished. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  /** Routes one incoming chat message. Runs continue in the background (see `idle`). */
  async handle(msg: ChatMessage): Promise<void> {
    const cmd = parseCommand(msg.text);
    if (cmd) {
      if (cmd.command === "cancel") return handleCancelCommand(this, msg);
      if (cmd.command === "new") return handleNewCommand(this, msg);
      if (cmd.command === "agent") return handleAgentCommand(this, msg, cmd.args);
      const isDirective = this.runtime.engineIds.includes(cmd.command) || this.runtime.normalizeProjectKey(cmd.command) !== null;
      if ((RESERVED_CHAT_COMMANDS as readonly string[]).includes(cmd.command)) {
        await this.reply(msg, `/${cmd.command} is not available in this chat.`);
        return;
      }
      if (!isDirective && this.opts.commands) {
        const backend = await this.opts.commands(cmd.command);
        if (backend) return dispatchPluginCommand(this, msg, backend, cmd);
      }
    }
    return this.handlePrompt(msg);
  }

  /** UI cancel action on a progress message (Telegram's cancel button). */
  async cancel(ref: MessageRef): Promise<"cancelling" | "dropped" | "none"> {
    const task = this.runningTasks.get(ref);
    if (task) {
      task.cancelRequested.set();
      return "cancelling";
    }
    const job = this.scheduler.cancelQueued(ref.channelId, ref.messageId);
    if (job) {
      const input = this.queuedJobs.get(job);
      const contextLine = this.runtime.formatContextLine(input?.context ?? null);
      const state = new ProgressTracker(job.resumeToken.engine).snapshot({ contextLine });
      await this.opts.transport.edit({ ref, message: this.opts.presenter.renderProgress(state, { elapsedS: 0, label: "`cancelled`" }) });
      this.settle(job);
      return "dropped";
    }
    return "none";
  }

  private async handlePrompt(msg: ChatMessage): Promise<void> {
    let resolved;
    try {
      resolved = this.runtime.resolveMessage({ text: msg.text, replyText: msg.replyText ?? null, ambientContext: msg.ambientContext ?? null, chatId: msg.channelId });
    } catch (err) {
      if (err instanceof DirectiveError) {
        await this.reply(msg, `error:\n${err.message}`);
        return;
      }
      throw err;
    }
    // A reply to a running progress message resumes that run's thread once its token is known.
    if (!resolved.resumeToken && msg.replyTo) {
      const task = this.runningTasks.get(msg.replyTo);
      if (task) {
        await Promise.race([task.resumeReady.wait(), task.done.wait()]);
        if (!task.resume) {
          await this.reply(msg, "resume token not ready yet; try replying to the final message.", false);
          return;
        }
        const context = resolved.context ?? task.context;
        await this.enqueue({ msg, text: resolved.prompt, token: task.resume, engine: task.resume.engine, context });
        return;
      }
    }
    const engine = resolved.resumeToken?.engine ?? resolved.engineOverride ?? this.prefs.defaultEngine(this.chatKey(msg)) ?? this.runtime.resolveEngine({ context: resolved.context });
    let token = resolved.resumeToken;
    if (!token && this.opts.sessions) {
      const stored = this.opts.sessions.get(this.sessionKey(msg), engine);
      if (stored) token = resumeToken(engine, stored);
    }
    const input: RunJobInput = { msg, text: resolved.prompt, token, engine, context: resolved.context };
    if (!token) void this.track(this.runJob(input)); // new threads run at once
    else await this.enqueue(input);
  }

  private async enqueue(input: RunJobInput & { token: ResumeToken | null }): Promise<void> {
    const token = input.token!;
    const contextLine = this.runtime.formatContextLine(input.context);
    const state = new ProgressTracker(token.engine).snapshot({ contextLine });
    const progressRef = await this.reply(input.msg, this.opts.presenter.renderProgress(state, { elapsedS: 0, label: "queued" }), false);
    const job: ThreadJob = {
      chatId: input.msg.channelId,
      userMsgId: input.msg.messageId,
      text: input.text,
      resumeToken: token,
      context: input.context,
      threadId: input.msg.threadId ?? null,
      sessionKey: this.sessionKey(input.msg),
      progressRef,
    };
    this.queuedJobs.set(job, input);
    void this.track(new Promise<void>((resolve) => this.jobSettled.set(job, resolve)));
    this.scheduler.enqueue(job);
  }

  /** Runs one job; `emit` path shared by prompts, queued resumes and command executors. */
  async runJob(input: RunJobInput, bridge: ExecBridgeConfig = this.bridge): Promise<RunOutcome | null> {
    const { msg } = input;
    try {
      let resolvedRunner;
      try {
        resolvedRunner = this.runtime.resolveRunner({ resumeToken: input.token, engineOverride: input.engine });
      } catch (err) {
        if (err instanceof RunnerUnavailableError) {
          await this.reply(msg, `error:\n${err.message}`);
          return null;
        }
        throw err;
      }
      if (!resolvedRunner.available) {
        const t = new ProgressTracker(resolvedRunner.engine);
        t.resume = input.token;
        const state = t.snapshot({ formatResume: (x) => resolvedRunner.runner.formatResume(x) });
        const message = bridge.presenter.renderFinal(state, { elapsedS: 0, status: "error", answer: `error:\n${resolvedRunner.issue ?? "engine unavailable"}` });
        await bridge.transport.send({ channelId: msg.channelId, message, options: { replyTo: this.userRef(msg), notify: true, threadId: msg.threadId ?? null, replace: input.progressRef ?? null } });
        return null;
      }
      let cwd: string | null;
      try {
        cwd = (await this.runtime.resolveRunCwd(input.context)) ?? this.opts.defaultCwd ?? null;
      } catch (err) {
        if (err instanceof ConfigError) {
          await this.reply(msg, `error:\n${err.message}`);
          return null;
        }
        throw err;
      }
      const hide = this.stateful && this.opts.showResumeLine === false;
      const runner = hide ? hideResumeLines(resolvedRunner.runner) : resolvedRunner.runner;
      const sessionKey = this.sessionKey(msg);
      return await handleMessage(bridge, {
        runner,
        incoming: { ...msg, text: input.text },
        resumeToken: input.token,
        context: input.context,
        contextLine: this.runtime.formatContextLine(input.context),
        stripResumeLine: (l) => this.runtime.isResumeLine(l),
        runningTasks: this.runningTasks,
        onThreadKnown: async (token, done) => {
          await this.scheduler.noteThreadKnown(token, done);
          this.opts.sessions?.set(sessionKey, token.engine, token.value);
        },
        progressRef: input.progressRef ?? null,
        clock: this.opts.clock ?? monotonicSeconds,
        runOptions: { cwd, model: this.opts.model ?? null, reasoning: this.opts.reasoning ?? null },
      });
    } catch (err) {
      getLogger().error("agent run failed", { error: String(err) });
      return null;
    }
  }
}
