/**
 * The CLI side of §11.3.9: make sure this machine is a registered device of the signed-in account
 * (a stable `deviceId` and a device token in the credentials file, mode 0600) and send heartbeats.
 * Tokens never appear in messages: errors name the route and the HTTP status only.
 */
import { hostname, platform } from "node:os";
import { randomUUID } from "node:crypto";
import { deviceRegisterResponse, MAX_DEVICE_SESSIONS } from "@taiku/protocol";
import { type Credentials, loadCredentials, saveCredentials } from "../credentials.js";
import { postJson } from "../http-json.js";

export interface DeviceContext {
  fetch: typeof fetch;
  /** Directory of the credentials file (`TAIKU_CONFIG_DIR` or `~/.config/taiku`). */
  dir: string;
}

export class DeviceApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server's text (at most 200 characters). */
    readonly detail = "",
  ) {
    super(message);
  }
}

/**
 * Registering answered 410: the device was removed from the account (the dashboard's Remove), for
 * good; only a new `taiku login` adds this machine again. The message is the server's text.
 */
export class DeviceRemovedError extends Error {}

/** A device route's JSON answer; an error status is a DeviceApiError naming the route and the status. */
async function post(ctx: DeviceContext, url: string, body: unknown, auth: Record<string, string>): Promise<unknown> {
  const { ok, status, text } = await postJson(ctx, url, body, { headers: auth });
  const detail = text.slice(0, 200);
  if (!ok) throw new DeviceApiError(status, `${new URL(url).pathname} answered HTTP ${status}${detail ? `: ${detail}` : ""}`, detail);
  return text ? JSON.parse(text) : null;
}

/**
 * How this machine names itself to the server (device registration, `taiku login`), within the
 * server's field limits however long its host name is.
 */
export function machineDescription(host: string = hostname(), os: string = platform()): { name: string; hostname: string; os: string } {
  const h = host.slice(0, 255);
  return { name: `taiku CLI on ${h}`.slice(0, 128), hostname: h, os: os.slice(0, 64) };
}

/** `POST /api/v1/devices/register` with the account's API key; stores the (possibly rotated) token. */
export async function registerDevice(ctx: DeviceContext, creds: Credentials): Promise<Credentials> {
  const deviceId = creds.deviceId || randomUUID();
  const body = { deviceId, ...machineDescription() };
  let answer;
  try {
    answer = await post(ctx, `${creds.server}/api/v1/devices/register`, body, { "X-Taiku-Token": creds.apiKey });
  } catch (err) {
    if (err instanceof DeviceApiError && err.status === 410) throw new DeviceRemovedError(err.detail || "this device was removed; run 'taiku login' to add it again");
    throw err;
  }
  const res = deviceRegisterResponse.safeParse(answer);
  if (!res.success || res.data.deviceId !== deviceId) throw new DeviceApiError(0, "device registration returned an unexpected answer");
  const next = { ...creds, deviceId, deviceToken: res.data.deviceToken };
  await saveCredentials(ctx.dir, next);
  return next;
}

/** Registers once: credentials that already hold a device token (from `taiku login` or earlier) are kept. */
export async function ensureDevice(ctx: DeviceContext, creds: Credentials): Promise<Credentials> {
  return creds.deviceId && creds.deviceToken ? creds : registerDevice(ctx, creds);
}

/**
 * After a 401: another taiku process on this machine may have rotated the token already, so the file
 * is read again first; only when it holds the same rejected token does this process re-register.
 */
export async function refreshDeviceToken(ctx: DeviceContext, creds: Credentials): Promise<Credentials> {
  const onDisk = await loadCredentials(ctx.dir).catch(() => null);
  if (onDisk && onDisk.server === creds.server && onDisk.deviceId === creds.deviceId && onDisk.deviceToken && onDisk.deviceToken !== creds.deviceToken) {
    return onDisk;
  }
  return registerDevice(ctx, creds);
}

/** The server refuses a heartbeat listing more than MAX_DEVICE_SESSIONS sessions: the first ones are reported. */
async function sendHeartbeat(ctx: DeviceContext, creds: Credentials, sessions: string[]): Promise<void> {
  const body = { deviceId: creds.deviceId, sessions: sessions.slice(0, MAX_DEVICE_SESSIONS) };
  await post(ctx, `${creds.server}/api/v1/devices/heartbeat`, body, { authorization: `Bearer ${creds.deviceToken}` });
}

/** A session page URL without its fragment: the link secret stays on this machine. */
export const sessionPageUrl = (server: string, sessionId: string): string => `${server.replace(/\/+$/, "")}/s/${sessionId}`;

export const DEFAULT_HEARTBEAT_MS = 60_000;

/** `TAIKU_HEARTBEAT_MS` shortens the interval (tests); anything unparsable means the default. */
export function heartbeatInterval(env: NodeJS.ProcessEnv): number {
  const n = Number(env.TAIKU_HEARTBEAT_MS);
  return Number.isFinite(n) && n >= 100 ? n : DEFAULT_HEARTBEAT_MS;
}

export interface DeviceReporter {
  /** Sends a heartbeat now (e.g. right after a session started or ended). */
  beat(): Promise<void>;
  stop(): void;
}

/**
 * Registers (once) and sends a heartbeat now and every `intervalMs` with `sessions()`. Never throws:
 * sharing must not depend on it. The first failure is reported through `warn`; later ones are quiet
 * until a heartbeat succeeds again. A removed device (DeviceRemovedError) stops the heartbeats.
 */
export function startDeviceReporter(
  ctx: DeviceContext,
  initial: Credentials,
  opts: { sessions: () => string[]; intervalMs: number; warn: (message: string) => void },
): DeviceReporter {
  let creds = initial;
  let warned = false;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  const fail = (err: unknown) => {
    if (err instanceof DeviceRemovedError) {
      stop();
      opts.warn(`device heartbeats stopped (sharing continues): ${err.message}`);
      return;
    }
    if (warned) return;
    warned = true;
    opts.warn(`device heartbeat failed (sharing continues): ${(err as Error)?.message ?? String(err)}`);
  };
  const once = async () => {
    if (stopped) return;
    try {
      creds = await ensureDevice(ctx, creds);
      try {
        await sendHeartbeat(ctx, creds, opts.sessions());
      } catch (err) {
        if (!(err instanceof DeviceApiError && err.status === 401)) throw err;
        creds = await refreshDeviceToken(ctx, creds);
        await sendHeartbeat(ctx, creds, opts.sessions());
      }
      warned = false;
    } catch (err) {
      fail(err);
    }
  };
  // One heartbeat at a time: a slow server must not pile up requests.
  const beat = () => (running = running.then(once));
  const timer = setInterval(() => void beat(), opts.intervalMs);
  timer.unref();
  void beat();
  return { beat, stop };
}
