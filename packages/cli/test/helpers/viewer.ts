/**
 * A minimal browser stand-in for tests: joins /api/s/:id with the link's fragment, authenticates
 * with proofs derived locally, subscribes to shells, decrypts output and types input.
 */
import WebSocket from "ws";
import { decodeCbor, encodeCbor, parseServerMessage, type ServerMessage } from "@taiku/protocol";
import { aad, deriveSessionKeys, inputKey, openFrame, parseFragment, proof, sealFrame, utf8, wsChallenge, type SessionKeys } from "@taiku/crypto";

export interface TestViewer {
  userId: number;
  /** Decrypted output per shell, as raw bytes concatenated in seq order. */
  output(shellId: number): Buffer;
  text(shellId: number): string;
  subscribe(shellId: number, fromSeq?: number): void;
  type(shellId: number, text: string): Promise<void>;
  create(rows?: number, cols?: number): void;
  /** Send any client message. */
  send(msg: Record<string, unknown>): void;
  messages: ServerMessage[];
  /** Count of frames that failed authentication. */
  badFrames: number;
  /** Frames applied per shell with their seq (to check order and uniqueness). */
  seqs(shellId: number): number[];
  waitFor(pred: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function joinAsViewer(link: string, opts: { name?: string; writeProtected?: boolean } = {}): Promise<TestViewer> {
  const url = new URL(link);
  const sessionId = url.pathname.split("/").pop()!;
  const secrets = parseFragment(url.hash);
  if (!secrets) throw new Error(`bad fragment in ${link}`);
  const keys: SessionKeys = await deriveSessionKeys(sessionId, secrets);
  const ws = new WebSocket(`${url.protocol === "https:" ? "wss" : "ws"}://${url.host}/api/s/${sessionId}`);
  const chunks = new Map<number, Buffer[]>();
  const seqs = new Map<number, number[]>();
  const lastSeq = new Map<number, number>();
  const messages: ServerMessage[] = [];
  let counter = 0;
  let userId = 0;
  const viewer: TestViewer = {
    userId: 0,
    badFrames: 0,
    messages,
    output: (id) => Buffer.concat(chunks.get(id) ?? []),
    text: (id) => Buffer.concat(chunks.get(id) ?? []).toString("utf8"),
    seqs: (id) => seqs.get(id) ?? [],
    subscribe: (shellId, fromSeq = 0) => ws.send(encodeCbor({ t: "subscribe", shellId, fromSeq })),
    send: (msg) => ws.send(encodeCbor(msg)),
    create: (rows = 24, cols = 80) => ws.send(encodeCbor({ t: "create", requestId: 1, rows, cols })),
    async type(shellId, text) {
      const c = ++counter;
      const key = inputKey(keys, opts.writeProtected ?? false)!;
      const frame = await sealFrame(key, utf8(text), aad.input(sessionId, shellId, userId, c));
      ws.send(encodeCbor({ t: "data", shellId, counter: c, frame }));
    },
    async waitFor(pred, what, timeoutMs = 15_000) {
      const start = Date.now();
      while (!pred()) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => ws.close(),
  };
  // Decrypt in arrival order: one chain, so output stays in seq order.
  let chain = Promise.resolve();
  const authed = new Promise<void>((resolve, reject) => {
    ws.on("message", (data: Buffer) => {
      const parsed = parseServerMessage(decodeCbor(data));
      if (!parsed.ok) return;
      const m = parsed.message;
      messages.push(m);
      if (m.t === "hello") {
        userId = m.userId;
        viewer.userId = m.userId;
        void (async () => {
          const challenge = wsChallenge(m.challenge, m.userId);
          const msg: Record<string, unknown> = { t: "authenticate", viewProof: await proof(keys.viewVerifier, "ws", sessionId, challenge), name: opts.name ?? "tester", device: "Web" };
          if (keys.writeVerifier) msg.writeProof = await proof(keys.writeVerifier, "ws", sessionId, challenge);
          if (keys.adminVerifier) msg.adminProof = await proof(keys.adminVerifier, "ws", sessionId, challenge);
          ws.send(encodeCbor(msg));
        })();
      } else if (m.t === "authOk") resolve();
      else if (m.t === "invalidAuth") reject(new Error(`invalidAuth: ${m.reason}`));
      else if (m.t === "chunks") {
        const frames = m.frames;
        chain = chain.then(async () => {
          for (const f of frames) {
            if (f.seq <= (lastSeq.get(m.shellId) ?? -1)) continue;
            const plain = await openFrame(keys.enc, { n: f.n, c: f.c }, aad.output(sessionId, m.shellId, f.seq));
            if (!plain) {
              viewer.badFrames++;
              continue;
            }
            lastSeq.set(m.shellId, f.seq);
            if (!chunks.has(m.shellId)) chunks.set(m.shellId, []);
            chunks.get(m.shellId)!.push(Buffer.from(plain));
            if (!seqs.has(m.shellId)) seqs.set(m.shellId, []);
            seqs.get(m.shellId)!.push(f.seq);
          }
          // Like the web app's xterm write callback: acknowledge what was applied (flow control).
          const last = lastSeq.get(m.shellId);
          if (last !== undefined && ws.readyState === ws.OPEN) ws.send(encodeCbor({ t: "ack", shellId: m.shellId, seq: last }));
        });
      }
    });
    ws.on("error", reject);
    ws.on("close", (code) => reject(new Error(`viewer socket closed (${code})`)));
  });
  await authed;
  return viewer;
}


