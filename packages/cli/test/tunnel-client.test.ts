/** TunnelClient (tunnel-client.ts) against a local node:http server: chunking, refusals, cancel, link loss. */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TUNNEL_CHUNK_BYTES, type CliUpMsg } from "@taiku/protocol";
import { TunnelClient } from "../src/tunnel-client.js";

type Res = CliUpMsg<"tunnelResponse">;
const EMPTY = new Uint8Array(0);
const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

/** `/big` answers 200 KB, `/huge` 4 MB; `/hang` never answers (its request is reported). */
async function local(): Promise<{ port: number; hung: Promise<IncomingMessage> }> {
  let hungResolve!: (r: IncomingMessage) => void;
  const hung = new Promise<IncomingMessage>((r) => (hungResolve = r));
  const server = createServer((req, res) => {
    if (req.url === "/hang") return hungResolve(req);
    res.end(Buffer.alloc(req.url === "/huge" ? 4_000_000 : 200_000, 7));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => server.close());
  closers.push(() => server.closeAllConnections());
  return { port: (server.address() as AddressInfo).port, hung };
}

const req = (requestId: number, port: number, path: string, over: Record<string, unknown> = {}) =>
  ({ t: "tunnelRequest" as const, requestId, port, method: "GET", path, headers: [], bodyChunk: EMPTY, end: true, ...over });

/** The body bytes sent for `requestId`, and whether its last message ended it. */
const answer = (sent: Res[], requestId: number) => {
  const mine = sent.filter((m) => m.requestId === requestId);
  return { bytes: mine.reduce((n, m) => n + m.bodyChunk.byteLength, 0), ended: mine.at(-1)?.end === true, status: mine[0]?.status };
};

async function until(pred: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("TunnelClient", () => {
  it("streams the answer in ≤ 64 KiB chunks with end on the last", async () => {
    const { port } = await local();
    const sent: Res[] = [];
    const client = new TunnelClient({ ports: [port], send: (m) => (sent.push(m), true) });
    client.handle(req(1, port, "/big"));
    await until(() => sent.at(-1)?.end === true);
    expect(sent[0]).toMatchObject({ requestId: 1, status: 200, end: false, error: "" });
    expect(sent.every((m) => m.bodyChunk.byteLength <= TUNNEL_CHUNK_BYTES)).toBe(true);
    expect(sent.reduce((n, m) => n + m.bodyChunk.byteLength, 0)).toBe(200_000);
    expect(sent.filter((m) => m.end)).toHaveLength(1);
    // The finished exchange is forgotten: the same requestId is a new request, not a body chunk of the old one.
    sent.length = 0;
    client.handle(req(1, port, "/big"));
    await until(() => answer(sent, 1).ended);
    expect(answer(sent, 1)).toEqual({ bytes: 200_000, ended: true, status: 200 });
  });

  it("refuses unannounced ports and bad methods, and reports a refused connection as an error", async () => {
    const sent: Res[] = [];
    const client = new TunnelClient({ ports: [1], send: (m) => (sent.push(m), true) });
    client.handle(req(1, 2, "/"));
    client.handle(req(2, 1, "/", { method: "GET /x" }));
    client.handle(req(3, 1, "/"));
    await until(() => sent.length === 3);
    expect(sent.map((m) => [m.requestId, m.end, m.error.split(" ").slice(0, 3).join(" ")])).toEqual([
      [1, true, "port 2 is"], [2, true, "invalid request method"], [3, true, "connection refused by"],
    ]);
  });

  it("aborts the local request on cancel and on link loss, sending nothing more", async () => {
    const a = await local();
    const sent: Res[] = [];
    const client = new TunnelClient({ ports: [a.port], send: (m) => (sent.push(m), true) });
    client.handle(req(1, a.port, "/hang"));
    const hung = await a.hung;
    const closed = new Promise((r) => hung.socket.once("close", r));
    client.handle(req(1, a.port, "", { method: "", cancel: true }));
    await closed;
    const b = await local();
    const client2 = new TunnelClient({ ports: [b.port], send: (m) => (sent.push(m), true) });
    client2.handle(req(2, b.port, "/hang"));
    const hung2 = await b.hung;
    const closed2 = new Promise((r) => hung2.socket.once("close", r));
    client2.abortAll();
    await closed2;
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([]);
    // Both exchanges are forgotten: their requestIds start new requests.
    client.handle(req(1, a.port, "/big"));
    client2.handle(req(2, b.port, "/big"));
    await until(() => answer(sent, 1).ended && answer(sent, 2).ended);
    expect([answer(sent, 1), answer(sent, 2)]).toEqual([
      { bytes: 200_000, ended: true, status: 200 }, { bytes: 200_000, ended: true, status: 200 },
    ]);
  });

  it("holds a response body while the link is backed up, resumes once it drains, and stops waiting on cancel", async () => {
    const { port } = await local();
    const sent: Res[] = [];
    let queued = 10_000_000;
    let polls = 0;
    const pending = () => (polls++, queued);
    const client = new TunnelClient({ ports: [port], send: (m) => (sent.push(m), true), pending, highWater: 1_000_000 });
    client.handle(req(1, port, "/huge"));
    await until(() => answer(sent, 1).bytes > 0);
    await new Promise((r) => setTimeout(r, 100));
    const held = answer(sent, 1);
    expect(held.ended).toBe(false);
    expect(held.bytes).toBeLessThan(4_000_000);
    expect(polls).toBeGreaterThan(5); // checked every few ms
    queued = 0;
    await until(() => answer(sent, 1).ended);
    expect(answer(sent, 1)).toEqual({ bytes: 4_000_000, ended: true, status: 200 });

    queued = 10_000_000;
    client.handle(req(2, port, "/huge"));
    await until(() => answer(sent, 2).bytes > 0);
    const before = polls;
    client.handle(req(2, port, "", { method: "", cancel: true }));
    await new Promise((r) => setTimeout(r, 100));
    expect(polls).toBe(before); // the link is not polled again for a cancelled exchange
    expect(answer(sent, 2).ended).toBe(false);
  });
});
