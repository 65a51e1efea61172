import { describe, expect, it } from "vitest";
import { aad, deriveSessionKeys, openFrame, sealFrame, utf8, fromUtf8, randomBase62 } from "@taiku/crypto";
import { createdShell, fakeFrame, join, KDF, MemorySnapshots, openSession, relaysClosedAfterEach, resumeCli, sleep, waitFor, type Msg } from "./harness.js";

const start = relaysClosedAfterEach();

describe("snapshots and restore", () => {
  it("snapshot on close → a new relay restores: browsers replay, CLI resumes with sync, state survives", async () => {
    const snapshots = new MemorySnapshots();
    const h1 = await start({ snapshots });
    h1.accounts.apiKeys.set("tk", { id: "acct", name: "Owner" });
    const host = await openSession(h1, { apiKey: "tk" });
    const w = await join(h1, host, "writer", { name: "Wes" });
    w.b.send({ t: "create", requestId: 1, rows: 20, cols: 70 });
    const cs = await host.cli.next("createShell");
    host.cli.send({ t: "createdShell", shellId: 1, rows: 20, cols: 70, requestId: cs.requestId });
    const token = (await w.b.next("ownershipToken")).token;
    for (let seq = 0; seq < 5; seq++) host.cli.send({ t: "data", shellId: 1, seq, frame: fakeFrame(50, seq) });
    w.b.send({ t: "chat", message: "before restart" });
    w.b.send({ t: "pluginKvSet", pluginId: "p", key: "k", value: [1, 2] });
    await w.b.next("pluginKvDiff");
    await h1.relay.close();
    expect(snapshots.data.get(host.sessionId)?.owner).toBe("acct");
    expect((await w.b.closed).code).toBe(1012);

    const h2 = await start({ snapshots, limits: { cliGraceMs: 10_000 } });
    await h2.relay.restore();
    expect(h2.relay.sessionOwner(host.sessionId)).toBe("acct");
    expect(h2.relay.listSessions("acct")[0]).toMatchObject({ cliConnected: false, shells: 1 });
    const b = await join(h2, host, "writer");
    expect(b.userId).toBeGreaterThan(w.userId); // user ids are never reused within a session
    const status = b.b.log.find((m) => m.t === "cliStatus")!;
    expect(status.connected).toBe(false);
    expect(status.expiresAt).toBeGreaterThan(Date.now() + 5000);
    expect(b.b.log.find((m) => m.t === "chatHistory")!.messages[0][2]).toBe("before restart");
    expect(b.b.log.find((m) => m.t === "pluginKv")).toMatchObject({ pluginId: "p", entries: { k: [1, 2] }, rev: 1 });
    expect(b.b.log.find((m) => m.t === "shells")!.shells[0]).toMatchObject({ id: 1, rows: 20, cols: 70 });
    b.b.send({ t: "claimShells", claims: [{ shellId: 1, token }] });
    const own = await b.b.next("ownership", (m) => m.owners[0].userId === b.userId);
    expect(own.owners[0].shellId).toBe(1);
    b.b.send({ t: "subscribe", shellId: 1, fromSeq: 2 });
    expect((await b.b.next("chunks")).frames.map((f: Msg) => f.seq)).toEqual([2, 3, 4]);

    const cli = await resumeCli(h2, host);
    expect(await cli.next("sync")).toEqual({ t: "sync", nextSeq: { "1": 5 } });
    expect((await b.b.next("cliStatus")).connected).toBe(true);
    cli.send({ t: "data", shellId: 1, seq: 5, frame: fakeFrame() });
    expect((await b.b.next("chunks")).frames.map((f: Msg) => f.seq)).toEqual([5]);
  });

  it("snapshots periodically (only changed sessions); a restored session without its CLI expires and is deleted", async () => {
    const snapshots = new MemorySnapshots();
    const h1 = await start({ snapshots, snapshotIntervalMs: 30 });
    const host = await openSession(h1);
    await waitFor(() => snapshots.data.has(host.sessionId));
    const saves = snapshots.saves;
    await sleep(150);
    expect(snapshots.saves).toBe(saves); // nothing changed → not saved again
    await createdShell(host, 1);
    await waitFor(() => snapshots.saves > saves);

    const h2 = await start({ snapshots, limits: { cliGraceMs: 300 } });
    await h2.relay.restore();
    expect(h2.relay.sessionOwner(host.sessionId)).toBeNull(); // restored (anonymous)
    expect(h2.relay.listSessions("x")).toEqual([]);
    await waitFor(() => h2.relay.sessionOwner(host.sessionId) === undefined);
    await waitFor(() => !snapshots.data.has(host.sessionId));
    expect(h2.logger.lines.some((l) => l.includes("CLI disconnected"))).toBe(true);
  });

  it("after a crash, user and chat ids continue past a gap: ids handed out since the last snapshot are not given out again", async () => {
    const snapshots = new MemorySnapshots();
    const h1 = await start({ snapshots });
    const host = await openSession(h1);
    const first = await join(h1, host, "writer");
    first.b.send({ t: "chat", message: "saved" });
    const saved = await first.b.next("chat");
    await h1.relay.close();

    // Restored, it hands out more ids, then dies before its next periodic snapshot: the last snapshot
    // written is the one its restore wrote back.
    const h2 = await start({ snapshots, limits: { cliGraceMs: 10_000 } });
    await h2.relay.restore();
    const lastSnapshot = snapshots.data.get(host.sessionId)!;
    const lost = await join(h2, host, "writer");
    lost.b.send({ t: "chat", message: "lost in the crash" });
    const lostChat = await lost.b.next("chat");
    expect([lost.userId, lostChat.id]).toEqual([expect.any(Number), expect.any(Number)]);

    const crashed = new MemorySnapshots();
    await crashed.save(host.sessionId, lastSnapshot.owner, lastSnapshot.snapshot);
    const h3 = await start({ snapshots: crashed, limits: { cliGraceMs: 10_000 } });
    await h3.relay.restore();
    const next = await join(h3, host, "writer");
    // A page still holding `lost.userId` would take the new page's chat as its own, and the CLI would drop
    // the new page's input as replays of the old one's counters.
    expect(next.userId).toBeGreaterThan(lost.userId);
    next.b.send({ t: "chat", message: "after the crash" });
    const nextChat = await next.b.next("chat");
    expect(nextChat.id).toBeGreaterThan(lostChat.id);
    expect(next.b.log.find((m) => m.t === "chatHistory")!.messages.map((m: Msg) => m[4])).toEqual([saved.id]);
  });

  it("skips unreadable snapshots", async () => {
    const snapshots = new MemorySnapshots();
    await snapshots.save("brokenSnap1", null, new Uint8Array([1, 2, 3]));
    const h = await start({ snapshots });
    await h.relay.restore();
    expect(h.relay.sessionOwner("brokenSnap1")).toBeUndefined();
    expect(h.logger.lines.some((l) => l.includes("unreadable snapshot"))).toBe(true);
  });
});

