/**
 * The vault: OAuth tokens, PKCE verifiers and client secrets encrypted at rest with AES-256-GCM.
 * Every sealed value records the id of the key that sealed it (`v1.<kid>.<iv>.<ciphertext+tag>`), and
 * the additional authenticated data binds it to its row and field, so a ciphertext copied into another
 * row does not decrypt. Keys: the first line of `$TAIKU_HOME/vault.key` (or env TAIKU_VAULT_KEY) is the
 * current key; further lines are older keys that stay readable until `rotate` re-encrypts every record.
 * Nothing sealed here is ever sent to a browser or a plugin.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const VAULT_KEY_FILE = "vault.key";
export const VAULT_KEY_ENV = "TAIKU_VAULT_KEY";

export const vaultKeyHelp = (home: string): string =>
  `Integrations need a vault key to encrypt OAuth tokens at rest. Create one with\n` +
  `  openssl rand -base64 32 > ${join(home, VAULT_KEY_FILE)} && chmod 600 ${join(home, VAULT_KEY_FILE)}\n` +
  `or set ${VAULT_KEY_ENV} to 32 random bytes in base64 (e.g. the output of \`openssl rand -base64 32\`).`;

export class VaultKeyError extends Error {}

/** Parses one base64 key (32 bytes). */
export function parseVaultKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) throw new VaultKeyError(`vault key must be 32 bytes in base64 (got ${key.length} bytes)`);
  return key;
}

export const keyId = (key: Buffer): string => createHash("sha256").update("taiku-vault-kid").update(key).digest("hex").slice(0, 12);

/** Reads the keys: explicit option, else env, else the key file. Throws VaultKeyError with the how-to. */
export async function loadVaultKeys(home: string, explicit?: string | string[], env: NodeJS.ProcessEnv = process.env): Promise<Buffer[]> {
  let lines: string[] | null = null;
  if (explicit !== undefined) lines = Array.isArray(explicit) ? explicit : explicit.split(/\r?\n/);
  else if (env[VAULT_KEY_ENV]) lines = env[VAULT_KEY_ENV]!.split(/[\s,]+/);
  else {
    const text = await readFile(join(home, VAULT_KEY_FILE), "utf8").catch(() => null);
    if (text !== null) lines = text.split(/\r?\n/);
  }
  const keys = (lines ?? []).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (keys.length === 0) throw new VaultKeyError(vaultKeyHelp(home));
  try {
    return keys.map(parseVaultKey);
  } catch (err) {
    throw new VaultKeyError(`${(err as Error).message}\n${vaultKeyHelp(home)}`);
  }
}

export class Vault {
  private readonly keys = new Map<string, Buffer>();
  private current: string;

  /** `keys[0]` seals; all of them open. */
  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new VaultKeyError("no vault key");
    for (const k of keys) this.keys.set(keyId(k), k);
    this.current = keyId(keys[0]!);
  }

  get currentKeyId(): string {
    return this.current;
  }

  /** Makes `key` the sealing key; older keys stay readable until dropped. */
  addCurrentKey(key: Buffer): string {
    const id = keyId(key);
    this.keys.set(id, key);
    this.current = id;
    return id;
  }

  dropKeysExcept(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of [...this.keys.keys()]) if (!keep.has(id)) this.keys.delete(id);
  }

  /** `aad` names where the value lives, e.g. "connection:<id>:tokens". */
  seal(plaintext: string, aad: string): string {
    const key = this.keys.get(this.current)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `v1.${this.current}.${iv.toString("base64url")}.${ct.toString("base64url")}`;
  }

  open(sealed: string, aad: string): string {
    const [v, kid, ivText, ctText] = sealed.split(".");
    if (v !== "v1" || !kid || !ivText || !ctText) throw new Error("vault: malformed record");
    const key = this.keys.get(kid);
    if (!key) throw new Error(`vault: record sealed with unknown key ${kid} (add the old key to ${VAULT_KEY_FILE} to read it)`);
    const ct = Buffer.from(ctText, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]).toString("utf8");
  }

  static keyIdOf(sealed: string): string | undefined {
    return sealed.split(".")[1];
  }
}
