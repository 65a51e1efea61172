/** The share end to end with real node-pty shells, against the fake relay (test/helpers). */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startShare, type ShareHandle } from "../src/index.js";
import { startFakeRelay, type FakeRelay } from "./helpers/fake-relay.js";
import { joinAsViewer, type TestViewer } from "./helpers/viewer.js";

let relay: FakeRelay;
let share: ShareHandle | null = null;
const viewers: TestViewer[] = [];

beforeEach(async () => {
  relay = await startFakeRelay();
});
afterEach(async () => {
  for (const v of viewers.splice(0)) v.close();
  if (share) await share.close();
  share = null;
  await relay.close();
});

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const shareOpts = () => ({ server: relay.url, shell: "/bin/sh", dir: process.cwd(), env: { ...process.env, PS1: "$ " } });

describe("share through the relay", () => {
  it("opens a session, prints links, and relays typed input and output", async () => {
    share = await startShare({ ...shareOpts(), token: "tk_test" });
    expect(share.sessionId).toMatch(/^S/);
    expect(share.links.participant).toBe(`${relay.url}/s/${share.sessionId}#${share.links.participant.split("#")[1]}`);
    expect(share.links.admin.split("#")[1]!.split(",")).toHaveLength(3);
    // A token means the owner signs in by one-time code.
    expect(share.links.adminSignIn).toContain(`/s/${share.sessionId}?signin=onetime0123456789abcdef#`);
    expect(relay.tokens[0]).toBe("tk_test");
    await until(() => relay.cliMessages.length >= 3, "createdShell");
    expect(relay.cliMessages.slice(0, 3)).toEqual(["open", "hello", "createdShell"]);

    const viewer = await joinAsViewer(share.links.participant);
    viewers.push(viewer);
    viewer.subscribe(1);
    const marker = `hello-${randomBytes(6).toString("hex")}`;
    await viewer.type(1, `echo ${marker}\n`);
    await viewer.waitFor(() => viewer.text(1).split(marker).length >= 3, "echoed marker (command + output)");
    expect(viewer.badFrames).toBe(0);
  });

  it("sets TAIKU_SHELL_ID, TAIKU_SESSION_ID and TAIKU_SERVER inside shells and spawns a second shell on create", async () => {
    share = await startShare(shareOpts());
    const viewer = await joinAsViewer(share.links.participant);
    viewers.push(viewer);
    viewer.create(30, 100);
    await viewer.waitFor(() => share!.session.shellIds().includes(2), "shell 2");
    viewer.subscribe(2);
    await viewer.type(2, 'echo "id=$TAIKU_SHELL_ID sid=$TAIKU_SESSION_ID srv=$TAIKU_SERVER term=$TERM"\n');
    const want = `id=2 sid=${share.sessionId} srv=${relay.url} term=xterm-256color`;
    await viewer.waitFor(() => viewer.text(2).includes(want), "env line from shell 2");
    expect(relay.cliMessages).toContain("createdShell");
    // Without a token there is no sign-in code.
    expect(share.links.adminSignIn).toBe(share.links.admin);
  });

  it("rejects input whose counter does not increase and input sealed with the wrong key", async () => {
    share = await startShare(shareOpts());
    const warnings: string[] = [];
    share.session.on("warn", (m: string) => warnings.push(m));
    const viewer = await joinAsViewer(share.links.participant);
    viewers.push(viewer);
    viewer.subscribe(1);
    const { aad, sealFrame, utf8, deriveSessionKeys, generateLinkSecrets } = await import("@taiku/crypto");
    const wrong = await deriveSessionKeys(share.sessionId, generateLinkSecrets());
    const forged = await sealFrame(wrong.enc, utf8("echo FORGED-$((6*7))\n"), aad.input(share.sessionId, 1, viewer.userId, 5));
    relay.sendToCli(share.sessionId, { t: "input", shellId: 1, userId: viewer.userId, counter: 5, frame: forged });
    await viewer.type(1, "echo first-$((1+1))\n"); // counter 1
    await viewer.waitFor(() => viewer.text(1).includes("first-2"), "first command");
    // Replay counter 1 with a valid frame: must be discarded.
    const { parseFragment, inputKey } = await import("@taiku/crypto");
    const keys = await deriveSessionKeys(share.sessionId, parseFragment(share.links.participant.split("#")[1]!)!);
    const replay = await sealFrame(inputKey(keys, false)!, utf8("echo REPLAY-$((2*2))\n"), aad.input(share.sessionId, 1, viewer.userId, 1));
    relay.sendToCli(share.sessionId, { t: "input", shellId: 1, userId: viewer.userId, counter: 1, frame: replay });
    await viewer.type(1, "echo second-$((1+2))\n"); // counter 2
    await viewer.waitFor(() => viewer.text(1).includes("second-3"), "second command");
    expect(viewer.text(1)).not.toContain("FORGED-42");
    expect(viewer.text(1)).not.toContain("REPLAY-4");
    expect(warnings.some((w) => w.includes("failed authentication"))).toBe(true);
    expect(warnings.some((w) => w.includes("counter"))).toBe(true);
  });

  it("ends the session with close when the last shell exits", async () => {
    share = await startShare(shareOpts());
    const viewer = await joinAsViewer(share.links.participant);
    viewers.push(viewer);
    await viewer.type(1, "exit\n");
    const result = await share.done;
    expect(result).toEqual({ exitCode: 0, reason: "the last shell exited" });
    expect(relay.sessions.get(share.sessionId)!.closed).toBe(true);
    await until(() => relay.cliMessages.at(-1) === "close", "close at the relay");
    expect(relay.cliMessages.slice(-2)).toEqual(["closedShell", "close"]);
  });

  it("keeps shells running offline, pauses them when the resend buffer fills, and delivers everything after reconnect", async () => {
    share = await startShare({ ...shareOpts(), limits: { reconnectInitialMs: 20, reconnectMaxMs: 50 } });
    const viewer = await joinAsViewer(share.links.participant);
    viewers.push(viewer);
    viewer.subscribe(1);
    await viewer.type(1, `stty -echo; sleep 0.3; head -c 6291456 /dev/zero; echo; echo OFF""LINE-DONE\n`);
    await new Promise((r) => setTimeout(r, 100));
    relay.refuseCli(true);
    relay.dropCli(share.sessionId);
    await until(() => share!.session.stats().pausedShells.includes(1), "PTY paused on a full buffer");
    await new Promise((r) => setTimeout(r, 300)); // what was already crossing from the PTY thread lands too
    const st = share.session.stats();
    expect(st.linkUp).toBe(false);
    // The 2 MiB buffer plus the PTY thread's slack (pty-host.ts: at most 3 batches of 64 KiB) and their tags.
    expect(st.resendBytes).toBeLessThan(2 * 1024 * 1024 + 256 * 1024);
    relay.refuseCli(false);
    await viewer.waitFor(() => viewer.text(1).includes("OFFLINE-DONE"), "the rest of the output", 60_000);
    expect(viewer.output(1).filter((b) => b === 0).length).toBe(6291456);
    const seqs = viewer.seqs(1);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect([...relay.dataFrameKeys].sort()).toEqual(["c", "n"]); // re-sent frames carry the frame only
  }, 90_000);

  it("exits with status 4 when the server no longer knows the session on resume", async () => {
    share = await startShare({ ...shareOpts(), limits: { reconnectInitialMs: 20, reconnectMaxMs: 50 } });
    relay.sessions.get(share.sessionId)!.closed = true; // the server forgot it
    relay.dropCli(share.sessionId);
    const result = await share.done;
    expect(result.exitCode).toBe(4);
    expect(result.reason).toMatch(/Session not found/);
  });

  it("gives up with status 4 after the grace window without a link", async () => {
    share = await startShare({ ...shareOpts(), limits: { reconnectInitialMs: 20, reconnectMaxMs: 40, cliGraceMs: 300 } });
    relay.refuseCli(true);
    relay.dropCli(share.sessionId);
    const t0 = Date.now();
    const result = await share.done;
    expect(result.exitCode).toBe(4);
    expect(result.reason).toMatch(/grace window/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it("answers rotateLinks with rekey and new links; the old links stop working", async () => {
    share = await startShare(shareOpts());
    const before = share.links;
    const rotated = new Promise((r) => share!.session.once("links", r));
    relay.sendToCli(share.sessionId, { t: "rotateLinks", userId: 1 });
    await rotated;
    await until(() => relay.sessions.get(share!.sessionId)!.rekeys === 1, "rekey at the relay");
    expect(share.links.participant).not.toBe(before.participant);
    await expect(joinAsViewer(before.participant)).rejects.toThrow(/invalid key/);
    const viewer = await joinAsViewer(share.links.participant);
    viewers.push(viewer);
    viewer.subscribe(1);
    await viewer.type(1, "echo rotated-$((3+4))\n");
    await viewer.waitFor(() => viewer.text(1).includes("rotated-7"), "output under the new keys");
  });

  it("posts chat through chatSend and reports received chat to onChat listeners", async () => {
    share = await startShare(shareOpts());
    const got: string[] = [];
    share.session.onChat((m) => got.push(`${m.name}: ${m.message}`));
    await expect(share.session.postChat("agent", "working…")).resolves.toBe(77);
    relay.sendToCli(share.sessionId, { t: "chat", id: 78, userId: 2, name: "alice", role: "writer", message: "hi", ts: Date.now() });
    await new Promise((r) => setTimeout(r, 100));
    // The server echoes the host's own post as `chat` too (the agents skip role "host").
    expect(got).toEqual(["agent: working…", "alice: hi"]);
    expect(share.session.chat.all()).toHaveLength(2);
    expect(share.session.editChat(77, "done")).toBe(true);
    expect(share.session.editChat(1, "not a message the chat holds")).toBe(false);
  });
});
