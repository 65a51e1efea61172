/**
 * `taiku --agents`: the session chat drives @taiku/agents (issue 5, item 5).
 *
 * - Every chat message from the server reaches `onChat`; the CLI's own (host) messages are
 *   ignored, so the agents never answer themselves.
 * - Only messages that address the agents (triggers.ts) go further; readers get a short refusal,
 *   and with `ownerOnly` so do writers. Admins (the owner) and writers start runs.
 * - The chat store port maps onto the link: `post` → `chatSend` (id back in `chatSent`), `edit`
 *   → `chatEdit`. Progress is one message edited in place; the final answer edits it too
 *   (`finalNotify: false`, as the session chat cannot delete) and long answers follow as further
 *   messages (split under the server's 2000-character cap).
 * - Runs execute on this machine in the session directory (`defaultCwd`).
 * - While a run is active, `agent_status` / `agent.*` events go out as sealed `agent` frames on
 *   the lowest-numbered running shell (shell 1 unless it was closed).
 */
import { createSessionChat, type AgentEvent, type Runner, type SessionChat, type SessionChatPort, type TransportRuntime } from "@taiku/agents";
import { basename } from "node:path";
import type { ChatMessage } from "../chat.js";
import type { ShareSession } from "../session.js";
import { AgentRunTelemetry, type AgentEventSink } from "./telemetry.js";
import { addressAgents } from "./triggers.js";
import type { AgentsSetup } from "./config.js";

/** The server's chat message cap (LIMITS.chatMaxChars). */
export const CHAT_MAX_CHARS = 2000;
/** Body budget per message: header, ctx and resume lines fit in the rest. */
const BODY_CHARS = 1600;

export interface SessionAgentsOptions {
  session: Pick<ShareSession, "postChat" | "editChat" | "onChat" | "shellIds" | "sendAgentEvent">;
  setup: AgentsSetup;
  /** Session working directory: runs start here. */
  dir: string;
  /** Only admins (the owner) may start runs. */
  ownerOnly?: boolean;
  /** Chat name of the agents' messages; `@<name>` addresses them. */
  name?: string;
  /** Override `[agents.transports.session] edit_interval_ms` (tests). */
  editIntervalMs?: number;
  /** Override `show_resume_line`. */
  showResumeLine?: boolean;
  log?: (m: string) => void;
}

