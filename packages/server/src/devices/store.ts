/**
 * Device records (§3.14, §11.3.9): registration with token rotation, heartbeats and the account's
 * listing. Device tokens are stored as SHA-256 only, like API keys (accounts/tokens.ts).
 *
 * Pruning hides, it does not delete: a device silent for `pruneMs` drops out of the default listing
 * but keeps its row and token, so a laptop that was asleep comes back without a new `taiku login`.
 * `DELETE /api/v1/devices/:id` (or `?all=1` to see pruned ones first) removes a row for good and
 * leaves a tombstone (`removed_devices`): a taiku process still running there cannot register the
 * id again (410), only a new `taiku login`, which mints a new id, adds the machine back.
 */
import type { Kysely } from "kysely";
import { MAX_DEVICE_SESSIONS, type DeviceHeartbeatBody, type DeviceRegisterBody, type DeviceSummary } from "@taiku/protocol";
import type { Database } from "../db/schema.js";
import { isSecretTokenShaped, newSecretToken, sha256Hex } from "../accounts/tokens.js";
import { HttpError } from "../http/errors.js";
import { DEVICE_TEXT, type DeviceSettings } from "./settings.js";

type SessionMap = Record<string, number>;

function parseSessions(json: string): SessionMap {
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === "number"));
    }
  } catch {
    // A damaged value is treated as "no sessions"; the next heartbeat rewrites it.
  }
  return {};
}

export interface DeviceRow {
  id: string;
  account_id: string;
}

/** The device a token named (null: none) must be the claimed one: 401 unknown token, 403 another device's. */
function checkDevice<R extends DeviceRow>(row: R | null, deviceId: string): R {
  if (!row) throw new HttpError(401, DEVICE_TEXT.badToken);
  if (row.id !== deviceId) throw new HttpError(403, DEVICE_TEXT.tokenMismatch);
  return row;
}

export class DeviceStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
    private readonly settings: DeviceSettings,
  ) {}

  /**
   * New device → inserted; the caller's own device → token rotated (the old one stops working) and
   * details refreshed; another account's device id → 409; a removed device's id → 410. Returns the
   * raw token (shown once).
   */
  async register(accountId: string, body: DeviceRegisterBody): Promise<{ token: string; rotated: boolean }> {
    const token = newSecretToken();
    const now = this.now();
    const details = { name: body.name, hostname: body.hostname, os: body.os, token_hash: sha256Hex(token), last_seen_at: now };
    const existing = await this.db.selectFrom("devices").select(["account_id"]).where("id", "=", body.deviceId).executeTakeFirst();
    if (existing && existing.account_id !== accountId) throw new HttpError(409, DEVICE_TEXT.otherAccount);
    if (!existing && (await this.db.selectFrom("removed_devices").select("device_id").where("device_id", "=", body.deviceId).executeTakeFirst())) {
      throw new HttpError(410, DEVICE_TEXT.removed);
    }
    if (existing) {
      await this.db.updateTable("devices").set(details).where("id", "=", body.deviceId).where("account_id", "=", accountId).execute();
      return { token, rotated: true };
    }
    await this.db
      .insertInto("devices")
      .values({ id: body.deviceId, account_id: accountId, created_at: now, ...details })
      .execute();
    return { token, rotated: false };
  }

  /** The device a token proves control of, or null. */
  async byToken(token: string): Promise<DeviceRow | null> {
    if (!isSecretTokenShaped(token)) return null;
    const row = await this.db.selectFrom("devices").select(["id", "account_id"]).where("token_hash", "=", sha256Hex(token)).executeTakeFirst();
    return row ?? null;
  }

  /** Checks the Bearer token against the claimed device id (401 unknown token, 403 another device's). */
  async authenticate(token: string | null, deviceId: string): Promise<DeviceRow> {
    return checkDevice(token ? await this.byToken(token) : null, deviceId);
  }

  /**
   * Authenticates the Bearer token as `authenticate` does (401, 403) and records a heartbeat for the
   * device: reported URLs get "now", URLs unreported for `sessionTtlMs` are dropped. One read of the
   * row (by token hash) serves both, inside the transaction that writes it.
   */
  async heartbeat(token: string, body: DeviceHeartbeatBody): Promise<void> {
    if (!isSecretTokenShaped(token)) throw new HttpError(401, DEVICE_TEXT.badToken);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom("devices").select(["id", "account_id", "sessions"]).where("token_hash", "=", sha256Hex(token)).executeTakeFirst();
      const row = checkDevice(found ?? null, body.deviceId);
      const merged = this.fresh(parseSessions(row.sessions), now);
      for (const url of body.sessions) merged[url] = now;
      // Several `taiku` processes may share a device, so reports merge; the newest win the cap.
      const kept = Object.entries(merged).sort((a, b) => b[1] - a[1]).slice(0, MAX_DEVICE_SESSIONS);
      await trx
        .updateTable("devices")
        .set({ last_seen_at: now, sessions: JSON.stringify(Object.fromEntries(kept)) })
        .where("id", "=", row.id)
        .execute();
    });
  }

  async touch(deviceId: string): Promise<void> {
    await this.db.updateTable("devices").set({ last_seen_at: this.now() }).where("id", "=", deviceId).execute();
  }

  async owned(accountId: string, deviceId: string): Promise<DeviceRow | null> {
    const row = await this.db.selectFrom("devices").select(["id", "account_id"]).where("id", "=", deviceId).where("account_id", "=", accountId).executeTakeFirst();
    return row ?? null;
  }

  /**
   * The account's devices, most recently seen first. `connected` says which have a daemon socket;
   * `isLive` drops session URLs the server knows have ended.
   */
  async list(accountId: string, opts: { all: boolean; connected: (id: string) => boolean; isLive: (url: string) => boolean }): Promise<DeviceSummary[]> {
    const now = this.now();
    const rows = await this.db.selectFrom("devices").selectAll().where("account_id", "=", accountId).orderBy("created_at", "asc").execute();
    const out: DeviceSummary[] = [];
    for (const r of rows) {
      const daemon = opts.connected(r.id);
      const lastSeen = daemon ? now : (r.last_seen_at ?? r.created_at);
      if (!opts.all && !daemon && now - lastSeen > this.settings.pruneMs) continue;
      const online = daemon || now - lastSeen <= this.settings.onlineMs;
      const sessions = online ? Object.keys(this.fresh(parseSessions(r.sessions), now)).filter(opts.isLive) : [];
      out.push({ deviceId: r.id, name: r.name, hostname: r.hostname, os: r.os, online, lastSeen, sessions, daemon });
    }
    return out.sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** Deletes the account's device and leaves its tombstone; false when it has no such device. */
  async remove(accountId: string, deviceId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom("devices").where("id", "=", deviceId).where("account_id", "=", accountId).executeTakeFirst();
      if (res.numDeletedRows === 0n) return false;
      const tombstone = { account_id: accountId, removed_at: this.now() };
      await trx
        .insertInto("removed_devices")
        .values({ device_id: deviceId, ...tombstone })
        .onConflict((oc) => oc.column("device_id").doUpdateSet(tombstone))
        .execute();
      return true;
    });
  }

  private fresh(map: SessionMap, now: number): SessionMap {
    return Object.fromEntries(Object.entries(map).filter(([, t]) => now - t <= this.settings.sessionTtlMs));
  }
}
