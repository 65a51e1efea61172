/**
 * The public API mirrors every symbol of seed 002 (camelCase), with API version 1
 * (takopi tests/test_api_exports.py). Types are checked at compile time by the block below.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import type {
  Action, ActionEvent, CommandBackend, CommandContext, CommandExecutor, CommandResult, CompletedEvent, EngineBackend, EngineConfig, EngineId,
  ExecBridgeConfig, IncomingMessage, MessageRef, Presenter, RenderedMessage, ResolvedMessage, ResolvedRunner, ResumeToken, RunContext, RunMode,
  RunRequest, RunResult, Runner, SendOptions, SetupIssue, SetupResult, StartedEvent, Transport, TransportBackend,
} from "../src/index.js";
import { FIXTURES } from "./helpers/fake-cli.js";

// Compile-time presence of every seed type (unused on purpose).
export type SeedTypes = [
  EngineBackend, EngineConfig, Runner, TransportBackend, SetupIssue, SetupResult, Transport, Presenter, RenderedMessage, SendOptions, MessageRef,
  ResolvedMessage, ResolvedRunner, CommandBackend, CommandContext, CommandExecutor, CommandResult, RunRequest, RunResult, RunMode, EngineId,
  ResumeToken, StartedEvent, ActionEvent, CompletedEvent, Action, RunContext, ExecBridgeConfig, IncomingMessage,
];

describe("public API", () => {
  it("exports the plugin API version 1 and every seed value symbol", () => {
    expect(api.PLUGIN_API_VERSION).toBe(1);
    expect(api.TAKOPI_PLUGIN_API_VERSION).toBe(1);
    for (const name of ["BaseRunner", "JsonlSubprocessRunner", "EventFactory", "TransportRuntime", "ConfigError", "DirectiveError", "RunnerUnavailableError", "RunningTask", "RunningTasks", "handleMessage"]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("RunnerUnavailableError text and fields", () => {
    const e = new api.RunnerUnavailableError("pi", "not installed");
    expect([e.message, e.engine, e.issue, e.name]).toEqual(["engine 'pi' is unavailable: not installed", "pi", "not installed", "RunnerUnavailableError"]);
    expect(new api.RunnerUnavailableError("pi").message).toBe("engine 'pi' is unavailable");
  });

  it("MessageRef identity ignores raw/thread/sender; thread keys are engine:value", () => {
    expect(api.refKey({ channelId: 1, messageId: 2, threadId: 9, raw: {} } as Parameters<typeof api.refKey>[0])).toBe(api.refKey({ channelId: 1, messageId: 2 }));
    expect(api.threadKey(api.resumeToken("codex", "x"))).toBe("codex:x");
    expect(api.sameToken(api.resumeToken("codex", "x"), api.resumeToken("claude", "x"))).toBe(false);
  });

  it("EventFactory rules (§2.3)", () => {
    const f = new api.EventFactory("codex");
    expect(() => f.started(api.resumeToken("claude", "a"))).toThrow();
    f.started(api.resumeToken("codex", "a"));
    expect(() => f.started(api.resumeToken("codex", "b"))).toThrow(/mismatch/);
    expect(f.completedOk({ answer: "x" }).resume).toEqual({ engine: "codex", value: "a" });
    expect(f.completedError({ error: "e" })).toMatchObject({ ok: false, answer: "", error: "e" });
    expect(f.actionStarted({ actionId: "1", kind: "note", title: "t" }).action.detail).toEqual({});
  });

  it("note ids count per run and require a state with noteSeq", () => {
    const r = new api.CodexRunner();
    const state = r.newState("p", null, {});
    expect([r.noteEvent(state, "a").action.id, r.noteEvent(state, "b").action.id]).toEqual(["codex.note.1", "codex.note.2"]);
    expect(() => r.noteEvent({} as typeof state, "x")).toThrow(/noteSeq/);
  });
});

describe("fixture copies", () => {
  it("the suite carries every recorded fixture; they match the shared set when it is present", () => {
    const local = ["takopi", "current"].flatMap((d) => readdirSync(join(FIXTURES, d)).map((f) => `${d}/${f}`));
    expect(local.filter((f) => f.endsWith(".jsonl")).length).toBe(18);
    const shared = "/work/shared/fixtures/agents";
    if (existsSync(shared)) {
      for (const f of local) {
        const src = join(shared, f.replace(/^takopi\//, ""));
        expect(readFileSync(join(FIXTURES, f), "utf8"), f).toBe(readFileSync(src, "utf8"));
      }
    }
  });
});
