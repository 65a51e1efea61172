/** TunnelBroker (relay/tunnels.ts) against a recording link and sink: chunking, limits, failures. */
import { describe, expect, it } from "vitest";
import { TUNNEL_CHUNK_BYTES, type CliDownMsg } from "@taiku/protocol";
import { TUNNEL_DEFAULTS, TunnelBroker, type TunnelLimits } from "../../src/relay/tunnels.js";
import type { TunnelCall, TunnelFailureKind, TunnelSink } from "../../src/seams.js";
import { sleep, waitFor } from "./harness.js";

type Sent = CliDownMsg<"tunnelRequest">;
const EMPTY = new Uint8Array(0);

function setup(limits: Partial<TunnelLimits> = {}, ports = [3000]) {
  const sent: Sent[] = [];
  let connected = true;
  const broker = new TunnelBroker({ connected: () => connected, send: (m) => void sent.push(m) }, ports, () => ({ ...TUNNEL_DEFAULTS, ...limits }));
  return { broker, sent, disconnect: () => void (connected = false) };
}

function recorder(waiting = () => 0) {
  const r = {
    head: null as null | { status: number; headers: Array<{ name: string; value: Uint8Array }> },
    chunks: [] as Uint8Array[],
    ended: false,
    failed: null as null | { kind: TunnelFailureKind; error: string },
  };
  const sink: TunnelSink = {
    head: (status, headers) => void (r.head = { status, headers }),
    data: (c) => (r.chunks.push(c), waiting()),
    end: () => void (r.ended = true),
    fail: (kind, error) => void (r.failed = { kind, error }),
  };
  return { r, sink };
}

const call = (over: Partial<TunnelCall> = {}): TunnelCall => ({ port: 3000, method: "GET", path: "/a?b=1", headers: [], body: null, ...over });
const answer = (requestId: number, over: Record<string, unknown> = {}) =>
  ({ t: "tunnelResponse" as const, requestId, status: 200, headers: [], bodyChunk: EMPTY, end: false, error: "", ...over });

async function* body(...parts: Uint8Array[]) {
  for (const p of parts) yield p;
}

