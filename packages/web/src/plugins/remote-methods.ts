/**
 * Bridge methods that proxy to the server (spec §7.7, §7.10, §7.11, §7.13 → §11.3): User KV, plugin
 * file storage, the CLI-backed filesystem and integrations. Errors are the server's text/plain body,
 * unchanged (so plugins see the documented texts); a network failure or a missing route never hangs.
 */
import {
  BRIDGE_ERRORS, INTEGRATION_ERRORS,
  type BridgeDirEntry, type BridgeFileContent, type BridgeMethodParams, type PluginStorageUsage,
} from "@taiku/protocol";
import { SessionHttpError, sessionAuthHeaders, sessionPath as sessionRoute } from "../common/session-http.js";
import type { CallContext, MethodTable } from "./methods.js";
import type { HostServices } from "./types.js";

type RemoteMethods = Pick<
  MethodTable,
  | "getUserData" | "setUserData" | "listUserData" | "deleteUserData"
  | "writePluginFile" | "readPluginFile" | "listPluginFiles" | "deletePluginFile" | "getStorageUsage"
  | "listDir" | "readFile" | "getFileUrl" | "writeFile"
  | "integrations.list" | "integrations.connect" | "integrations.tools" | "integrations.execute"
>;

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const UNREACHABLE = "Cannot reach the taiku server";
const seg = encodeURIComponent;

/** HTTP to the taiku server for the host: errors as HttpError with the route's text; session auth per request. */
function remoteHttp(s: HostServices) {
  async function http(method: string, path: string, init: { body?: BodyInit; json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    let res: Response;
    try {
      res = await s.fetch(path, { method, credentials: "same-origin", headers, ...(body !== undefined ? { body } : {}) });
    } catch {
      throw new HttpError(0, UNREACHABLE);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => "")).trim();
      throw new HttpError(res.status, text || `HTTP ${res.status}`);
    }
    return res;
  }
  const json = async (res: Response): Promise<unknown> => {
    const text = await res.text();
    try {
      return text === "" ? null : (JSON.parse(text) as unknown);
    } catch {
      return text;
    }
  };

  /** §2.6.3: fresh session auth headers (one-time nonce + proofs) for exactly one request. */
  async function sessionAuth(): Promise<Record<string, string>> {
    const proofs = s.session.httpProofs?.bind(s.session);
    if (!proofs) throw new Error("missing session auth challenge");
    try {
      return await sessionAuthHeaders({ sessionId: s.session.sessionId, httpProofs: proofs }, { fetch: s.fetch as typeof fetch });
    } catch (err) {
      if (err instanceof SessionHttpError) throw new HttpError(err.status, err.message);
      throw new HttpError(0, UNREACHABLE);
    }
  }
  const sessionPath = (rest: string) => sessionRoute(s.session.sessionId, rest);
  return { http, json, sessionAuth, sessionPath };
}

/** The CLI-backed files (§11.3.5) behind `readFile` / `getFileUrl`; no calling plugin involved (the file viewer uses them too). */
export function createSessionFiles(s: HostServices) {
  const { http, json, sessionAuth, sessionPath } = remoteHttp(s);
  return {
    read: async (p: BridgeMethodParams<"readFile">): Promise<BridgeFileContent> => {
      const q = `path=${seg(p.path)}&encoding=${p.encoding}&maxBytes=${p.maxBytes}`;
      return json(await http("GET", sessionPath(`/file?${q}`), { headers: await sessionAuth() })) as Promise<BridgeFileContent>;
    },
    url: async (path: string): Promise<{ url: string; size: number }> => {
      const text = await (await http("GET", sessionPath(`/file/stream?path=${seg(path)}`), { headers: await sessionAuth() })).text();
      const [url = "", size = "0"] = text.trim().split("\t");
      return { url: new URL(url, s.appOrigin).href, size: Number(size) };
    },
  };
}

