/**
 * Devices and remote start (§3.14, §11.3.9): the HTTP routes, plus the daemon socket upgrade that
 * index.ts routes here before the relay.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import { deviceHeartbeatBody, deviceIdSchema, deviceRegisterBody, remoteStartBody, requestIdSchema } from "@taiku/protocol";
import type { Database } from "../db/schema.js";
import { type AuthConfig, requireCaller } from "../http/auth.js";
import { apiKeyOf } from "../credentials.js";
import { HttpError, parseBody } from "../http/errors.js";
import { RemoteStartBroker } from "./broker.js";
import { DEFAULT_DEVICE_SETTINGS, DEVICE_TEXT, type DeviceSettings } from "./settings.js";
import { DeviceStore } from "./store.js";

export { DEFAULT_DEVICE_SETTINGS, type DeviceSettings } from "./settings.js";

export interface DevicesDeps {
  db: Kysely<Database>;
  now: () => number;
  settings?: Partial<DeviceSettings>;
  /** Whether a session URL still names a live session (false only when this server knows it ended). */
  isLiveSessionUrl: (url: string) => boolean;
}

export interface Devices {
  register(app: FastifyInstance, auth: AuthConfig): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/** An unknown or foreign device id answers 404 either way, so ids of other accounts are not revealed. */
const deviceParam = (raw: string): string => {
  const r = deviceIdSchema.safeParse(raw);
  if (!r.success) throw new HttpError(404, DEVICE_TEXT.notFound);
  return r.data;
};

export function setupDevices(deps: DevicesDeps): Devices {
  const settings = { ...DEFAULT_DEVICE_SETTINGS, ...deps.settings };
  const store = new DeviceStore(deps.db, deps.now, settings);
  // Made in register(): the daemon sockets log through the app's logger, which exists only from then on.
  let broker: RemoteStartBroker | null = null;

  const ownedDevice = async (auth: AuthConfig, req: Parameters<typeof requireCaller>[1], rawId: string) => {
    const caller = await requireCaller(auth, req);
    const id = deviceParam(rawId);
    if (!(await store.owned(caller.account.id, id))) throw new HttpError(404, DEVICE_TEXT.notFound);
    return id;
  };

  function register(app: FastifyInstance, auth: AuthConfig): void {
    const live = new RemoteStartBroker(store, settings, app.log);
    broker = live;
    app.post("/api/v1/devices/register", async (req) => {
      const caller = await requireCaller(auth, req);
      const body = parseBody(deviceRegisterBody, req.body);
      const { token, rotated } = await store.register(caller.account.id, body);
      // The previous token no longer works, so a daemon still holding it is told to stop.
      if (rotated) live.revoke(body.deviceId);
      return { deviceId: body.deviceId, deviceToken: token };
    });

    app.post("/api/v1/devices/heartbeat", async (req) => {
      const token = apiKeyOf(req.headers);
      if (!token) throw new HttpError(401, DEVICE_TEXT.badToken);
      const body = parseBody(deviceHeartbeatBody, req.body);
      await store.heartbeat(token, body);
      return { ok: true };
    });

    app.get<{ Querystring: { all?: string } }>("/api/v1/devices", async (req) => {
      const caller = await requireCaller(auth, req);
      const all = req.query.all === "1" || req.query.all === "true";
      return store.list(caller.account.id, { all, connected: live.connected, isLive: deps.isLiveSessionUrl });
    });

    app.delete<{ Params: { id: string } }>("/api/v1/devices/:id", async (req) => {
      const caller = await requireCaller(auth, req);
      const id = deviceParam(req.params.id);
      if (!(await store.remove(caller.account.id, id))) throw new HttpError(404, DEVICE_TEXT.notFound);
      live.revoke(id);
      return { ok: true };
    });

    app.post<{ Params: { id: string } }>("/api/v1/devices/:id/sessions", async (req) => {
      const id = await ownedDevice(auth, req, req.params.id);
      const body = parseBody(remoteStartBody, req.body);
      return { requestId: live.start(id, body) };
    });

    app.get<{ Params: { id: string; requestId: string } }>("/api/v1/devices/:id/sessions/:requestId", async (req) => {
      const id = await ownedDevice(auth, req, req.params.id);
      const requestId = requestIdSchema.safeParse(req.params.requestId);
      const result = requestId.success ? live.result(id, requestId.data) : null;
      if (!result) throw new HttpError(404, DEVICE_TEXT.requestNotFound);
      return result;
    });
  }

  return {
    register,
    handleUpgrade: (req, socket, head) => broker?.handleUpgrade(req, socket, head) ?? false,
    close: () => broker?.close(),
  };
}

/** `isLiveSessionUrl` for a server: URLs of its own `/s/<id>` pages are checked against the relay. */
export function liveSessionUrlCheck(publicUrl: () => string, sessionOwner: (id: string) => string | null | undefined): (url: string) => boolean {
  return (url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    const m = /^\/s\/([A-Za-z0-9]+)\/?$/.exec(u.pathname);
    if (!m || u.origin !== new URL(publicUrl()).origin) return true; // another server's session: cannot tell
    return sessionOwner(m[1]!) !== undefined;
  };
}
