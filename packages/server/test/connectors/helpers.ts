/** Connector tests: a taiku server with integrations + connectors, stand-ins reached through egressHosts. */
import { createHmac } from "node:crypto";
import { expect } from "vitest";
import type { Taiku } from "../integrations/harness.js";

export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function createConnection(t: Taiku, connector: string) {
  const res = await t.http.post("/api/v1/connectors/connections", { connector }, t.headers);
  expect(res.status, res.text).toBe(200);
  return res.json<{ connection: { id: string; accountName: string | null }; channels: Array<{ id: string; title: string; enabled: boolean }> }>();
}

export async function setChannel(t: Taiku, connection: string, channel: string, enabled: boolean) {
  const res = await t.http.req("PUT", `/api/v1/connectors/connections/${connection}/channels/${encodeURIComponent(channel)}`, { body: { enabled }, headers: t.headers });
  expect(res.status, res.text).toBe(200);
  return res.json();
}

export async function channels(t: Taiku, connection: string) {
  const res = await t.http.get(`/api/v1/connectors/connections/${connection}/channels`, t.headers);
  expect(res.status, res.text).toBe(200);
  return res.json<{ connection: { needsReauth: boolean; webhooks: string }; channels: Array<{ id: string; enabled: boolean; sync: string; threads: number; lastError: string | null }> }>();
}

export async function allThreads(t: Taiku, query = "") {
  const out: Array<{ id: string; title: string; link: { id: string; source: string; status: string | null; type: string | null } | null }> = [];
  let before: string | null = null;
  for (;;) {
    const res = await t.http.get(`/api/v1/inbox/threads?limit=200${before !== null ? `&before=${before}` : ""}${query}`, t.headers);
    expect(res.status, res.text).toBe(200);
    const page = res.json<{ threads: typeof out; next: string | null }>();
    out.push(...page.threads);
    if (page.next === null) return out;
    before = page.next;
  }
}

export function sign(secret: string, raw: string, prefix = ""): string {
  return prefix + createHmac("sha256", secret).update(raw).digest("hex");
}
