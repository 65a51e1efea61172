/**
 * The device daemon (§3.14): holds the WebSocket `/api/v1/devices/{device_id}/connect` open with
 * reconnect and back-off, starts a share for each `startSession` through the same `startShare` as
 * `taiku`, and answers with the session URL and the admin fragment sealed to the dashboard page's
 * ephemeral key (the server never sees the fragment). Sessions run until they end or the daemon stops.
 */
import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import WebSocket from "ws";
import {
  decodeCbor, DEVICE_CLOSE, encodeCbor, LIMITS, startSessionMessage,
  type DaemonUpMessage, type StartSessionMessage,
} from "@taiku/protocol";
import { sealRemoteFragment } from "@taiku/crypto";
import { backoffDelay } from "../backoff.js";
import type { Credentials } from "../credentials.js";
import { startShare, type ShareHandle, type StartShareOptions } from "../share.js";
import { type DeviceContext, DeviceRemovedError, refreshDeviceToken, sessionPageUrl } from "./device-api.js";

export interface DaemonOptions {
  ctx: DeviceContext;
  creds: Credentials;
  /** Default working directory of remote sessions (the user's home). */
  home: string;
  /** Passed to every `startShare` (shell, env, limits; tests add a fast KDF). */
  share: Partial<StartShareOptions>;
  log: (line: string) => void;
  /** Called whenever the set of live sessions changes (heartbeats). */
  onSessions?: () => void;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

/** Why the daemon stopped for good: a reconnect would be refused again. */
export type DaemonEnd = { reason: "stopped" } | { reason: "replaced" | "revoked" | "unauthorized"; message: string };

/** `~`, `~/x` and relative paths are taken from the home directory; refuse what is not a directory. */
export async function resolveRemoteCwd(cwd: string | undefined, home: string): Promise<string> {
  const expanded = cwd === undefined || cwd === "~" ? home : cwd.startsWith("~/") ? resolve(home, cwd.slice(2)) : cwd;
  const dir = isAbsolute(expanded) ? resolve(expanded) : resolve(home, expanded);
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new Error(`${dir}: no such directory on this device`);
  }
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  return dir;
}

export class DeviceDaemon {
  private ws: WebSocket | null = null;
  private readonly shares = new Set<ShareHandle>();
  /** Remote starts under way (`stop` waits for them). */
  private readonly starting = new Set<Promise<DaemonUpMessage>>();
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private triedRefresh = false;
  private creds: Credentials;
  private finish!: (end: DaemonEnd) => void;
  /** Resolves when the daemon stops (Ctrl-C, or the server refused it for good). */
  readonly done = new Promise<DaemonEnd>((r) => (this.finish = r));

  constructor(private readonly opts: DaemonOptions) {
    this.creds = opts.creds;
  }

  /** Session page URLs (no fragments) of the sessions this daemon started and that still run. */
  sessionUrls(): string[] {
    return [...this.shares].map((h) => sessionPageUrl(h.server, h.sessionId));
  }

  start(): void {
    this.connect();
  }

