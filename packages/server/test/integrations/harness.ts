/**
 * Integrations test scaffolding: a real authorization server (oidc-provider), provider stand-ins,
 * a taiku server with integrations on and `egressHosts` pointing at the stand-ins, and the connect
 * flow driven over HTTP exactly as a browser popup would.
 */
import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import { start, type Started } from "../app/helpers.js";
import type { ServerOptions } from "../../src/index.js";
import { authorize, startAs, type RealAs } from "./standins/oauth-server.js";

export const CALLBACK = "/api/v1/integrations/callback";
export const newVaultKey = (): string => randomBytes(32).toString("base64");

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});
export const onCleanup = (fn: () => Promise<void>) => cleanups.push(fn);

export async function realAs(opts: Parameters<typeof startAs>[0] = {}): Promise<RealAs> {
  const as = await startAs(opts);
  onCleanup(() => as.close());
  return as;
}

/** App config pointing a built-in toolkit at the real AS (RFC 7009 revocation). */
export const asApp = (as: RealAs, clientId: string, scopes: string[]) => ({
  clientId,
  clientSecret: `secret-of-${clientId}`,
  scopes,
  issuer: as.issuer,
  ...as.endpoints,
  revocationStyle: "rfc7009" as const,
});

export interface Taiku extends Started {
  key: string;
  headers: Record<string, string>;
  publicUrl: string;
}

export async function startTaiku(options: Partial<ServerOptions>): Promise<Taiku> {
  const s = await start({ ...options, integrations: { enabled: true, vaultKey: newVaultKey(), ...options.integrations } });
  const key = s.server.ownerToken;
  return { ...s, key, headers: { "x-taiku-token": key }, publicUrl: s.server.publicUrl };
}

/** Registers the taiku callback as the redirect URI of these clients at the AS. */
export function registerClients(as: RealAs, t: Taiku, clientIds: string[]): void {
  as.setClients(clientIds.map((id) => ({ client_id: id, client_secret: `secret-of-${id}`, redirect_uris: [`${t.publicUrl}${CALLBACK}`] })));
}

/** The callback URL the AS redirected to, fetched from taiku over loopback (publicUrl says localhost). */
export async function followCallback(t: Taiku, callbackUrl: string) {
  const u = new URL(callbackUrl);
  return t.http.get(u.pathname + u.search);
}

/** POST connections → consent at the AS → callback. Returns the connect answer and the callback page. */
export async function connect(t: Taiku, toolkit: string, opts: { abort?: boolean; login?: string; headers?: Record<string, string>; hosts?: Record<string, string> } = {}) {
  const res = await t.http.post("/api/v1/integrations/connections", { toolkit }, { ...t.headers, ...opts.headers });
  if (res.status !== 200) throw new Error(`connect failed: ${res.status} ${res.text}`);
  const answer = res.json<{ connectionId: string; redirectUrl: string; status: string }>();
  const cb = await authorize(answer.redirectUrl, `${t.publicUrl}${CALLBACK}`, opts);
  const page = await followCallback(t, cb);
  return { answer, page, callbackUrl: cb };
}

export async function connections(t: Taiku, headers = t.headers) {
  const res = await t.http.get("/api/v1/integrations/connections", headers);
  return res.json<{ connections: Array<{ id: string; toolkit: string; status: string }> }>().connections;
}

export function execute(t: Taiku, toolkit: string, action: string, args: unknown, headers: Record<string, string> = {}) {
  return t.http.post("/api/v1/integrations/execute", { toolkit, action, arguments: args }, { ...t.headers, ...headers });
}
