/**
 * Vault key rotation: make a new key current, re-encrypt every sealed record under it in one
 * transaction, then drop the old keys. Used by the admin route and (later) `taiku integrations rotate-key`.
 * The caller writes the new key file (new key first) before and trims it after, so a crash in between
 * leaves every record readable.
 */
import type { Kysely } from "kysely";
import type { IntegrationsTables } from "./service.js";
import { Vault } from "./vault.js";

export async function rotateVaultKey(db: Kysely<IntegrationsTables>, vault: Vault, newKey: Buffer): Promise<{ keyId: string; records: number }> {
  const keyId = vault.addCurrentKey(newKey);
  let records = 0;
  await db.transaction().execute(async (trx) => {
    const apps = await trx.selectFrom("integration_apps").select(["toolkit", "client_secret"]).where("client_secret", "is not", null).execute();
    for (const a of apps) {
      const aad = `app:${a.toolkit}:client_secret`;
      await trx.updateTable("integration_apps").set({ client_secret: vault.seal(vault.open(a.client_secret!, aad), aad), key_id: keyId }).where("toolkit", "=", a.toolkit).execute();
      records++;
    }
    const conns = await trx.selectFrom("integration_connections").select(["id", "tokens", "pkce_verifier"]).execute();
    for (const c of conns) {
      const tAad = `connection:${c.id}:tokens`;
      const pAad = `connection:${c.id}:pkce`;
      await trx
        .updateTable("integration_connections")
        .set({
          tokens: c.tokens ? vault.seal(vault.open(c.tokens, tAad), tAad) : null,
          pkce_verifier: c.pkce_verifier ? vault.seal(vault.open(c.pkce_verifier, pAad), pAad) : null,
          key_id: keyId,
        })
        .where("id", "=", c.id)
        .execute();
      records++;
    }
  });
  vault.dropKeysExcept([keyId]);
  return { keyId, records };
}