  async stop(end: DaemonEnd = { reason: "stopped" }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000, "daemon stopped");
    await Promise.all([...this.shares].map((h) => h.close("the device daemon stopped").catch(() => undefined)));
    // Sessions still starting close themselves once they see `stopped`.
    await Promise.allSettled([...this.starting]);
    this.finish(end);
  }

  private connect(): void {
    if (this.stopped) return;
    const { server, deviceId, deviceToken } = this.creds;
    const url = `${server.replace(/^http/, "ws")}/api/v1/devices/${encodeURIComponent(deviceId)}/connect`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${deviceToken}` }, perMessageDeflate: false, maxPayload: 64 * 1024 });
    this.ws = ws;
    ws.on("open", () => {
      this.attempt = 0;
      this.triedRefresh = false;
      this.opts.log(`connected to ${server} as device ${deviceId}; waiting for remote starts`);
    });
    // A refused upgrade: `terminate` makes `close` follow, which decides (one decision per socket).
    let refused = 0;
    ws.on("unexpected-response", (_req, res) => {
      refused = res.statusCode ?? 502;
      res.resume();
      ws.terminate();
    });
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return;
      void this.onMessage(decodeSafe(data as Buffer));
    });
    ws.on("error", () => undefined); // "close" follows and decides
    ws.on("close", (code) => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      if (refused === 401 || refused === 403) void this.onUnauthorized();
      else if (refused) this.retry(`server answered HTTP ${refused}`);
      else if (code === DEVICE_CLOSE.replaced) void this.stop({ reason: "replaced", message: "another taiku daemon connected for this device" });
      // Revoked: another taiku process may have rotated the token (it is on disk then): refresh once, as
      // for a 401. A device removed on the dashboard is not registered again (410): the daemon stops.
      else if (code === DEVICE_CLOSE.revoked) void this.onUnauthorized();
      else this.retry("connection lost");
    });
  }

  /** A rejected token may have been rotated by another taiku process: re-read or re-register once. */
  private async onUnauthorized(): Promise<void> {
    if (this.stopped) return;
    if (this.triedRefresh) {
      await this.stop({ reason: "unauthorized", message: "the server does not accept this device's token; run 'taiku login' again" });
      return;
    }
    this.triedRefresh = true;
    try {
      this.creds = await refreshDeviceToken(this.opts.ctx, this.creds);
      this.connect();
    } catch (err) {
      if (err instanceof DeviceRemovedError) await this.stop({ reason: "revoked", message: err.message });
      else await this.stop({ reason: "unauthorized", message: `device registration failed: ${(err as Error).message}` });
    }
  }

  private retry(why: string): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.opts.reconnectInitialMs ?? LIMITS.reconnectInitialMs, this.opts.reconnectMaxMs ?? LIMITS.reconnectMaxMs);
    this.opts.log(`${why}; reconnecting in ${Math.round(delay / 100) / 10} s`);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private send(msg: DaemonUpMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeCbor(msg));
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = startSessionMessage.safeParse(raw);
    if (!parsed.success) {
      this.opts.log("ignored a malformed message from the server");
      return;
    }
    const msg = parsed.data;
    const starting = this.startSession(msg);
    this.starting.add(starting);
    try {
      this.send(await starting);
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      this.opts.log(`remote start refused: ${error}`);
      this.send({ t: "sessionError", requestId: msg.requestId, error: error.slice(0, 500) });
    } finally {
      this.starting.delete(starting);
    }
  }

  private async startSession(msg: StartSessionMessage): Promise<DaemonUpMessage> {
    const dir = await resolveRemoteCwd(msg.cwd, this.opts.home);
    const handle = await startShare({
      ...this.opts.share,
      server: this.creds.server,
      token: this.creds.apiKey,
      deviceId: this.creds.deviceId,
      dir,
    });
    const sessionUrl = sessionPageUrl(handle.server, handle.sessionId);
    let sealed;
    try {
      // The dashboard user is this account: they get the admin fragment (key, write and admin secrets).
      const fragment = handle.links.admin.slice(handle.links.admin.indexOf("#") + 1);
      sealed = await sealRemoteFragment(fragment, msg.clientPublicKey, msg.requestId, sessionUrl);
    } catch (err) {
      await handle.close("remote start failed");
      throw err;
    }
    if (this.stopped) {
      // The daemon stopped while this session started: stop() closed the others, close this one too.
      await handle.close("the device daemon stopped");
      throw new Error("the device daemon stopped");
    }
    this.shares.add(handle);
    void handle.done.then((r) => {
      this.shares.delete(handle);
      this.opts.log(`session ${sessionUrl} ended: ${r.reason}`);
      this.opts.onSessions?.();
    });
    this.opts.log(`started session ${sessionUrl} in ${dir} (remote start)`);
    this.opts.onSessions?.();
    return { t: "sessionStarted", requestId: msg.requestId, sessionUrl, ...sealed };
  }
}

function decodeSafe(data: Buffer): unknown {
  try {
    return decodeCbor(data);
  } catch {
    return null;
  }
}