export interface SessionAgents {
  readonly chat: SessionChat | null;
  /** Progress message ids of runs (newest last), for `/cancel`. */
  readonly progressIds: readonly string[];
  /** Resolves when every run started so far has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const CONVERSATION = "session";

const clipChat = (text: string): string => {
  const t = text.trim() ? text : "…";
  return t.length > CHAT_MAX_CHARS ? `${t.slice(0, CHAT_MAX_CHARS - 1)}…` : t;
};

/** Wraps a runner so each run reports telemetry; events pass through unchanged. */
export function observeRunner(runner: Runner, begin: (engine: string, prompt: string) => AgentRunTelemetry | null): Runner {
  return {
    engine: runner.engine,
    formatResume: (t) => runner.formatResume(t),
    extractResume: (t) => runner.extractResume(t),
    isResumeLine: (l) => runner.isResumeLine(l),
    async *run(prompt, resume, opts) {
      const t = begin(runner.engine, prompt);
      let completed = false;
      try {
        for await (const ev of runner.run(prompt, resume, opts) as AsyncGenerator<AgentEvent, void>) {
          t?.event(ev);
          if (ev.type === "completed") completed = ev.ok;
          yield ev;
        }
      } finally {
        t?.finish(completed ? "done" : "stopped");
      }
    },
  };
}

export function startSessionAgents(opts: SessionAgentsOptions): SessionAgents {
  const { session, setup } = opts;
  const log = opts.log ?? (() => {});
  const name = opts.name ?? "agent";
  const runtime: TransportRuntime | null = setup.runtime;
  const roles = new Map<string, ChatMessage["role"]>();
  const progressIds: string[] = [];

  const sink: AgentEventSink = (shellId, ev) => {
    session.sendAgentEvent(shellId, ev);
  };
  const telemetryShell = (): number | null => {
    const ids = session.shellIds();
    return ids.length ? Math.min(...ids) : null;
  };
  if (runtime) {
    // Observe every engine's runs (the router entries are shared by the runtime and the chat).
    for (const entry of runtime.router.entries) {
      entry.runner = observeRunner(entry.runner, (engine, prompt) => {
        const shellId = telemetryShell();
        if (shellId === null) return null;
        const t = new AgentRunTelemetry(sink, shellId, engine);
        t.setStatus("running");
        t.userMessage(prompt);
        return t;
      });
    }
  }

  const port: SessionChatPort = {
    post: async ({ text, notify }) => {
      const id = String(await session.postChat(name, clipChat(text)));
      if (!notify && /^(starting|queued)\b/.test(text)) {
        progressIds.push(id);
        if (progressIds.length > 100) progressIds.shift();
      }
      return id;
    },
    edit: async ({ messageId, text }) => session.editChat(Number(messageId), clipChat(text)),
    // The session chat has no delete: a replaced message stays (the library then posts anew).
    remove: async () => false,
  };

  const sc = setup.config.transports.session;
  const chat = runtime
    ? createSessionChat({
        runtime,
        port,
        showResumeLine: opts.showResumeLine ?? sc.show_resume_line,
        messageOverflow: sc.message_overflow,
        editIntervalMs: opts.editIntervalMs ?? sc.edit_interval_ms,
        maxBodyChars: BODY_CHARS,
        finalNotify: false,
        defaultCwd: opts.dir,
        commands: (id) => setup.registry.find("command", id),
        isAdmin: (msg) => roles.get(String(msg.senderId)) === "admin",
      })
    : null;

  const say = (text: string) => session.postChat(name, clipChat(text)).catch((err: Error) => log(`agents: ${err.message}`));

  // Everyone in the session is told where runs execute and who may start them (ARCHITECTURE.md,
  // "Decisions: who may start an agent run"); the chat history keeps it for late joiners.
  const engines = runtime?.engineIds ?? [];
  void say(
    engines.length
      ? `agents are on: ${engines.map((e) => `@${e}`).join(", ")} run on the host's machine, in ${basename(opts.dir)}. ` +
          (opts.ownerOnly ? "Only the session owner may start runs." : "The owner and writers may start runs; readers may not.")
      : `agents are on, but no agent CLI is installed on the host: ${setup.missing.map((x) => x.issue).join("; ")}`,
  );

  const cancelAll = async (): Promise<void> => {
    let hit = 0;
    for (const id of [...progressIds].reverse()) if ((await chat!.cancel(CONVERSATION, id)) !== "none") hit++;
    if (hit === 0) await say("nothing is currently running.");
  };

  const seen = new Set<number>();
  const handle = async (m: ChatMessage): Promise<void> => {
    if (m.role === "host" || m.userId === 0) return; // our own messages (and other host posts)
    if (seen.has(m.id)) return; // never run a message twice (e.g. redelivered after a reconnect)
    seen.add(m.id);
    if (seen.size > 1000) seen.delete(seen.values().next().value!);
    const text = addressAgents(m.message, {
      engineIds: runtime?.engineIds ?? setup.backends.map((b) => b.id),
      projectAliases: runtime?.projectAliases() ?? [],
      commandIds: setup.registry.listIds("command"),
      name,
      hasResumeLine: (t) => !!runtime?.router.extractResume(t),
    });
    if (text === null) return;
    if (m.role === "reader") {
      await say(`@${m.name}: readers cannot start agent runs; ask the host for write access.`);
      return;
    }
    if (opts.ownerOnly && m.role !== "admin") {
      await say(`@${m.name}: the host allows only the session owner to start agent runs.`);
      return;
    }
    if (!chat) {
      await say(`no agent CLI is installed on the host: ${setup.missing.map((x) => x.issue).join("; ")}`);
      return;
    }
    roles.set(String(m.userId), m.role);
    if (/^\/cancel(@\S+)?\s*$/i.test(text)) return cancelAll();
    await chat.onMessage({ conversationId: CONVERSATION, messageId: String(m.id), text, senderId: String(m.userId) });
  };

  let chain = Promise.resolve();
  const unsubscribe = session.onChat((m) => {
    chain = chain.then(() => handle(m)).catch((err: Error) => log(`agents: ${err.stack ?? err.message}`));
  });

  return {
    chat,
    progressIds,
    idle: async () => {
      await chain;
      await chat?.idle();
    },
    close: async () => {
      unsubscribe();
      if (chat) {
        for (const task of chat.chat.runningTasks.values()) task.cancelRequested.set();
        await chat.idle();
        await chat.close();
      }
    },
  };
}
