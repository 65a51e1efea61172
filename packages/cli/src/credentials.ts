/**
 * `~/.config/taiku/credentials` (spec §14.4): JSON, mode 0600. `TAIKU_CONFIG_DIR` overrides the
 * directory. Writes go through a temp file + rename so a crash never leaves half a file.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";

export interface Credentials {
  server: string;
  apiKey: string;
  userId: string;
  userName: string;
  deviceId: string;
  deviceToken: string;
}

export function configDir(env: NodeJS.ProcessEnv, homedir: string): string {
  return env.TAIKU_CONFIG_DIR || join(homedir, ".config", "taiku");
}

export const credentialsPath = (dir: string): string => join(dir, "credentials");

/** Returns null when there is no file; throws with a clear message when it is unreadable JSON. */
export async function loadCredentials(dir: string): Promise<Credentials | null> {
  let text: string;
  try {
    text = await readFile(credentialsPath(dir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${credentialsPath(dir)} is not valid JSON; run 'taiku logout' and 'taiku login' again`);
  }
  const c = data as Partial<Credentials>;
  if (typeof c !== "object" || c === null || typeof c.server !== "string" || typeof c.apiKey !== "string") {
    throw new Error(`${credentialsPath(dir)} lacks server/apiKey; run 'taiku login' again`);
  }
  return {
    server: c.server,
    apiKey: c.apiKey,
    userId: String(c.userId ?? ""),
    userName: String(c.userName ?? ""),
    deviceId: String(c.deviceId ?? ""),
    deviceToken: String(c.deviceToken ?? ""),
  };
}

export async function saveCredentials(dir: string, creds: Credentials): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(dir);
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, JSON.stringify(creds, null, 2) + "\n", { mode: 0o600 });
  // writeFile's mode is filtered by the umask; set it explicitly.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Returns whether a file was removed. */
export async function removeCredentials(dir: string): Promise<boolean> {
  try {
    await rm(credentialsPath(dir));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