export function createRemoteMethods(s: HostServices): RemoteMethods {
  const { http, json, sessionAuth, sessionPath } = remoteHttp(s);
  const files = createSessionFiles(s);

  // ---------------------------------------------------------------- User KV (§7.10, §11.3.3 user-scoped)
  const userKv = (c: CallContext, key?: string) => `/api/v1/user-kv/${seg(c.plugin.manifest.id)}${key === undefined ? "" : `/${seg(key)}`}`;
  /** Not signed in: the documented User KV text, whatever the route says. */
  const kvCall = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) throw new Error(BRIDGE_ERRORS.noAuthenticatedUser);
      throw err;
    }
  };

  // ---------------------------------------------------------------- plugin files (§7.11, §11.3.6 user-scoped)
  const storage = (c: CallContext, name?: string) => `/api/v1/storage/${seg(c.plugin.manifest.id)}${name === undefined ? "" : `/${seg(name)}`}`;
  const usage = async (c: CallContext) => (await json(await http("GET", storage(c)))) as PluginStorageUsage;

  // ---------------------------------------------------------------- integrations (§12.3 steps 4–6)
  const integrations = async (c: CallContext, method: string, path: string, body?: unknown): Promise<unknown> => {
    if (!s.signedIn()) throw new Error(INTEGRATION_ERRORS.notSignedIn);
    try {
      const res = await http(method, path, { headers: { "x-taiku-plugin-id": c.plugin.manifest.id }, ...(body !== undefined ? { json: body } : {}) });
      return await json(res);
    } catch (err) {
      if (err instanceof HttpError && err.status === 503) throw new Error(INTEGRATION_ERRORS.notEnabled);
      if (err instanceof HttpError && err.status === 401) throw new Error(INTEGRATION_ERRORS.notSignedIn);
      throw err;
    }
  };
  const callbackUrl = (url: string | undefined): string => {
    const fallback = `${s.appOrigin}/api/v1/integrations/callback`;
    if (url === undefined) return fallback;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(INTEGRATION_ERRORS.callbackNotAllowed);
    }
    const localHttp = u.protocol === "http:" && (u.hostname === "localhost" || u.hostname === "127.0.0.1");
    if ((u.protocol !== "https:" && !localHttp) || u.origin !== s.appOrigin) throw new Error(INTEGRATION_ERRORS.callbackNotAllowed);
    return u.href;
  };

  return {
    getUserData: (p, c) =>
      kvCall(async () => {
        try {
          return await json(await http("GET", userKv(c, p.key)));
        } catch (err) {
          if (err instanceof HttpError && err.status === 404 && /key not found/i.test(err.message)) return null;
          throw err;
        }
      }),
    setUserData: (p, c) => kvCall(async () => void (await http("PUT", userKv(c, p.key), { json: { value: p.value } }))),
    listUserData: (_p, c) =>
      kvCall(async () => {
        const rows = (await json(await http("GET", userKv(c)))) as Array<{ key: string; value: unknown }>;
        return Object.fromEntries(rows.map((r) => [r.key, r.value]));
      }),
    deleteUserData: (p, c) =>
      kvCall(async () => {
        try {
          await http("DELETE", userKv(c, p.key));
        } catch (err) {
          if (!(err instanceof HttpError && err.status === 404 && /key not found/i.test(err.message))) throw err;
        }
      }),

    writePluginFile: async (p: BridgeMethodParams<"writePluginFile">, c) => {
      const body = typeof p.data === "string" ? p.data : p.data instanceof ArrayBuffer ? p.data : new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength).slice().buffer;
      const res = await http("PUT", storage(c, p.name), { body, headers: { "content-type": p.contentType ?? "application/octet-stream" } });
      const r = (await json(res)) as { size?: number };
      return { ok: true, size: r?.size ?? 0 };
    },
    readPluginFile: async (p, c) => {
      if (p.from === "sessionOwner") {
        const path = sessionPath(`/storage/${seg(c.plugin.manifest.id)}/${seg(p.name)}`);
        return (await http("GET", path, { headers: await sessionAuth() })).arrayBuffer();
      }
      return (await http("GET", storage(c, p.name))).arrayBuffer();
    },
    listPluginFiles: async (_p, c) => (await usage(c)).files,
    deletePluginFile: async (p, c) => void (await http("DELETE", storage(c, p.name))),
    getStorageUsage: (_p, c) => usage(c),

    listDir: async (p) => {
      const rows = (await json(await http("GET", sessionPath(`/ls?path=${seg(p.path)}`), { headers: await sessionAuth() }))) as Array<{ name: string; is_dir?: boolean; isDir?: boolean; size?: number }>;
      return rows.map((r): BridgeDirEntry => ({ name: r.name, isDir: Boolean(r.is_dir ?? r.isDir), ...(r.size !== undefined ? { size: r.size } : {}) }));
    },
    readFile: (p) => files.read(p),
    getFileUrl: (p) => files.url(p.path),
    writeFile: async (p) => {
      const content = typeof p.content === "string" ? (p.encoding === "base64" ? Uint8Array.from(atob(p.content), (ch) => ch.charCodeAt(0)) : p.content) : p.content;
      const res = await http("PUT", sessionPath(`/file?path=${seg(p.path)}&createDirs=${p.createDirs ? 1 : 0}`), {
        body: content as BodyInit,
        headers: { ...(await sessionAuth()), "content-type": "application/octet-stream" },
      });
      const r = (await json(res)) as { size?: number };
      return { ok: true, size: r?.size ?? 0 };
    },

    "integrations.list": (_p, c) => integrations(c, "GET", "/api/v1/integrations/connections") as never,
    "integrations.connect": async (p, c) => {
      const cb = callbackUrl(p.callbackUrl);
      const r = (await integrations(c, "POST", "/api/v1/integrations/connections", { toolkit: p.toolkit, callbackUrl: cb })) as {
        connectionId: string; redirectUrl: string; status: string;
      };
      const opened = r?.redirectUrl ? s.ui.openPopup(r.redirectUrl) : false;
      return { ...r, opened };
    },
    "integrations.tools": (p, c) => {
      const q = new URLSearchParams({ limit: String(p.limit), ...(p.search ? { search: p.search } : {}) });
      return integrations(c, "GET", `/api/v1/integrations/toolkits/${seg(p.toolkit)}/tools?${q}`) as never;
    },
    "integrations.execute": (p, c) => integrations(c, "POST", "/api/v1/integrations/execute", { toolkit: p.toolkit, action: p.action, arguments: p.arguments }),
  };
}
