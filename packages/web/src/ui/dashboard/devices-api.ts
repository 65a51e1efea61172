/**
 * The dashboard's calls (§11.3.9) and remote start: the page makes an ephemeral ECDH key pair,
 * asks the server to start a session on the device, polls for the daemon's answer and opens the
 * sealed fragment locally. Only the public key and the sealed fragment pass through the server.
 */
import type { DeviceSummary, RemoteStartResult } from "@taiku/protocol";
import { generateRemoteStartKeyPair, openRemoteFragment } from "@taiku/crypto";
import { call } from "../api.js";

const devicePath = (deviceId: string) => `/api/v1/devices/${encodeURIComponent(deviceId)}`;

export const devicesApi = {
  list: (all = false) => call<DeviceSummary[]>("GET", `/api/v1/devices${all ? "?all=1" : ""}`),
  remove: (deviceId: string) => call<{ ok: true }>("DELETE", devicePath(deviceId)),
};

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
