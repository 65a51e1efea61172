/**
 * Accounts, passwords, browser sessions (`taiku_session`), API keys and one-time sign-in codes.
 * Implements the AccountResolver seam for the relay. Every stored secret is a SHA-256 (tokens.ts).
 */
import type { ApiKeyInfo } from "@taiku/protocol";
import type { Account, AccountResolver } from "../seams.js";
import type { Db } from "../db/database.js";
import { type Argon2Params, dummyVerify, hashPassword, verifyPassword } from "./passwords.js";
import { isApiKeyShaped, isSecretTokenShaped, newApiKey, newId, newSecretToken, sha256Hex } from "./tokens.js";

export interface AccountTimers {
  /** Lifetime of a `taiku_session` cookie. */
  webSessionTtlMs: number;
  /** Lifetime of a one-time sign-in code. */
  oneTimeCodeTtlMs: number;
  /** `last_used_at` is written at most this often per key, so reads do not become writes. */
  apiKeyTouchMs: number;
}

export const DEFAULT_ACCOUNT_TIMERS: AccountTimers = {
  webSessionTtlMs: 30 * 24 * 3600_000,
  oneTimeCodeTtlMs: 2 * 60_000,
  apiKeyTouchMs: 60_000,
};


export class EmailTakenError extends Error {}

/**
 * How long a successful API-key lookup is reused without reading the database. Revoking a key
 * through this service drops it at once; the bound only limits how long a change made outside this
 * process (another process on the same database) can go unseen.
 */
export const API_KEY_CACHE_MS = 5_000;
const API_KEY_CACHE_MAX = 10_000;

interface CachedKey {
  account: Account;
  keyId: string;
  lastUsedAt: number;
  at: number;
}

type AccountRow = { id: string; name: string; email: string | null };
const toAccount = (r: AccountRow): Account => (r.email === null ? { id: r.id, name: r.name } : { id: r.id, name: r.name, email: r.email });

