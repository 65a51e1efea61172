/**
 * The share against the real server (@taiku/server startServer): the embedded path, a second shell,
 * link loss + resume without loss through a TCP proxy, and bounded memory under a large `cat`.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@taiku/server";
import { aad, deriveSessionKeys, fromUtf8, openFrame, parseFragment } from "@taiku/crypto";
import { startShare, type ShareHandle } from "../src/index.js";
import { joinAsViewer, type TestViewer } from "./helpers/viewer.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";
import { useCleanups } from "./helpers/cleanups.js";

const cleanups = useCleanups();
const home = () => cleanups.tempDir("taiku-home-");

function track<T extends ShareHandle | TestViewer | RunningServer | TcpProxy>(x: T): T {
  cleanups.push(() => ("session" in x ? x.close() : "badFrames" in x ? x.close() : (x as RunningServer | TcpProxy).close()));
  return x;
}

const shellEnv = { ...process.env, PS1: "$ " };

describe("share with the real server", () => {
  it("starts the embedded server, prints links with a sign-in code, and relays a shell", async () => {
    const share = track(await startShare({ shell: "/bin/sh", env: shellEnv, embedded: { home: await home(), port: 0 } }));
    expect(share.embedded).toBeDefined();
    expect(share.links.participant).toMatch(new RegExp(`/s/${share.sessionId}#[0-9A-Za-z]{14}$`));
    expect(share.links.adminSignIn).toMatch(new RegExp(`/s/${share.sessionId}\\?signin=[^#]+#[0-9A-Za-z]+,[0-9A-Za-z]+,[0-9A-Za-z]+$`));
    const viewer = track(await joinAsViewer(share.links.participant));
    viewer.subscribe(1);
    const marker = `hello-${randomBytes(6).toString("hex")}`;
    await viewer.type(1, `echo ${marker}\n`);
    await viewer.waitFor(() => viewer.text(1).split(marker).length >= 3, "echoed marker");
    expect(viewer.badFrames).toBe(0);
  });

  it("spawns a second shell when a viewer creates one", async () => {
    const share = track(await startShare({ shell: "/bin/sh", env: shellEnv, embedded: { home: await home(), port: 0 } }));
    const viewer = track(await joinAsViewer(share.links.participant));
    viewer.create(30, 90);
    await viewer.waitFor(() => share.session.shellIds().includes(2), "shell 2");
    viewer.subscribe(2);
    await viewer.type(2, "echo shell=$TAIKU_SHELL_ID cols=$(stty size)\n");
    await viewer.waitFor(() => viewer.text(2).includes("shell=2 cols=30 90"), "shell 2 output at 30x90");
  });

  it("rotates links when an admin asks: rekey, new links, old links refused, output continues", async () => {
    const share = track(await startShare({ shell: "/bin/sh", env: shellEnv, embedded: { home: await home(), port: 0 } }));
    const before = share.links;
    const admin = track(await joinAsViewer(before.admin));
    const rotated = new Promise((r) => share.session.once("links", r));
    admin.send({ t: "rotateLinks" });
    await rotated;
    expect(share.links.participant).not.toBe(before.participant);
    await admin.waitFor(() => admin.messages.some((m) => m.t === "linksRotated"), "linksRotated at the admin");
    // The notice carries the new admin fragment, sealed with the old admin-notice key.
    const notice = admin.messages.find((m) => m.t === "linksRotated") as { frame: { n: Uint8Array; c: Uint8Array } };
    const oldKeys = await deriveSessionKeys(share.sessionId, parseFragment(before.admin.split("#")[1]!)!);
    const opened = await openFrame(oldKeys.adminNotice!, notice.frame, aad.adminNotice(share.sessionId, 0));
    expect(opened && fromUtf8(opened)).toBe(share.links.admin.split("#")[1]);
    await expect(joinAsViewer(before.participant)).rejects.toThrow(/invalid/);
    const viewer = track(await joinAsViewer(share.links.participant));
    viewer.subscribe(1);
    await viewer.type(1, "echo after-rotation-$((5*5))\n");
    await viewer.waitFor(() => viewer.text(1).includes("after-rotation-25"), "output under the new keys");
  });

  it("resumes after link loss without losing or duplicating a byte", async () => {
    const server = track(await startServer({ home: await home(), host: "127.0.0.1", port: 0, logLevel: "silent" }));
    const proxy = track(await startTcpProxy(server.port));
    const share = track(
      await startShare({ server: proxy.url, token: server.ownerToken, shell: "/bin/sh", env: shellEnv, limits: { reconnectInitialMs: 20, reconnectMaxMs: 100 } }),
    );
    const viewer = track(await joinAsViewer(share.links.participant));
    viewer.subscribe(1);
    const N = 20000;
    await viewer.type(1, `i=0; while [ $i -lt ${N} ]; do echo "line-$i"; i=$((i+1)); done; echo "END""MARK"\n`);
    let cuts = 0;
    let ups = 0;
    share.session.on("linkUp", () => ups++);
    const cutter = setInterval(() => {
      if (cuts < 4) {
        proxy.cutAll();
        cuts++;
      }
    }, 60);
    try {
      await viewer.waitFor(() => viewer.text(1).includes("ENDMARK"), "end of output", 60_000);
    } finally {
      clearInterval(cutter);
    }
    expect(cuts).toBeGreaterThan(0);
    expect(ups).toBeGreaterThan(0);
    const seqs = viewer.seqs(1);
    const gaps = seqs.flatMap((s, i) => (i > 0 && s !== seqs[i - 1]! + 1 ? [`${seqs[i - 1]}->${s}`] : []));
    console.log("gaps", gaps, seqs.length); // contiguous, no duplicates
    const lines = viewer.text(1).split(/\r?\n/).filter((l) => /^line-\d+$/.test(l));
    expect(lines).toHaveLength(N);
    lines.forEach((l, i) => expect(l).toBe(`line-${i}`));
    expect(viewer.badFrames).toBe(0);
  });

  it("pauses the PTY while the link is backed up during a large cat, then delivers the rest", async () => {
    const server = track(await startServer({ home: await home(), host: "127.0.0.1", port: 0, logLevel: "silent" }));
    const proxy = track(await startTcpProxy(server.port));
    const share = track(await startShare({ server: proxy.url, token: server.ownerToken, shell: "/bin/sh", env: shellEnv }));
    const viewer = track(await joinAsViewer(share.links.participant));
    viewer.subscribe(1);
    await viewer.type(1, "stty -echo\n");
    await new Promise((r) => setTimeout(r, 200));
    const total = 32 * 1024 * 1024;
    proxy.holdClients(true);
    await viewer.type(1, `head -c ${total} /dev/zero; echo; echo "CAT""DONE"\n`);
    let peakQueued = 0;
    let pausedSeen = false;
    const sample = () => {
      const st = share.session.stats();
      peakQueued = Math.max(peakQueued, st.bufferedAmount);
      pausedSeen ||= st.pausedShells.includes(1);
    };
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 50));
      sample();
    }
    // Held: the PTY is paused and the socket queue stays near the 4 MiB high-water mark.
    expect(pausedSeen).toBe(true);
    expect(peakQueued).toBeLessThan(5 * 1024 * 1024);
    proxy.holdClients(false);
    const sampler = setInterval(sample, 50);
    try {
      await viewer.waitFor(() => viewer.text(1).includes("CATDONE"), "end of cat", 120_000);
    } finally {
      clearInterval(sampler);
    }
    const received = viewer.output(1).filter((b) => b === 0).length;
    const seqs = viewer.seqs(1);
    const gaps = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1]! + 1).length;
    // Figures, not assertions: the relay's 2 MiB ring may trim part of the burst released at once.
    console.log(`flow: cat ${total >> 20} MiB; peak link queue ${(peakQueued / 1048576).toFixed(1)} MiB; viewer got ${(received / 1048576).toFixed(1)} MiB in ${seqs.length} frames, ${gaps} gaps`);
    expect(peakQueued).toBeLessThan(5 * 1024 * 1024);
  }, 180_000);
});

describe("agent events against the real server", () => {
  it("does not send an agent event the server would refuse as malformed (sealed frame over 64 KiB)", async () => {
    const share = track(await startShare({ shell: "/bin/sh", env: shellEnv, embedded: { home: await home(), port: 0 } }));
    const warnings: string[] = [];
    share.session.on("warn", (m: string) => warnings.push(m));
    const viewer = track(await joinAsViewer(share.links.participant));
    // A command title is the whole command line: a heredoc can make it far longer than one frame.
    expect(share.session.sendAgentEvent(1, { type: "agent.tool_call", data: { tool_name: "x".repeat(70 * 1024), kind: "command" } })).toBe(false);
    expect(share.session.sendAgentEvent(1, { type: "agent.tool_call", data: { tool_name: "ls", kind: "command" } })).toBe(true);
    await viewer.waitFor(() => viewer.messages.some((m) => m.t === "agent"), "the small agent event at the viewer");
    expect(warnings).toEqual([]);
  });
});

describe("host chat against the real server", () => {
  it("reports an edit of a message the server's chat ring no longer holds as not done (the agents then post anew)", async () => {
    const share = track(await startShare({ shell: "/bin/sh", env: shellEnv, embedded: { home: await home(), port: 0 } }));
    const warnings: string[] = [];
    share.session.on("warn", (m: string) => warnings.push(m));
    const progress = await share.session.postChat("agent", "starting…");
    expect(share.session.editChat(progress, "working…")).toBe(true);
    // The server keeps the last 100 messages (LIMITS.chatRing): 100 more push the progress message out.
    let latest = progress;
    for (let i = 0; i < 100; i++) latest = await share.session.postChat("agent", `busy ${i}`);
    expect(share.session.editChat(progress, "done: the answer")).toBe(false);
    expect(share.session.editChat(latest, "still held")).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(warnings).toEqual([]);
  });
});