describe("TunnelBroker", () => {
  it("refuses requests beyond tunnelMaxPending with busy, and takes new ones once one finishes", () => {
    const { broker } = setup({ tunnelMaxPending: 2 });
    const a = recorder();
    broker.request(call(), a.sink);
    broker.request(call(), recorder().sink);
    const third = recorder();
    broker.request(call(), third.sink);
    expect(third.r.failed).toEqual({ kind: "busy", error: "Too many tunnel requests in progress" });
    broker.onResponse(answer(1, { end: true }));
    const fourth = recorder();
    broker.request(call(), fourth.sink);
    expect(fourth.r.failed).toBeNull();
  });

  it("sends one message without a body, then streams the answer to the sink", async () => {
    const { broker, sent } = setup();
    const { r, sink } = recorder();
    broker.request(call({ headers: [{ name: "Accept", value: new Uint8Array([42]) }] }), sink);
    expect(sent).toEqual([{ t: "tunnelRequest", requestId: 1, port: 3000, method: "GET", path: "/a?b=1", headers: [{ name: "Accept", value: new Uint8Array([42]) }], bodyChunk: EMPTY, end: true }]);
    broker.onResponse(answer(1, { status: 201, headers: [{ name: "X", value: new Uint8Array([1]) }] }));
    broker.onResponse(answer(1, { bodyChunk: new Uint8Array([1, 2]) }));
    broker.onResponse(answer(1, { bodyChunk: new Uint8Array([3]), end: true }));
    expect(r.head?.status).toBe(201);
    expect(Buffer.concat(r.chunks)).toEqual(Buffer.from([1, 2, 3]));
    expect([r.ended, r.failed, broker.inFlight]).toEqual([true, null, 0]);
    broker.onResponse(answer(1, { bodyChunk: new Uint8Array([9]) })); // late: ignored
    expect(r.chunks).toHaveLength(2);
  });

  it("splits the request body into ≤ 64 KiB chunks with end on the last", async () => {
    const { broker, sent } = setup();
    const big = new Uint8Array(150 * 1024).map((_, i) => i & 0xff);
    broker.request(call({ method: "POST", body: body(big.subarray(0, 100_000), big.subarray(100_000)) }), recorder().sink);
    await waitFor(() => sent.at(-1)?.end === true);
    expect(sent.every((m) => m.bodyChunk.byteLength <= TUNNEL_CHUNK_BYTES)).toBe(true);
    expect(sent[0]).toMatchObject({ method: "POST", path: "/a?b=1", end: false });
    expect(sent.slice(1).every((m) => m.method === "" && m.path === "" && m.requestId === 1)).toBe(true);
    expect(Buffer.concat(sent.map((m) => m.bodyChunk))).toEqual(Buffer.from(big));
    expect(sent.filter((m) => m.end)).toHaveLength(1);
  });

  it("refuses unannounced ports and a missing CLI without sending anything", () => {
    const { broker, sent, disconnect } = setup();
    const a = recorder();
    broker.request(call({ port: 8080 }), a.sink);
    expect(a.r.failed).toEqual({ kind: "notFound", error: "Tunnel not found" });
    disconnect();
    const b = recorder();
    broker.request(call(), b.sink);
    expect(b.r.failed).toEqual({ kind: "notConnected", error: "CLI not connected" });
    expect(sent).toEqual([]);
  });

  it("times out waiting for the head (504 text) and cancels on the CLI; a streaming answer has no deadline", async () => {
    const { broker, sent } = setup({ tunnelAnswerMs: 80 });
    const slow = recorder();
    broker.request(call(), slow.sink);
    await waitFor(() => slow.r.failed !== null);
    expect(slow.r.failed).toEqual({ kind: "timeout", error: "CLI did not respond" });
    expect(sent.at(-1)).toMatchObject({ requestId: 1, cancel: true });

    const streaming = recorder();
    broker.request(call(), streaming.sink);
    broker.onResponse(answer(2));
    await sleep(200);
    expect(streaming.r.failed).toBeNull();
    broker.onResponse(answer(2, { end: true }));
    expect(streaming.r.ended).toBe(true);
  });

  it("fails bodies over the limit with tooLarge and cancels", async () => {
    const { broker, sent } = setup({ tunnelBodyMaxBytes: 100_000 });
    const { r, sink } = recorder();
    broker.request(call({ method: "PUT", body: body(new Uint8Array(60_000), new Uint8Array(60_000)) }), sink);
    await waitFor(() => r.failed !== null);
    expect(r.failed?.kind).toBe("tooLarge");
    expect(sent.at(-1)).toMatchObject({ cancel: true, end: true });
    expect(sent.some((m) => m.end && !m.cancel)).toBe(false);
  });

  it("passes the CLI's error (before the head) and aborts after it", () => {
    const { broker } = setup();
    const a = recorder();
    broker.request(call(), a.sink);
    broker.onResponse(answer(1, { error: "connection refused by 127.0.0.1:3000", end: true }));
    expect(a.r.failed).toEqual({ kind: "cli", error: "connection refused by 127.0.0.1:3000" });
    const b = recorder();
    broker.request(call(), b.sink);
    broker.onResponse(answer(2, { status: 99 }));
    expect(b.r.failed?.kind).toBe("cli");
    expect(b.r.head).toBeNull();
  });

  it("fails everything pending on link loss and on session end", () => {
    const { broker, sent } = setup();
    const a = recorder();
    const b = recorder();
    broker.request(call(), a.sink);
    broker.request(call(), b.sink);
    broker.onResponse(answer(2));
    const before = sent.length;
    broker.failAll("CLI not connected");
    expect(a.r.failed).toEqual({ kind: "notConnected", error: "CLI not connected" });
    expect(b.r.failed?.kind).toBe("notConnected"); // after the head: the route aborts the response
    expect(sent.length).toBe(before); // nothing to tell a CLI that is gone
    const c = recorder();
    broker.request(call(), c.sink);
    broker.failAll("Session closed");
    expect(c.r.failed).toEqual({ kind: "closed", error: "Session closed" });
    expect(broker.inFlight).toBe(0);
  });

  it("aborts a response when more than tunnelBufferMaxBytes wait for a slow client", () => {
    const { broker, sent } = setup({ tunnelBufferMaxBytes: 100_000 });
    let waiting = 0;
    const { r, sink } = recorder(() => (waiting += 64 * 1024));
    broker.request(call(), sink);
    broker.onResponse(answer(1));
    broker.onResponse(answer(1, { bodyChunk: new Uint8Array(64 * 1024) }));
    expect(r.failed).toBeNull();
    broker.onResponse(answer(1, { bodyChunk: new Uint8Array(64 * 1024) }));
    expect(r.failed?.kind).toBe("overflow");
    expect(sent.at(-1)).toMatchObject({ requestId: 1, cancel: true });
  });

  it("cancel from the route tells the CLI once and silences the sink", () => {
    const { broker, sent } = setup();
    const { r, sink } = recorder();
    const ex = broker.request(call(), sink);
    ex.cancel();
    ex.cancel();
    expect(sent.filter((m) => m.cancel)).toHaveLength(1);
    broker.onResponse(answer(1));
    expect([r.head, r.failed]).toEqual([null, null]);
  });
});
