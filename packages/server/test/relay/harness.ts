/** Test harness: the relay on a loopback node:http server, in-memory services, raw CBOR test clients. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { afterEach } from "vitest";
import { decodeCbor, encodeCbor, LIMITS, type Limits } from "@taiku/protocol";
import {
  deriveSessionKeys, generateLinkSecrets, proof, verifiersOf, wsChallenge, type FragmentSecrets, type LinkSecrets, type SessionKeys,
} from "@taiku/crypto";
import { createRelay } from "../../src/relay/index.js";
import type { Account, AccountResolver, Logger, Relay, RelayDeps, SessionSnapshotStore } from "../../src/seams.js";

export const KDF = { memorySize: 64 };

export class MemorySnapshots implements SessionSnapshotStore {
  readonly data = new Map<string, { owner: string | null; snapshot: Uint8Array }>();
  saves = 0;
  async save(sessionId: string, owner: string | null, snapshot: Uint8Array) {
    this.saves++;
    this.data.set(sessionId, { owner, snapshot: snapshot.slice() });
  }
  async loadAll() {
    return [...this.data].map(([sessionId, v]) => ({ sessionId, snapshot: v.snapshot }));
  }
  async delete(sessionId: string) {
    this.data.delete(sessionId);
  }
}

export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  private log = (level: string) => (obj: object, msg?: string) => {
    this.lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ""}`);
  };
  info = this.log("info");
  warn = this.log("warn");
  error = this.log("error");
  debug = this.log("debug");
}

export class FakeAccounts implements AccountResolver {
  readonly apiKeys = new Map<string, Account>();
  readonly cookies = new Map<string, Account>();
  async fromApiKey(k: string) {
    return this.apiKeys.get(k) ?? null;
  }
  async fromSessionCookie(c: string) {
    return this.cookies.get(c) ?? null;
  }
}

export interface Harness {
  url: string;
  relay: Relay;
  deps: RelayDeps;
  snapshots: MemorySnapshots;
  logger: MemoryLogger;
  accounts: FakeAccounts;
  clients: Array<{ ws: WebSocket }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  limits?: Partial<Limits> & Record<string, number>;
  viewerAuth?: boolean;
  snapshots?: MemorySnapshots;
  accounts?: FakeAccounts;
  snapshotIntervalMs?: number;
  now?: () => number;
}

export async function startRelay(opts: HarnessOptions = {}): Promise<Harness> {
  const snapshots = opts.snapshots ?? new MemorySnapshots();
  const logger = new MemoryLogger();
  const accounts = opts.accounts ?? new FakeAccounts();
  const deps: RelayDeps = {
    accounts, snapshots, logger,
    limits: { ...LIMITS, ...opts.limits } as Limits,
    publicUrl: "http://taiku.test",
    serverVersion: "test",
    viewerAuth: opts.viewerAuth ?? false,
    now: opts.now ?? Date.now,
    snapshotIntervalMs: opts.snapshotIntervalMs ?? 60_000,
  };
  const relay = createRelay(deps);
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => {
    if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const h: Harness = {
    url: `ws://127.0.0.1:${port}`, relay, deps, snapshots, logger, accounts, clients: [],
    async close() {
      for (const c of h.clients) c.ws.terminate();
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return h;
}

// ---------------------------------------------------------------- raw test clients

export type Msg = Record<string, any>;

export class TestClient {
  readonly ws: WebSocket;
  readonly log: Msg[] = [];
  private pending: Msg[] = [];
  private waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  isClosed = false;

  constructor(h: Harness, path: string, headers: Record<string, string> = {}, protocols?: string[]) {
    this.ws = new WebSocket(h.url + path, protocols, { headers });
    h.clients.push(this);
    this.ws.on("error", () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) =>
      this.ws.on("close", (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
      }),
    );
    this.ws.on("message", (data) => {
      const m = decodeCbor(data as Uint8Array) as Msg;
      this.log.push(m);
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.pending.push(m);
    });
  }

  send(m: Msg): void {
    this.ws.send(encodeCbor(m));
  }

  sendRaw(b: Uint8Array | string): void {
    this.ws.send(b);
  }

  /** Next message (not yet consumed) of type `t` (or any of several types) matching `pred`. */
  next(t: string | string[], pred: (m: Msg) => boolean = () => true, timeoutMs = 4000): Promise<Msg> {
    const types = Array.isArray(t) ? t : [t];
    const match = (m: Msg) => types.includes(m.t) && pred(m);
    const i = this.pending.findIndex(match);
    if (i >= 0) return Promise.resolve(this.pending.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = { pred: match, resolve: (m: Msg) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timeout waiting for ${t}; got ${this.log.map((m) => m.t).join(",")}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Pending (unconsumed) messages of a type, consumed. */
  drain(t: string): Msg[] {
    const out = this.pending.filter((m) => m.t === t);
    this.pending = this.pending.filter((m) => m.t !== t);
    return out;
  }

  /** Drop still-pending messages that arrived before `m` (e.g. the initial state before cliStatus). */
  discardBefore(m: Msg): void {
    const before = new Set(this.log.slice(0, this.log.indexOf(m)));
    this.pending = this.pending.filter((x) => !before.has(x));
  }

  has(t: string): boolean {
    return this.pending.some((m) => m.t === t);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `cond` holds (the box is shared: never assume a timer fired on time). */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
}

export interface HostSession {
  cli: TestClient;
  sessionId: string;
  token: string;
  secrets: LinkSecrets;
  keys: SessionKeys;
}

/** A fake CLI: open → opened → hello with real verifiers. */
export async function openSession(h: Harness, opts: { readersEnabled?: boolean; apiKey?: string; noViewerAuth?: boolean; tunnelPorts?: number[] } = {}): Promise<HostSession> {
  const cli = new TestClient(h, "/api/cli", opts.apiKey ? { "X-Taiku-Token": opts.apiKey } : {});
  await cli.opened;
  cli.send({
    t: "open", v: 1, cliVersion: "test", readersEnabled: opts.readersEnabled ?? false, noViewerAuth: opts.noViewerAuth ?? false,
    tunnelPorts: opts.tunnelPorts ?? [], deviceId: "", cwdLabel: "proj",
  });
  const opened = await cli.next("opened");
  const secrets = generateLinkSecrets();
  const keys = await deriveSessionKeys(opened.sessionId, secrets, KDF);
  await sendHello(cli, opened.sessionId, opened.token, keys);
  await cli.next("sync");
  return { cli, sessionId: opened.sessionId, token: opened.token, secrets, keys };
}

export async function sendHello(cli: TestClient, sessionId: string, token: string, keys: SessionKeys): Promise<void> {
  const v = verifiersOf(keys);
  cli.send({ t: "hello", sessionId, token, viewVerifier: v.view, writeVerifier: v.write, adminVerifier: v.admin, e2e: "taiku-e2e-v1" });
}

export async function resumeCli(h: Harness, host: HostSession): Promise<TestClient> {
  const cli = new TestClient(h, "/api/cli");
  await cli.opened;
  cli.send({ t: "resume", v: 1, sessionId: host.sessionId, token: host.token });
  const opened = await cli.next("opened");
  if (!opened.resumed) throw new Error("not resumed");
  await sendHello(cli, host.sessionId, host.token, host.keys);
  return cli;
}

export type Level = "reader" | "writer" | "admin";

export function secretsFor(host: HostSession, level: Level): FragmentSecrets {
  const { key, writeSecret, adminSecret } = host.secrets;
  return level === "reader" ? { key } : level === "writer" ? { key, writeSecret } : { key, writeSecret, adminSecret };
}

/** A fake browser that authenticates with the proofs its link allows. */
export async function join(
  h: Harness,
  host: HostSession,
  level: Level = "admin",
  opts: { name?: string; cookie?: string; badView?: boolean; headers?: Record<string, string> } = {},
): Promise<{ b: TestClient; userId: number; authOk: Msg }> {
  const headers = { ...opts.headers, ...(opts.cookie ? { Cookie: `taiku_session=${opts.cookie}` } : {}) };
  const b = new TestClient(h, `/api/s/${host.sessionId}`, headers);
  const hello = await b.next("hello");
  const keys = await deriveSessionKeys(host.sessionId, secretsFor(host, level), KDF);
  const ch = wsChallenge(hello.challenge, hello.userId);
  const viewProof = opts.badView ? new Uint8Array(32) : await proof(keys.viewVerifier, "ws", host.sessionId, ch);
  b.send({
    t: "authenticate", viewProof, device: "Test Web", ...(opts.name ? { name: opts.name } : {}),
    ...(keys.writeVerifier ? { writeProof: await proof(keys.writeVerifier, "ws", host.sessionId, ch) } : {}),
    ...(keys.adminVerifier ? { adminProof: await proof(keys.adminVerifier, "ws", host.sessionId, ch) } : {}),
  });
  const answer = await b.next(["authOk", "invalidAuth"]);
  if (opts.badView) return { b, userId: hello.userId, authOk: answer };
  if (answer.t !== "authOk") throw new Error(`authentication refused: ${answer.reason}`);
  const authOk = answer;
  b.discardBefore(await b.next("cliStatus")); // end of the initial state; tests read it from b.log
  return { b, userId: hello.userId, authOk };
}

/** The CLI announces a shell (CLI-initiated unless requestId is given). */
export async function createdShell(host: HostSession, shellId: number, requestId = 0, rows = 24, cols = 80): Promise<void> {
  host.cli.send({ t: "createdShell", shellId, rows, cols, requestId });
}

export function fakeFrame(size = 32, fill = 7): { n: Uint8Array; c: Uint8Array } {
  return { n: new Uint8Array(12).fill(1), c: new Uint8Array(Math.max(16, size)).fill(fill) };
}

/** `startRelay` for a test file whose tests start their own relays: each is closed after its test. */
export function relaysClosedAfterEach(): typeof startRelay {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  return async (...args) => {
    const h = await startRelay(...args);
    open.push(h);
    return h;
  };
}
