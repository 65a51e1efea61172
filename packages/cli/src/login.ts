/**
 * `taiku login` (device code, spec §11.3.8), `taiku logout`, `taiku whoami`.
 * Credentials live in `$TAIKU_CONFIG_DIR` or `~/.config/taiku` (credentials.ts).
 */
import { hostname, platform } from "node:os";
import { accountInfo, apiKeyList, cliLoginPollAnswer, cliLoginStartAnswer } from "@taiku/protocol";
import type { z } from "zod";
import type { AccountArgs } from "./args.js";
import { configDir, credentialsPath, loadCredentials, removeCredentials, saveCredentials } from "./credentials.js";
import { CliError, EXIT } from "./exit-codes.js";
import { postJson } from "./http-json.js";
import type { CliIo } from "./io.js";
import { machineDescription } from "./devices/device-api.js";

export const DEFAULT_SERVER = "https://taiku.live";

export interface LoginTiming {
  /** Sleep between polls; tests pass a fast one. */
  sleep(ms: number): Promise<void>;
  now(): number;
}

const realTiming: LoginTiming = { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => Date.now() };

/** A login route's answer: any status; a body that is not JSON stands as `{ error: text }`. */
async function post(io: CliIo, url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const { status, text } = await postJson(io, url, body, { unreachable: (err) => new CliError(`cannot reach ${new URL(url).origin}: ${err.message}`) });
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: text };
  }
  return { status, json };
}

/** A server answer in the shape `schema` names, or an error that says which route answered what. */
function answerOf<S extends z.ZodType>(schema: S, json: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.map(String).join(".")}` : "";
    throw new CliError(`the server's answer to ${what} is not what taiku expects (${issue?.message ?? "invalid"}${where}); is --server a taiku server of this version?`);
  }
  return parsed.data;
}

function errorText(json: unknown): string {
  const e = (json as { error?: unknown } | null)?.error;
  return typeof e === "string" ? e : "";
}

/** What `cli/start` is told about this machine, within the server's field limits (`cliLoginStartBody`). */
export function loginDevice(host: string, os: string): { deviceName: string; hostname: string; os: string } {
  const { name, ...rest } = machineDescription(host, os);
  return { deviceName: name, ...rest };
}

export async function runLogin(args: AccountArgs, io: CliIo, timing: LoginTiming = realTiming): Promise<number> {
  const dir = configDir(io.env, io.homedir);
  const existing = await loadCredentials(dir).catch(() => null);
  const server = args.server ?? existing?.server ?? DEFAULT_SERVER;
  const start = await post(io, `${server}/api/v1/auth/cli/start`, loginDevice(hostname(), platform()));
  if (start.status !== 200) throw new CliError(`login could not start (HTTP ${start.status}${errorText(start.json) ? `: ${errorText(start.json)}` : ""})`);
  const s = answerOf(cliLoginStartAnswer, start.json, "the login start");
  io.stdout.write(`To sign in, open ${s.verifyUrl}\nand confirm the code: ${s.code}\nWaiting for approval…\n`);
  const deadline = timing.now() + s.expiresIn * 1000;
  const interval = s.interval * 1000;
  while (timing.now() < deadline) {
    await timing.sleep(interval);
    const poll = await post(io, `${server}/api/v1/auth/cli/poll`, { pollToken: s.pollToken });
    if (poll.status === 202) continue;
    if (poll.status === 410) throw new CliError("the login code expired; run 'taiku login' again", EXIT.auth);
    if (poll.status !== 200) throw new CliError(`login failed (HTTP ${poll.status}${errorText(poll.json) ? `: ${errorText(poll.json)}` : ""})`, EXIT.auth);
    const p = answerOf(cliLoginPollAnswer, poll.json, "the login poll");
    await saveCredentials(dir, { server, apiKey: p.apiKey, userId: p.user.id, userName: p.user.name, deviceId: p.deviceId, deviceToken: p.deviceToken });
    io.stdout.write(`Signed in to ${server} as ${p.user.name}. Credentials saved to ${credentialsPath(dir)}\n`);
    return EXIT.ok;
  }
  throw new CliError("the login code expired; run 'taiku login' again", EXIT.auth);
}

export async function runLogout(_args: AccountArgs, io: CliIo): Promise<number> {
  const dir = configDir(io.env, io.homedir);
  const creds = await loadCredentials(dir).catch(() => null);
  if (creds) {
    // Revoke the key server-side (best effort: the local file goes either way).
    const warning = await revokeStoredKey(io, creds.server, creds.apiKey);
    if (warning) io.stderr.write(`warning: ${warning}\n`);
  }
  const removed = await removeCredentials(dir);
  io.stdout.write(removed ? "Signed out; credentials removed.\n" : "Not signed in.\n");
  return EXIT.ok;
}

/** Revokes the API key the request carries (the list marks it `current`); a warning text when that could not be done. */
async function revokeStoredKey(io: CliIo, server: string, apiKey: string): Promise<string | null> {
  const headers = { "X-Taiku-Token": apiKey };
  try {
    const list = await io.fetch(`${server}/api/v1/auth/api-keys`, { headers });
    // 401: the key is already revoked or unknown there; nothing is left to revoke.
    if (list.status === 401) return null;
    if (!list.ok) return `${server} answered HTTP ${list.status} when listing API keys; revoke the key from the account page`;
    const current = answerOf(apiKeyList, await list.json(), "the API key list").find((k) => k.current);
    if (!current) return `${server} did not mark the stored API key; revoke it from the account page`;
    const res = await io.fetch(`${server}/api/v1/auth/api-keys/${encodeURIComponent(current.id)}`, { method: "DELETE", headers });
    return res.ok ? null : `${server} answered HTTP ${res.status} when revoking the API key; revoke it from the account page`;
  } catch (err) {
    if (err instanceof CliError) return `${err.message}; revoke the key from the account page`;
    return `could not reach ${server} to revoke the API key`;
  }
}

export async function runWhoami(args: AccountArgs, io: CliIo): Promise<number> {
  const creds = await loadCredentials(configDir(io.env, io.homedir));
  const server = args.server ?? creds?.server;
  const token = args.token ?? (creds && server === creds.server ? creds.apiKey : undefined);
  if (!server || !token) throw new CliError("not signed in; run 'taiku login'", EXIT.auth);
  let res: Response;
  try {
    res = await io.fetch(`${server}/api/v1/auth/me`, { headers: { "X-Taiku-Token": token } });
  } catch (err) {
    throw new CliError(`cannot reach ${server}: ${(err as Error).message}`);
  }
  if (res.status === 401 || res.status === 403) throw new CliError(`${server} does not accept the stored API key; run 'taiku login'`, EXIT.auth);
  if (!res.ok) throw new CliError(`${server} answered HTTP ${res.status}`);
  const me = answerOf(accountInfo, await res.json().catch(() => null), "/api/v1/auth/me");
  io.stdout.write(`${me.name}${me.email ? ` <${me.email}>` : ""} on ${server}\n`);
  return EXIT.ok;
}