describe("ciphertext only", () => {
  it("a plaintext marker typed through real sealFrame never appears in snapshots or logs", async () => {
    const snapshots = new MemorySnapshots();
    const h = await start({ snapshots, snapshotIntervalMs: 20 });
    const host = await openSession(h);
    const marker = `MARKER-${randomBase62(24)}`;
    await createdShell(host, 1);
    const { b, userId } = await join(h, host, "writer");
    b.send({ t: "subscribe", shellId: 1, fromSeq: 0 });
    // Output: CLI → relay → browser.
    const out = await sealFrame(host.keys.enc, utf8(`$ echo ${marker}\r\n${marker}\r\n`), aad.output(host.sessionId, 1, 0));
    host.cli.send({ t: "data", shellId: 1, seq: 0, frame: out });
    host.cli.send({ t: "title", shellId: 1, version: 1, frame: await sealFrame(host.keys.enc, utf8(marker), aad.title(host.sessionId, 1, 1)) });
    host.cli.send({ t: "agent", shellId: 1, seq: 0, frame: await sealFrame(host.keys.enc, utf8(marker), aad.agent(host.sessionId, 1, 0)) });
    const browserKeys = await deriveSessionKeys(host.sessionId, { key: host.secrets.key }, KDF);
    const chunk = (await b.next("chunks")).frames[0];
    expect(fromUtf8((await openFrame(browserKeys.enc, chunk, aad.output(host.sessionId, 1, 0)))!)).toContain(marker);
    // Input: browser → relay → CLI (open session: input uses K_enc).
    const inp = await sealFrame(browserKeys.enc, utf8(`echo ${marker}\r`), aad.input(host.sessionId, 1, userId, 1));
    b.send({ t: "data", shellId: 1, counter: 1, frame: inp });
    const got = await host.cli.next("input");
    expect(fromUtf8((await openFrame(host.keys.enc, got.frame, aad.input(host.sessionId, 1, got.userId, got.counter)))!)).toContain(marker);
    await sleep(80);
    await h.relay.close();
    const needles = [marker, host.secrets.key, host.secrets.writeSecret, host.secrets.adminSecret].map((s) => Buffer.from(s));
    expect(snapshots.saves).toBeGreaterThan(0);
    for (const { snapshot } of snapshots.data.values()) for (const n of needles) expect(Buffer.from(snapshot).includes(n)).toBe(false);
    expect(h.logger.lines.length).toBeGreaterThan(0);
    for (const line of h.logger.lines) for (const n of needles) expect(line.includes(n.toString())).toBe(false);
  });
});
