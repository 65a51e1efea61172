/**
 * User KV (§9.4, §11.3.3): persistent JSON values per account, per plugin, per key, in SQLite.
 * User-scoped routes under /api/v1/user-kv and the session-scoped forms that serve the session owner.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ERRORS } from "@taiku/protocol";
import type { Db } from "../db/database.js";
import { HttpError, sendText } from "../http/errors.js";
import { type OwnerDeps, resolveTarget, type ScopeParams, scopedPrefixes, type Target } from "./owner.js";
import type { UserKvLimits } from "./settings.js";
import { PLUGIN_TEXT } from "./texts.js";

const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8");

export class UserKvStore {
  constructor(
    private readonly db: Db,
    private readonly limits: UserKvLimits,
    private readonly now: () => number,
  ) {}

  async list(t: Target): Promise<Array<{ key: string; value: unknown }>> {
    const rows = await this.scope(t).select(["key", "value"]).orderBy("key").execute();
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown }));
  }

  /** The stored JSON text, or undefined when the key is absent. */
  async get(t: Target, key: string): Promise<string | undefined> {
    const row = await this.scope(t).select("value").where("key", "=", key).executeTakeFirst();
    return row?.value;
  }

  /** Writes one value; 413 when it alone, or the plugin's total, would exceed the caps. */
  async put(t: Target, key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    if (utf8Bytes(text) > this.limits.maxValueBytes) throw new HttpError(413, PLUGIN_TEXT.userKvQuota);
    const bytes = utf8Bytes(key) + utf8Bytes(text);
    // Check and write in one transaction so two concurrent writes cannot both squeeze under the cap.
    await this.db.transaction().execute(async (trx) => {
      const others = await trx
        .selectFrom("user_kv")
        .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.coalesce(eb.fn.sum<number>("bytes"), eb.lit(0)).as("total")])
        .where("account_id", "=", t.accountId)
        .where("plugin_id", "=", t.pluginId)
        .where("key", "!=", key)
        .executeTakeFirstOrThrow();
      if (Number(others.n) + 1 > this.limits.maxKeys || Number(others.total) + bytes > this.limits.maxTotalBytes) {
        throw new HttpError(413, PLUGIN_TEXT.userKvQuota);
      }
      const row = { value: text, bytes, updated_at: this.now() };
      await trx
        .insertInto("user_kv")
        .values({ account_id: t.accountId, plugin_id: t.pluginId, key, ...row })
        .onConflict((oc) => oc.columns(["account_id", "plugin_id", "key"]).doUpdateSet(row))
        .execute();
    });
  }

  async delete(t: Target, key: string): Promise<void> {
    await this.db
      .deleteFrom("user_kv")
      .where("account_id", "=", t.accountId)
      .where("plugin_id", "=", t.pluginId)
      .where("key", "=", key)
      .execute();
  }

  private scope(t: Target) {
    return this.db.selectFrom("user_kv").where("account_id", "=", t.accountId).where("plugin_id", "=", t.pluginId);
  }
}

type KeyParams = ScopeParams & { key: string };

export function registerUserKvRoutes(app: FastifyInstance, deps: OwnerDeps & { store: UserKvStore; limits: UserKvLimits }): void {
  const { store, limits } = deps;

  /** Store failures are reported with the documented text; HttpErrors (quota) pass through. */
  const db = async <T>(req: FastifyRequest, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      req.log.error({ err: { message: (err as Error).message } }, "user kv database error");
      throw new HttpError(500, ERRORS.databaseError);
    }
  };
  const checkKey = (key: string): string => {
    const chars = [...key].length;
    if (chars < 1 || chars > limits.maxKeyChars) throw new HttpError(400, PLUGIN_TEXT.invalidKey(limits.maxKeyChars));
    return key;
  };
  const sendJson = (reply: FastifyReply, jsonText: string) => reply.type("application/json; charset=utf-8").send(jsonText);

  // The JSON parser stops at this size; a body over it is an over-sized value, so it gets the quota text.
  const bodyLimit = limits.maxValueBytes + 1024;
  const putErrors = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return sendText(reply, 413, PLUGIN_TEXT.userKvQuota);
    throw err; // the app's error handler formats everything else
  };

  for (const prefix of scopedPrefixes("user-kv")) {
    app.get<{ Params: ScopeParams }>(`${prefix}/:pluginId`, async (req) => {
      const t = await resolveTarget(deps, req);
      return db(req, () => store.list(t));
    });

    app.get<{ Params: KeyParams }>(`${prefix}/:pluginId/:key`, async (req, reply) => {
      const t = await resolveTarget(deps, req);
      const value = await db(req, () => store.get(t, checkKey(req.params.key)));
      if (value === undefined) throw new HttpError(404, ERRORS.keyNotFound);
      return sendJson(reply, value);
    });

    app.put<{ Params: KeyParams; Body: unknown }>(`${prefix}/:pluginId/:key`, { bodyLimit, errorHandler: putErrors }, async (req) => {
      const t = await resolveTarget(deps, req);
      const key = checkKey(req.params.key);
      const body = req.body;
      if (typeof body !== "object" || body === null || Array.isArray(body) || !("value" in body)) {
        throw new HttpError(400, PLUGIN_TEXT.valueRequired);
      }
      await db(req, () => store.put(t, key, (body as { value: unknown }).value));
      return { ok: true };
    });

    // Idempotent: deleting an absent key is still `{ok:true}` (the spec lists no 404 for delete).
    app.delete<{ Params: KeyParams }>(`${prefix}/:pluginId/:key`, async (req) => {
      const t = await resolveTarget(deps, req);
      await db(req, () => store.delete(t, checkKey(req.params.key)));
      return { ok: true };
    });
  }
}
