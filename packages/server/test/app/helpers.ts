/** Shared test scaffolding: temp homes, a stand-in relay, a started server and a small HTTP client. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { startServer, type RunningServer, type ServerOptions } from "../../src/index.js";
import type { Relay, RelayDeps } from "../../src/seams.js";

/** Cheap Argon2id so tests that sign in many times stay fast; production defaults are tested separately. */
export const FAST_ARGON2 = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

export interface StubSession {
  owner: string | null;
  chat: Array<[number, string, string]>;
}

/** A relay stand-in whose sessions the test controls; records the deps it was created with. */
export class StubRelay implements Relay {
  readonly sessions = new Map<string, StubSession>();
  restored = 0;
  closed = 0;
  constructor(readonly deps: RelayDeps) {}
  handleUpgrade(): boolean {
    return false;
  }
  async restore(): Promise<void> {
    this.restored++;
  }
  listSessions(accountId: string) {
    return [...this.sessions]
      .filter(([, s]) => s.owner === accountId)
      .map(([sessionId]) => ({ sessionId, name: null, createdAt: 1, cliConnected: true, users: 0, shells: 1, cwdLabel: null }));
  }
  sessionOwner(id: string) {
    return this.sessions.get(id)?.owner;
  }
  chatTuples(id: string) {
    return this.sessions.get(id)?.chat;
  }
  sessionCount() {
    return this.sessions.size;
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

export async function tempHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "taiku-server-test-"));
  cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "home");
}

export interface Started {
  server: RunningServer;
  /** Undefined with `realRelay`. */
  relay: StubRelay;
  home: string;
  http: Http;
}

/**
 * Starts a real server on 127.0.0.1:0, closed automatically after the test. Uses a stub relay so
 * tests control sessions directly, unless `realRelay` asks for the relay of relay/index.ts.
 */
export async function start(options: Partial<ServerOptions> & { realRelay?: boolean } = {}): Promise<Started> {
  const { realRelay, ...rest } = options;
  const home = options.home ?? (await tempHome());
  let relay: StubRelay | undefined;
  const server = await startServer({
    home,
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    ...rest,
    auth: { argon2: FAST_ARGON2, ...options.auth },
    ...(realRelay ? {} : { createRelay: (deps: RelayDeps) => (relay = new StubRelay(deps)) }),
  });
  cleanups.push(() => server.close());
  // Connect over loopback even when a public URL (which may not resolve here) is configured.
  const base = `${options.tls ? "https" : "http"}://127.0.0.1:${server.port}`;
  return { server, relay: relay!, home, http: new Http(base) };
}

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
}

export class Http {
  constructor(readonly base: string) {}
  async req(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Res> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(this.base + path, { method, headers, ...(body !== undefined ? { body } : {}), redirect: "manual" });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
  }
  get = (path: string, headers?: Record<string, string>) => this.req("GET", path, headers ? { headers } : {});
  post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    this.req("POST", path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
}

/** The `taiku_session=<token>` pair from a Set-Cookie header. */
export function sessionCookie(res: Res): string {
  const set = res.headers.get("set-cookie") ?? "";
  const m = /taiku_session=([^;]*)/.exec(set);
  if (!m) throw new Error(`no taiku_session cookie in ${JSON.stringify(set)}`);
  return `taiku_session=${m[1]}`;
}

/** Signs up a fresh account; returns its cookie header and the Origin header a browser would send. */
export async function signUp(s: Started, email = "alice@example.com", password = "correct horse battery") {
  const res = await s.http.post("/api/v1/auth/signup", { name: "Alice", email, password });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  const browser = { cookie: sessionCookie(res), origin: s.server.publicUrl };
  return { account: res.json<{ id: string; name: string; email: string }>(), cookie: browser.cookie, browser };
}
