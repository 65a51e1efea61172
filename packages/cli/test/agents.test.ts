/**
 * `taiku --agents` end to end through a REAL session: the embedded server, `startShare({agents})`,
 * and a headless viewer that chats as a writer (or reader) and decrypts `agent` frames. Engines
 * are the fake executables of @taiku/agents' tests (packages/agents/test/fakes).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startShare, type ShareHandle } from "../src/index.js";
import { AgentRunTelemetry, type AgentWireEvent } from "../src/agents/telemetry.js";
import { TranscriptTranslator } from "../src/agents/transcripts.js";
import { alive, dead, eventually, fakeCli, fakeInteractiveCli } from "../../agents/test/helpers/fake-cli.js";
import { joinAgentsViewer, type AgentsViewer, type ChatView } from "./helpers/agents-viewer.js";

const ENGINES = ["codex", "claude", "opencode", "pi"] as const;
const shares: ShareHandle[] = [];
const viewers: AgentsViewer[] = [];

afterEach(async () => {
  for (const v of viewers.splice(0)) v.close();
  for (const s of shares.splice(0)) await s.close();
});

interface Env {
  root: string;
  home: string;
  work: string;
  bin: string;
  log: string;
  pidFile: string;
}

function makeEnv(extraToml = ""): Env {
  const root = mkdtempSync(join(tmpdir(), "taiku-cli-agents-"));
  const env: Env = { root, home: join(root, "home"), work: join(root, "work"), bin: join(root, "bin"), log: join(root, "engine-log.jsonl"), pidFile: join(root, "pids") };
  for (const d of [env.home, env.work, env.bin, join(root, "engines")]) mkdirSync(d, { recursive: true });
  const engines = ENGINES.map((e) => {
    const exe = fakeCli(e, join(root, "engines"), { FAKE_LOG: env.log, FAKE_PID_FILE: env.pidFile, PI_CODING_AGENT_DIR: join(root, "pi") });
    return `[agents.engines.${e}]\nexecutable = ${JSON.stringify(exe)}\n`;
  });
  writeFileSync(
    join(env.home, "taiku.toml"),
    `[agents]\ndefault_engine = "codex"\n\n[agents.transports.session]\nshow_resume_line = true\nedit_interval_ms = 0\n\n${engines.join("\n")}\n${extraToml}`,
  );
  return env;
}

async function share(env: Env, opts: { enableReaders?: boolean; ownerOnly?: boolean; detect?: boolean } = {}): Promise<ShareHandle> {
  const s = await startShare({
    shell: "/bin/sh",
    dir: env.work,
    env: { ...process.env, PS1: "$ ", HOME: env.root, PATH: `${env.bin}:${process.env.PATH ?? ""}` },
    enableReaders: opts.enableReaders ?? false,
    embedded: { home: env.home, port: 0 },
    agents: { detect: opts.detect ?? false, detectIntervalMs: 100, ...(opts.ownerOnly ? { ownerOnly: true } : {}) },
  });
  shares.push(s);
  return s;
}

async function viewer(link: string, opts: { name?: string; writeProtected?: boolean } = {}): Promise<AgentsViewer> {
  const v = await joinAgentsViewer(link, opts);
  viewers.push(v);
  return v;
}

const logged = (env: Env) =>
  existsSync(env.log) ? readFileSync(env.log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { engine: string; prompt: string; resume: string | null; cwd: string }) : [];

async function waitHost(v: AgentsViewer, pred: (c: ChatView) => boolean, what: string, ms = 15_000): Promise<ChatView> {
  await v.waitFor(() => v.hostChat().some(pred), what, ms);
  return v.hostChat().find(pred)!;
}

describe("taiku --agents: session chat runs", () => {
  it("a writer's @codex message: progress edited in place, final answer with a resume line, a reply resumes the same engine session", async () => {
    const env = makeEnv();
    const s = await share(env);
    expect(s.agents).toBeDefined();
    const w = await viewer(s.links.participant, { name: "wendy" });
    // Everyone is told where runs execute and who may start them (chat history, for late joiners too).
    const notice = await waitHost(w, (c) => c.text.startsWith("agents are on"), "agents notice");
    expect(notice.text).toMatch(/run on the host's machine, in \S+\. The owner and writers may start runs; readers may not\./);

    w.say("hello everyone, plain chat"); // people talking: no run
    w.say("@codex list the files");
    const final = await waitHost(w, (c) => c.text.startsWith("done · codex"), "final answer");
    // One message: posted as progress, then edited (chatEdit) into the final answer.
    expect(final.history[0]).toMatch(/^starting · codex/);
    expect(final.history.length).toBeGreaterThanOrEqual(2);
    expect(final.text).toContain("echo: list the files");
    const resumeLine = final.text.trim().split("\n").at(-1)!;
    expect(resumeLine).toMatch(/^`codex resume [0-9a-f-]{36}`$/);
    const first = logged(env);
    expect(first).toHaveLength(1); // the plain chat did not start a run
    expect(first[0]).toMatchObject({ engine: "codex", prompt: "list the files", resume: null });
    expect(realpathSync(first[0]!.cwd)).toBe(realpathSync(env.work)); // runs in the session directory

    w.say("@codex and now the tests");
    const second = await waitHost(w, (c) => c.text.startsWith("done · codex") && c.text.includes("echo: and now the tests"), "second answer");
    const runs = logged(env);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.resume).toBe(/codex resume ([0-9a-f-]+)/.exec(resumeLine)![1]);
    expect(second.text.trim().split("\n").at(-1)).toBe(resumeLine);

    // agent frames: decrypted by the viewer into agent_status / agent.* events on shell 1
    await w.waitFor(() => w.messages.some((m) => m.t === "agent"), "agent frames");
    let events = await w.agentEvents();
    for (let i = 0; i < 100 && events.filter((e) => e.type === "agent_status" && e.data["status"] === "done").length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = await w.agentEvents();
    }
    expect(w.badAgentFrames).toBe(0);
    expect(events.every((e) => e.shellId === 1)).toBe(true);
    const statuses = events.filter((e) => e.type === "agent_status");
    expect(statuses[0]!.data).toMatchObject({ shellId: 1, agentType: "codex", status: "running" });
    const runIds = [...new Set(statuses.map((e) => e.data["instanceId"]))];
    expect(runIds).toHaveLength(2); // one instance per run
    const done = statuses.filter((e) => e.data["status"] === "done");
    expect(done).toHaveLength(2);
    expect(done[0]!.data["sessionId"]).toBe(runs[1]!.resume);
    expect(done[1]!.data["sessionId"]).toBe(runs[1]!.resume);
    expect(done[0]!.data["tokenUsage"]).toEqual({ input: 1, output: 1, cached: 0, cost: 0 });
    const types = events.map((e) => e.type);
    for (const t of ["agent.user_message", "agent.session_start", "agent.tool_call", "agent.tool_result", "agent.assistant_message", "agent.token_usage", "agent.turn_complete", "agent.session_end"]) {
      expect(types).toContain(t);
    }
    expect(events.find((e) => e.type === "agent.tool_call")!.data["tool_name"]).toBe("ls");
    expect(events.find((e) => e.type === "agent.user_message")!.data["text"]).toBe("list the files");
    // seq strictly increasing per shell
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("@claude routes to the claude engine; /agent shows the engines", async () => {
    const env = makeEnv();
    const s = await share(env);
    const w = await viewer(s.links.participant);
    w.say("@claude hi there");
    const final = await waitHost(w, (c) => c.text.startsWith("done · claude"), "claude answer");
    expect(final.text).toContain("echo: hi there");
    expect(logged(env)[0]!.engine).toBe("claude");
    w.say("/agent");
    const info = await waitHost(w, (c) => c.text.startsWith("engine: `codex`"), "/agent reply");
    expect(info.text).toContain("available: `claude, codex, opencode, pi`");
  });

  it("a reader's message is refused and starts nothing; the owner may still run", async () => {
    const env = makeEnv();
    const s = await share(env, { enableReaders: true });
    const r = await viewer(s.links.participant, { name: "rita", writeProtected: true });
    r.say("@codex delete everything");
    const refusal = await waitHost(r, (c) => c.text.includes("readers cannot start agent runs"), "refusal");
    expect(refusal.text).toContain("@rita");
    await new Promise((res) => setTimeout(res, 300));
    expect(logged(env)).toHaveLength(0);
    const admin = await viewer(s.links.admin, { name: "owner" });
    admin.say("@codex now you");
    await waitHost(admin, (c) => c.text.startsWith("done · codex"), "owner's run");
    expect(logged(env)).toHaveLength(1);
  });

  it("--agents-owner-only refuses writers", async () => {
    const env = makeEnv();
    const s = await share(env, { ownerOnly: true });
    const w = await viewer(s.links.participant, { name: "will" });
    await waitHost(w, (c) => c.text.startsWith("agents are on") && c.text.includes("Only the session owner may start runs."), "owner-only notice");
    w.say("@codex go");
    await waitHost(w, (c) => c.text.includes("only the session owner"), "owner-only refusal");
    expect(logged(env)).toHaveLength(0);
  });

  it("/cancel mid-run: the progress message shows cancelled and no process of the group survives", async () => {
    const env = makeEnv();
    const s = await share(env);
    const w = await viewer(s.links.participant);
    w.say("@codex please hang");
    await w.waitFor(() => existsSync(env.pidFile) && readFileSync(env.pidFile, "utf8").includes(" "), "engine and grandchild started");
    const pids = readFileSync(env.pidFile, "utf8").split(" ").map(Number);
    expect(pids.every(alive)).toBe(true);
    const progress = await waitHost(w, (c) => c.history[0]!.startsWith("starting · codex"), "progress message");
    w.say("/cancel");
    await w.waitFor(() => w.hostChat().find((c) => c.id === progress.id)!.text.startsWith("`cancelled` · codex"), "cancelled render");
    await eventually(() => pids.every(dead), 5000);
    expect(pids.map(dead)).toEqual([true, true]);
    let events = await w.agentEvents();
    for (let i = 0; i < 60 && !events.some((e) => e.data["status"] === "stopped"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = await w.agentEvents();
    }
    expect(events.filter((e) => e.type === "agent_status").at(-1)!.data["status"]).toBe("stopped");
    expect(events.map((e) => e.type)).toContain("agent.interrupt");
    w.say("/cancel");
    await waitHost(w, (c) => c.text === "nothing is currently running.", "nothing running");
  });
});

describe("taiku --agents: agents started by hand in a shell", () => {
  for (const engine of ["claude", "codex", "pi"] as const) {
    it(`a hand-started ${engine} in shell 1 is detected and its transcript events reach the viewer`, async () => {
      const env = makeEnv();
      fakeInteractiveCli(engine, env.bin); // first on the shell's PATH
      const s = await share(env, { detect: true });
      const w = await viewer(s.links.participant);
      w.subscribe(1);
      await w.type(1, `${engine}\n`);
      const statusOf = async (status: string) => {
        for (let i = 0; i < 300; i++) {
          const evs = await w.agentEvents();
          if (evs.some((e) => e.type === "agent_status" && e.data["agentType"] === engine && e.data["status"] === status)) return evs;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`no ${status} status for ${engine}; got ${JSON.stringify((await w.agentEvents()).map((e) => [e.type, e.data["status"]]))}`);
      };
      let events = await statusOf("idle"); // the transcript's turn ended
      expect(w.badAgentFrames).toBe(0);
      expect(events.every((e) => e.shellId === 1)).toBe(true);
      const user = events.find((e) => e.type === "agent.user_message")!;
      expect(user.data).toMatchObject({ agent: engine, text: "fix the bug" });
      expect(events.find((e) => e.type === "agent.tool_call")!.data["tool_name"]).toBe("ls");
      expect(events.find((e) => e.type === "agent.assistant_message")!.data["text"]).toBe("fixed it");
      const usage = events.find((e) => e.type === "agent.token_usage");
      expect(usage?.data).toMatchObject({ input: 20, output: 5, cached: 3 });
      const sessionId = events.filter((e) => e.type === "agent_status").at(-1)!.data["sessionId"];
      expect(typeof sessionId).toBe("string");
      expect(s.agents!.detector!.agents()[0]).toMatchObject({ shellId: 1, agent: engine });

      await w.type(1, "q\n"); // the person quits the agent
      events = await statusOf("done");
      expect(events.map((e) => e.type)).toContain("agent.session_end");
      await w.waitFor(() => s.agents!.detector!.agents().length === 0, "agent no longer tracked");
    });
  }
});

describe("transcript translators (shapes the real CLIs write)", () => {
  it("claude 2.x: per-block entries with stop_reason null; the turn ends at system/turn_duration", () => {
    const t = new TranscriptTranslator("claude", "/w", "/w/s.jsonl");
    const base = { sessionId: "s-1", cwd: "/w", version: "2.1.197" };
    const msg = (text: string) => ({ ...base, type: "assistant", message: { id: "msg_9", role: "assistant", model: "claude-opus-4-8", content: [{ type: "text", text }], stop_reason: null, usage: { input_tokens: 7, output_tokens: 1 } } });
    expect(t.line(JSON.stringify({ ...base, type: "user", message: { role: "user", content: "hi" } })).user).toBe("hi");
    expect(t.line(JSON.stringify(msg("done: hi"))).turnEnd).toBeUndefined();
    const end = t.line(JSON.stringify({ ...base, type: "system", subtype: "turn_duration", durationMs: 10 }));
    expect(end.turnEnd).toBe(true);
    expect(end.events).toMatchObject([{ type: "completed", ok: true, answer: "done: hi", resume: { engine: "claude", value: "s-1" } }]);
    // a second marker without a new assistant entry is not a second answer
    expect(t.line(JSON.stringify({ ...base, type: "system", subtype: "turn_duration", durationMs: 10 })).events).toEqual([]);
  });

  it("pi: a turn the user interrupts (stopReason aborted) or that hits the length cap still ends", () => {
    for (const stopReason of ["aborted", "length"]) {
      const t = new TranscriptTranslator("pi", "/w", "/w/s.jsonl");
      t.line(JSON.stringify({ type: "session", version: 3, id: "01a1fd1f-0000-7000-8000-000000000000", cwd: "/w" }));
      const r = t.line(JSON.stringify({ type: "message", id: "m2", message: { role: "assistant", content: [{ type: "text", text: "partial" }], stopReason, ...(stopReason === "aborted" ? { errorMessage: "Request was aborted" } : {}) } }));
      expect(r.turnEnd).toBe(true);
      expect(r.events.at(-1)).toMatchObject({ type: "completed" });
    }
  });
});

describe("agent telemetry", () => {
  it("clips a tool call's title (a whole command line) like the other texts, so the event fits one sealed frame", () => {
    const events: AgentWireEvent[] = [];
    const t = new AgentRunTelemetry((_shellId, ev) => void events.push(ev), 1, "codex");
    const title = `cat > big.txt <<'EOF'\n${"x".repeat(100_000)}\nEOF`;
    t.event({ type: "action", engine: "codex", phase: "started", action: { id: "a1", kind: "command", title, detail: {} }, ok: null, message: null, level: null });
    const call = events.find((e) => e.type === "agent.tool_call")!;
    expect((call.data["tool_name"] as string).length).toBeLessThanOrEqual(4000);
    expect(call.data["tool_name"]).toMatch(/^cat > big\.txt/);
  });
});
