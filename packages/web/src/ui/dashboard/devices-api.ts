/**
 * The dashboard's calls (§11.3.9) and remote start: the page makes an ephemeral ECDH key pair,
 * asks the server to start a session on the device, polls for the daemon's answer and opens the
 * sealed fragment locally. Only the public key and the sealed fragment pass through the server.
 */
import type { DeviceSummary, RemoteStartResult } from "@taiku/protocol";
import { generateRemoteStartKeyPair, openRemoteFragment } from "@taiku/crypto";
import { isWebUrl } from "../../common/fragment.js";
import { call } from "../api.js";

const devicePath = (deviceId: string) => `/api/v1/devices/${encodeURIComponent(deviceId)}`;

export const devicesApi = {
  /** The account's devices; a session link that is not http(s) is left out (each becomes an `href` here). */
  list: async (all = false): Promise<DeviceSummary[]> => {
    const devices = await call<DeviceSummary[]>("GET", `/api/v1/devices${all ? "?all=1" : ""}`);
    return devices.map((d) => ({ ...d, sessions: d.sessions.filter((url) => isWebUrl(url)) }));
  },
  remove: (deviceId: string) => call<{ ok: true }>("DELETE", devicePath(deviceId)),
};

export interface DevicePoller {
  /** Load now; an answer overtaken by a later `refresh` is dropped. */
  refresh(): Promise<void>;
  /** The first load, then one every `everyMs`. Does nothing once stopped. */
  start(): Promise<void>;
  stop(): void;
}

/**
 * The dashboard's device list, kept fresh: the latest request wins (the "show offline" toggle asks
 * again while a periodic load may still be out), and nothing is loaded or reported after `stop`
 * (the page may go before its first load answered).
 */
export function devicePoller(
  load: () => Promise<DeviceSummary[]>,
  sink: { list(devices: DeviceSummary[]): void; error(err: unknown): void },
  everyMs: number,
): DevicePoller {
  let latest = 0;
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const refresh = async (): Promise<void> => {
    if (stopped) return;
    const mine = ++latest;
    try {
      const devices = await load();
      if (!stopped && mine === latest) sink.list(devices);
    } catch (err) {
      if (!stopped && mine === latest) sink.error(err);
    }
  };
  return {
    refresh,
    start() {
      if (stopped || timer !== undefined) return Promise.resolve();
      timer = setInterval(() => void refresh(), everyMs);
      return refresh();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

export interface RemoteStartTiming {
  pollMs: number;
  /** Give up after this long (the server's own timeout normally answers first). */
  timeoutMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a session on `deviceId` and returns the full link (`sessionUrl#fragment`) to open. */
export async function startRemoteSession(deviceId: string, cwd: string | undefined, timing: RemoteStartTiming = { pollMs: 500, timeoutMs: 60_000 }): Promise<string> {
  if (!globalThis.crypto?.subtle) throw new Error("Remote start needs a secure page: open the dashboard over https or on localhost.");
  const keys = await generateRemoteStartKeyPair();
  const { requestId } = await call<{ requestId: string }>("POST", `${devicePath(deviceId)}/sessions`, {
    clientPublicKey: keys.publicKey,
    ...(cwd ? { cwd } : {}),
  });
  const deadline = Date.now() + timing.timeoutMs;
  for (;;) {
    const r = await call<RemoteStartResult>("GET", `${devicePath(deviceId)}/sessions/${encodeURIComponent(requestId)}`);
    if (r.status === "failed") throw new Error(r.error);
    if (r.status === "started") {
      // The AAD binds the URL, so a server that swapped it fails here and the secret goes nowhere.
      const fragment = await openRemoteFragment(r.sealedFragment, r.daemonPublicKey, keys.privateKey, requestId, r.sessionUrl);
      const url = new URL(r.sessionUrl);
      if (!/^https?:$/.test(url.protocol) || !/^\/s\/[A-Za-z0-9]+\/?$/.test(url.pathname)) throw new Error("The device answered with an unexpected session URL.");
      return `${r.sessionUrl}#${fragment}`;
    }
    if (Date.now() > deadline) throw new Error("The device did not answer in time.");
    await sleep(timing.pollMs);
  }
}

/** "just now", "3 min ago", "2 h ago", or a date. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}
