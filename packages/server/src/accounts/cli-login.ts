/**
 * Device-code login for `taiku login` (§11.3.8): the CLI starts a login and polls with a secret
 * poll token; the person approves the short user code in a signed-in browser (/verify). The first
 * poll after approval mints an API key and a device record and consumes the login.
 */
import type { CliLoginPollAnswer, CliLoginStartAnswer } from "@taiku/protocol";
import type { Account } from "../seams.js";
import type { Db } from "../db/database.js";
import type { AccountService } from "./accounts.js";
import { newId, newSecretToken, newUserCode, normalizeUserCode, sha256Hex } from "./tokens.js";

export interface CliLoginTimers {
  /** How long a started login can be approved and polled (spec: expiresIn 600). */
  ttlMs: number;
  /** Poll interval the CLI is told to use (spec: 2 s). */
  pollIntervalMs: number;
}
export const DEFAULT_CLI_LOGIN_TIMERS: CliLoginTimers = { ttlMs: 600_000, pollIntervalMs: 2_000 };

export type CliPollResult = { status: "pending" } | { status: "expired" } | ({ status: "approved" } & CliLoginPollAnswer);

export class CliLoginService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountService,
    private readonly now: () => number,
    private readonly timers: CliLoginTimers,
    /** Read per call: with port 0 the public URL is known only after listening. */
    private readonly publicUrl: () => string,
  ) {}

  async start(device: { deviceName: string; hostname: string; os: string }): Promise<CliLoginStartAnswer> {
    const now = this.now();
    await this.db.deleteFrom("cli_logins").where("expires_at", "<=", now).execute();
    const pollToken = newSecretToken();
    // A user code collision with a live login is astronomically rare but would be a unique violation; retry.
    for (let attempt = 0; ; attempt++) {
      const code = newUserCode();
      try {
        await this.db
          .insertInto("cli_logins")
          .values({
            poll_hash: sha256Hex(pollToken),
            user_code: code,
            device_name: device.deviceName,
            hostname: device.hostname,
            os: device.os,
            expires_at: now + this.timers.ttlMs,
            approved_account_id: null,
            consumed: 0,
          })
          .execute();
        return {
          code,
          verifyUrl: `${this.publicUrl()}/verify?code=${code}`,
          pollToken,
          expiresIn: Math.round(this.timers.ttlMs / 1000),
          interval: Math.round(this.timers.pollIntervalMs / 1000),
        };
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  /** Binds a pending login to the approving account; false when the code is unknown or expired. */
  async approve(code: string, account: Account): Promise<boolean> {
    const res = await this.db
      .updateTable("cli_logins")
      .set({ approved_account_id: account.id })
      .where("user_code", "=", normalizeUserCode(code))
      .where("approved_account_id", "is", null)
      .where("consumed", "=", 0)
      .where("expires_at", ">", this.now())
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async poll(pollToken: string): Promise<CliPollResult> {
    const hash = sha256Hex(pollToken);
    const row = await this.db.selectFrom("cli_logins").selectAll().where("poll_hash", "=", hash).executeTakeFirst();
    if (!row || row.consumed !== 0 || row.expires_at <= this.now()) return { status: "expired" };
    if (row.approved_account_id === null) return { status: "pending" };
    // Consume first (conditional update), so two racing polls cannot both mint a key.
    const res = await this.db
      .updateTable("cli_logins")
      .set({ consumed: 1 })
      .where("poll_hash", "=", hash)
      .where("consumed", "=", 0)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return { status: "expired" };
    const account = await this.accounts.get(row.approved_account_id);
    if (!account) return { status: "expired" };
    const { apiKey } = await this.accounts.createApiKey(account.id, `taiku login on ${row.device_name || row.hostname}`.slice(0, 128));
    const deviceId = newId();
    const deviceToken = newSecretToken();
    await this.db
      .insertInto("devices")
      .values({
        id: deviceId,
        account_id: account.id,
        name: row.device_name,
        hostname: row.hostname,
        os: row.os,
        token_hash: sha256Hex(deviceToken),
        created_at: this.now(),
      })
      .execute();
    return { status: "approved", apiKey, user: { id: account.id, name: account.name }, deviceId, deviceToken };
  }
}
