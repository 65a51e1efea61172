/**
 * The local owner: the person running `taiku` / `taiku serve` on this machine. On first start an
 * account (named after the OS user) and an API key are created and the key is written to
 * `$TAIKU_HOME/owner-token` (0600), so the embedded CLI can own its sessions without a login.
 * Later starts reuse the file; if it is lost or its key revoked, a new key is minted for the
 * same account (remembered in server_meta).
 */
import { readFile, writeFile, chmod } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { Account } from "../seams.js";
import type { Db } from "../db/database.js";
import type { AccountService } from "./accounts.js";

const OWNER_KEY = "owner_account_id";
export const OWNER_TOKEN_FILE = "owner-token";

function osUserName(): string {
  try {
    return userInfo().username || "owner";
  } catch {
    return "owner"; // no passwd entry (some containers)
  }
}

export async function ensureLocalOwner(db: Db, accounts: AccountService, home: string): Promise<{ account: Account; token: string }> {
  const file = join(home, OWNER_TOKEN_FILE);
  const saved = await readFile(file, "utf8").then((s) => s.trim(), () => null);
  if (saved) {
    const account = await accounts.fromApiKey(saved);
    if (account) return { account, token: saved };
  }
  const meta = await db.selectFrom("server_meta").select("value").where("key", "=", OWNER_KEY).executeTakeFirst();
  let account = meta ? await accounts.get(meta.value) : null;
  if (!account) {
    account = await accounts.create(osUserName().slice(0, 64), null, null);
    await db
      .insertInto("server_meta")
      .values({ key: OWNER_KEY, value: account.id })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: account!.id }))
      .execute();
  }
  const { apiKey } = await accounts.createApiKey(account.id, "local owner");
  await writeFile(file, apiKey + "\n", { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode only applies when the file is created
  return { account, token: apiKey };
}