export class AccountService implements AccountResolver {
  /** Recent successful API-key lookups by key hash (never failures). */
  private readonly keyCache = new Map<string, CachedKey>();
  /** Bumped after every revocation, so a lookup that raced with one is not cached. */
  private keyGeneration = 0;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly argon2: Argon2Params,
    private readonly timers: AccountTimers,
  ) {}

  async get(id: string): Promise<Account | null> {
    const row = await this.db.selectFrom("accounts").select(["id", "name", "email"]).where("id", "=", id).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  /** Creates an account; `password` null makes one that can only sign in by key or one-time code. */
  async create(name: string, email: string | null, password: string | null): Promise<Account> {
    const passwordHash = password === null ? null : await hashPassword(password, this.argon2);
    const row = { id: newId(), name, email, password_hash: passwordHash, created_at: this.now() };
    try {
      await this.db.insertInto("accounts").values(row).execute();
    } catch (err) {
      if (email !== null && (await this.emailExists(email))) throw new EmailTakenError("email already registered");
      throw err;
    }
    return toAccount(row);
  }

  private async emailExists(email: string): Promise<boolean> {
    return (await this.db.selectFrom("accounts").select("id").where("email", "=", email).executeTakeFirst()) !== undefined;
  }

  /** Null for an unknown email or a wrong password; both take the same Argon2 time. */
  async checkPassword(email: string, password: string): Promise<Account | null> {
    const row = await this.db
      .selectFrom("accounts")
      .select(["id", "name", "email", "password_hash"])
      .where("email", "=", email)
      .executeTakeFirst();
    if (!row || row.password_hash === null) return dummyVerify(password, this.argon2).then(() => null);
    return (await verifyPassword(password, row.password_hash)) ? toAccount(row) : null;
  }

  // ---- browser sessions -------------------------------------------------------------------

  /** Returns the raw cookie token (only its hash is stored). */
  async createWebSession(accountId: string): Promise<string> {
    const token = newSecretToken();
    const now = this.now();
    // Opportunistic cleanup keeps the table from growing with abandoned sessions.
    await this.db.deleteFrom("web_sessions").where("expires_at", "<=", now).execute();
    await this.db
      .insertInto("web_sessions")
      .values({ token_hash: sha256Hex(token), account_id: accountId, expires_at: now + this.timers.webSessionTtlMs })
      .execute();
    return token;
  }

  async deleteWebSession(token: string): Promise<void> {
    await this.db.deleteFrom("web_sessions").where("token_hash", "=", sha256Hex(token)).execute();
  }

  async fromSessionCookie(token: string): Promise<Account | null> {
    if (!isSecretTokenShaped(token)) return null;
    const row = await this.db
      .selectFrom("web_sessions")
      .innerJoin("accounts", "accounts.id", "web_sessions.account_id")
      .select(["accounts.id", "accounts.name", "accounts.email", "web_sessions.expires_at"])
      .where("web_sessions.token_hash", "=", sha256Hex(token))
      .executeTakeFirst();
    return row && row.expires_at > this.now() ? toAccount(row) : null;
  }

  // ---- API keys ---------------------------------------------------------------------------

  async createApiKey(accountId: string, label: string): Promise<{ id: string; apiKey: string }> {
    const apiKey = newApiKey();
    const id = newId();
    await this.db
      .insertInto("api_keys")
      .values({ id, account_id: accountId, label, key_hash: sha256Hex(apiKey), created_at: this.now(), last_used_at: null, revoked: 0 })
      .execute();
    return { id, apiKey };
  }

  /** `presentedKey`: the API key the listing request carried, marked `current` (what `taiku logout` revokes). */
  async listApiKeys(accountId: string, presentedKey: string | null): Promise<ApiKeyInfo[]> {
    const presentedHash = presentedKey === null ? null : sha256Hex(presentedKey);
    const rows = await this.db
      .selectFrom("api_keys")
      .select(["id", "label", "created_at", "last_used_at", "key_hash"])
      .where("account_id", "=", accountId)
      .where("revoked", "=", 0)
      .orderBy("created_at", "asc")
      .execute();
    return rows.map((r) => ({ id: r.id, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at, current: r.key_hash === presentedHash }));
  }

  /** False when the key does not exist, is already revoked, or belongs to someone else. */
  async revokeApiKey(accountId: string, keyId: string): Promise<boolean> {
    const res = await this.db
      .updateTable("api_keys")
      .set({ revoked: 1 })
      .where("id", "=", keyId)
      .where("account_id", "=", accountId)
      .where("revoked", "=", 0)
      .executeTakeFirst();
    // After the update: a lookup that read the row before it must not cache it (see fromApiKey).
    this.keyGeneration++;
    for (const [hash, hit] of this.keyCache) if (hit.keyId === keyId) this.keyCache.delete(hash);
    return res.numUpdatedRows > 0n;
  }

  async fromApiKey(apiKey: string): Promise<Account | null> {
    if (!isApiKeyShaped(apiKey)) return null;
    const hash = sha256Hex(apiKey);
    const hit = this.keyCache.get(hash);
    if (hit) {
      const now = this.now();
      if (now >= hit.at && now - hit.at < API_KEY_CACHE_MS && now - hit.lastUsedAt < this.timers.apiKeyTouchMs) return hit.account;
      this.keyCache.delete(hash);
    }
    const generation = this.keyGeneration;
    const row = await this.db
      .selectFrom("api_keys")
      .innerJoin("accounts", "accounts.id", "api_keys.account_id")
      .select(["accounts.id", "accounts.name", "accounts.email", "api_keys.id as key_id", "api_keys.last_used_at"])
      .where("api_keys.key_hash", "=", hash)
      .where("api_keys.revoked", "=", 0)
      .executeTakeFirst();
    if (!row) return null;
    const now = this.now();
    let lastUsedAt = row.last_used_at;
    if (lastUsedAt === null || now - lastUsedAt >= this.timers.apiKeyTouchMs) {
      await this.db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", row.key_id).execute();
      lastUsedAt = now;
    }
    const account = toAccount(row);
    if (generation === this.keyGeneration) {
      if (this.keyCache.size >= API_KEY_CACHE_MAX) this.keyCache.clear();
      this.keyCache.set(hash, { account, keyId: row.key_id, lastUsedAt, at: now });
    }
    return account;
  }

  // ---- one-time sign-in codes -------------------------------------------------------------

  async issueOneTimeCode(accountId: string): Promise<string> {
    const code = newSecretToken();
    const now = this.now();
    await this.db.deleteFrom("one_time_codes").where("expires_at", "<=", now).execute();
    await this.db
      .insertInto("one_time_codes")
      .values({ code_hash: sha256Hex(code), account_id: accountId, expires_at: now + this.timers.oneTimeCodeTtlMs, used: 0 })
      .execute();
    return code;
  }

  /** Single use: the conditional update lets exactly one concurrent redeemer win. */
  async redeemOneTimeCode(code: string): Promise<Account | null> {
    if (!isSecretTokenShaped(code)) return null;
    const hash = sha256Hex(code);
    const res = await this.db
      .updateTable("one_time_codes")
      .set({ used: 1 })
      .where("code_hash", "=", hash)
      .where("used", "=", 0)
      .where("expires_at", ">", this.now())
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return null;
    const row = await this.db.selectFrom("one_time_codes").select("account_id").where("code_hash", "=", hash).executeTakeFirstOrThrow();
    return this.get(row.account_id);
  }
}
