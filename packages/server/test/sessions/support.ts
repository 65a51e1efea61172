/** A real server (real relay) with a fake CLI over /api/cli and fake browsers, plus session-auth helpers. */
import { proof, toBase64 } from "@taiku/crypto";
import { deriveSessionKeys } from "@taiku/crypto";
import type { Limits } from "@taiku/protocol";
import { start, type Started } from "../app/helpers.js";
import { join as joinBrowser, KDF, openSession, secretsFor, TestClient, type Harness, type HostSession, type Level, type Msg } from "../relay/harness.js";

export interface Env {
  s: Started;
  h: Harness;
  host: HostSession;
  /** GET/PUT/… with session auth headers for `level`. */
  authed(level: Level, method: string, path: string, opts?: { body?: unknown; raw?: string; headers?: Record<string, string> }): ReturnType<Started["http"]["req"]>;
  headers(level: Level, nonce?: string): Promise<Record<string, string>>;
  nonce(): Promise<string>;
  browser(level?: Level, name?: string): Promise<{ b: TestClient; userId: number; authOk: Msg }>;
}

export async function startEnv(opts: { limits?: Record<string, number>; readersEnabled?: boolean; anonymous?: boolean; tunnelPorts?: number[] } = {}): Promise<Env> {
  const s = await start({ realRelay: true, limits: opts.limits as Partial<Limits> | undefined });
  const h = { url: `ws://127.0.0.1:${s.server.port}`, clients: [] } as unknown as Harness;
  const host = await openSession(h, {
    readersEnabled: opts.readersEnabled ?? false,
    ...(opts.tunnelPorts ? { tunnelPorts: opts.tunnelPorts } : {}),
    ...(opts.anonymous ? {} : { apiKey: s.server.ownerToken }),
  });
  const env: Env = {
    s, h, host,
    async nonce() {
      const r = await s.http.get(`/api/s/${host.sessionId}/auth-challenge`);
      if (r.status !== 200) throw new Error(`challenge: ${r.status} ${r.text}`);
      return r.json<{ nonce: string }>().nonce;
    },
    async headers(level, nonce) {
      const n = nonce ?? (await env.nonce());
      const keys = await deriveSessionKeys(host.sessionId, secretsFor(host, level), KDF);
      const out: Record<string, string> = {
        "x-taiku-session-nonce": n,
        "x-taiku-session-key": toBase64(await proof(keys.viewVerifier, "http", host.sessionId, n)),
      };
      const elevated = keys.adminVerifier ?? keys.writeVerifier;
      if (elevated) out["x-taiku-session-auth"] = toBase64(await proof(elevated, "http", host.sessionId, n));
      return out;
    },
    async authed(level, method, path, o = {}) {
      return s.http.req(method, path, { ...o, headers: { ...(await env.headers(level)), ...o.headers } });
    },
    browser: (level = "admin", name) => joinBrowser(h, host, level, name ? { name } : {}),
  };
  return env;
}

/** A fake CLI filesystem answering fsRequest from a map of path → bytes ("dir/" keys are directories). */
export function serveFakeFs(host: HostSession, files: Record<string, string | Uint8Array>, opts: { chunk?: number; silent?: boolean } = {}) {
  const seen: Msg[] = [];
  const written = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  const bytes = (v: string | Uint8Array) => (typeof v === "string" ? enc.encode(v) : v);
  const empty = new Uint8Array(0);
  const reply = (m: Msg, extra: Msg) =>
    host.cli.send({ t: "fsResponse", requestId: m.requestId, ok: true, error: "", json: empty, data: empty, end: true, ...extra });
  let stopped = false;
  (async () => {
    for (;;) {
      const m = await host.cli.next("fsRequest", () => true, 60_000).catch(() => null);
      if (!m || stopped) return;
      seen.push(m);
      if (opts.silent) continue;
      const path = m.path as string;
      if (path.startsWith("/") || path.split("/").includes("..")) {
        reply(m, { ok: false, error: "No such file or directory" });
        continue;
      }
      if (m.op === "ls") {
        const prefix = path === "." ? "" : `${path.replace(/\/$/, "")}/`;
        const rows = Object.keys(files).filter((k) => k.startsWith(prefix) && k !== prefix).map((k) => k.slice(prefix.length))
          .filter((k) => !k.slice(0, -1).includes("/"))
          .map((k) => ({ name: k.replace(/\/$/, ""), is_dir: k.endsWith("/"), size: k.endsWith("/") ? 0 : bytes(files[prefix + k]!).byteLength }));
        reply(m, { json: enc.encode(JSON.stringify(rows)) });
      } else if (m.op === "read" || m.op === "stream") {
        const f = files[path];
        if (f === undefined) {
          reply(m, { ok: false, error: "No such file or directory" });
          continue;
        }
        const b = bytes(f);
        const limit = m.op === "read" && m.length > 0 ? Math.min(m.length, b.byteLength) : b.byteLength;
        const step = opts.chunk ?? 64 * 1024;
        for (let i = 0; i < limit; i += step) reply(m, { data: b.subarray(i, Math.min(limit, i + step)), end: false });
        reply(m, { json: enc.encode(JSON.stringify({ size: b.byteLength })) });
      } else if (m.op === "stat") {
        const f = files[path];
        if (f === undefined) reply(m, { ok: false, error: "No such file or directory" });
        else reply(m, { json: enc.encode(JSON.stringify({ size: bytes(f).byteLength, is_dir: path.endsWith("/"), mtime: 0 })) });
      } else if (m.op === "write") {
        const prev = written.get(path) ?? empty;
        const next = new Uint8Array(m.offset + m.data.byteLength);
        next.set(prev.subarray(0, m.offset));
        next.set(m.data, m.offset);
        written.set(path, next);
        reply(m, { json: enc.encode(JSON.stringify({ size: next.byteLength })) });
      } else {
        reply(m, { ok: false, error: "unsupported" });
      }
    }
  })();
  return { seen, written, stop: () => void (stopped = true) };
}
