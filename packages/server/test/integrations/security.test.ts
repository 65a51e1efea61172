/** State, PKCE and code replay; the vault at rest; key rotation; missing key. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { start, tempHome } from "../app/helpers.js";
import { startServer } from "../../src/index.js";
import { Vault, parseVaultKey } from "../../src/integrations/vault.js";
import { startGithub } from "./standins/github.js";
import { authorize } from "./standins/oauth-server.js";
import { asApp, CALLBACK, connect, connections, execute, followCallback, newVaultKey, onCleanup, realAs, registerClients, startTaiku } from "./harness.js";

async function setup(vaultKey = newVaultKey()) {
  const as = await realAs();
  const gh = await startGithub({ verify: (t) => as.verify(t) });
  onCleanup(() => gh.close());
  const t = await startTaiku({ integrations: { vaultKey, apps: { github: asApp(as, "taiku-github", ["repo"]) } }, egressHosts: { "api.github.com": gh.url } });
  registerClients(as, t, ["taiku-github"]);
  return { as, gh, t, vaultKey };
}

async function dbDump(home: string): Promise<string> {
  const parts = await Promise.all(["taiku.db", "taiku.db-wal"].map((f) => readFile(join(home, f)).catch(() => Buffer.alloc(0))));
  return Buffer.concat(parts).toString("latin1");
}

describe("authorization security", () => {
  it("rejects an unknown state, a replayed callback and a code obtained with another PKCE challenge", async () => {
    const { as, t } = await setup();
    const forged = await t.http.get(`${CALLBACK}?code=abc&state=not-a-state`);
    expect(forged.status).toBe(400);
    expect(forged.text).toContain("Unknown or already used authorization state");

    // PKCE: an attacker swaps the code_challenge in the authorization URL; the code is then useless with our verifier.
    const res = await t.http.post("/api/v1/integrations/connections", { toolkit: "github" }, t.headers);
    const tampered = new URL(res.json().redirectUrl);
    tampered.searchParams.set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    const cb = await authorize(tampered.href, `${t.publicUrl}${CALLBACK}`);
    const page = await followCallback(t, cb);
    expect(page.status).toBe(400);
    expect(page.text).toContain("invalid_grant");
    expect(await connections(t)).toEqual([expect.objectContaining({ status: "FAILED" })]);
    expect(as.grants.authorization_code ?? 0).toBe(0);

    // A good flow, then the same callback again (replayed code + state).
    const ok = await connect(t, "github");
    expect(ok.page.status).toBe(200);
    const replay = await followCallback(t, ok.callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain("Unknown or already used authorization state");
    expect(await connections(t)).toEqual([expect.objectContaining({ status: "ACTIVE" })]);
    expect(as.grants.authorization_code).toBe(1);
  });

  it("keeps tokens, verifiers and client secrets out of the database file; rotation re-encrypts under a new key", async () => {
    const { gh, t, vaultKey } = await setup();
    // The admin registers the app over HTTP, so its client secret lands in the database (sealed).
    const put = await t.http.req("PUT", "/api/v1/integrations/admin/apps/linear", { body: { clientId: "lin-client", clientSecret: "LINEAR-CLIENT-SECRET-PLAINTEXT" }, headers: t.headers });
    expect(put.status).toBe(200);
    await connect(t, "github");
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "x" })).status).toBe(200);
    const token = String(gh.log.at(-1)!.headers.authorization).replace("Bearer ", "");
    expect(token.length).toBeGreaterThan(20);

    const dump = await dbDump(t.home);
    expect(dump).toContain("integration_connections");
    expect(dump).not.toContain(token);
    expect(dump).not.toContain("LINEAR-CLIENT-SECRET-PLAINTEXT");
    const oldKid = new Vault([parseVaultKey(vaultKey)]).currentKeyId;
    expect(dump).toContain(`v1.${oldKid}.`);

    // Rotation: every record re-encrypted under the new key; the old key alone no longer opens anything.
    const newKey = newVaultKey();
    const rot = await t.http.post("/api/v1/integrations/admin/rotate-key", { key: newKey }, t.headers);
    expect(rot.status).toBe(200);
    const newKid = new Vault([parseVaultKey(newKey)]).currentKeyId;
    expect(rot.json()).toMatchObject({ ok: true, keyId: newKid, records: 2 });
    expect((await execute(t, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "after rotation" })).status).toBe(200);
    await t.server.close();
    const after = await dbDump(t.home);
    expect(after).not.toContain(`v1.${oldKid}.`);

    // Restart with only the new key: everything still readable.
    const again = await startTaiku({ home: t.home, integrations: { vaultKey: newKey, apps: {} }, egressHosts: { "api.github.com": gh.url } });
    expect(await connections(again)).toEqual([expect.objectContaining({ status: "ACTIVE" })]);
    await again.server.close();
    // With only the old key, the sealed records do not open.
    const stale = await startTaiku({ home: t.home, integrations: { vaultKey, apps: {} }, egressHosts: { "api.github.com": gh.url } });
    const res = await execute(stale, "github", "GITHUB_CREATE_AN_ISSUE", { owner: "octo", repo: "hello", title: "x" });
    expect(res.status).toBe(500);
    expect(res.text).toContain(`cannot be decrypted with the configured vault key (sealed with key ${newKid})`);
  });

  it("refuses to start integrations without a vault key and says how to make one", async () => {
    const home = await tempHome();
    const saved = process.env.TAIKU_VAULT_KEY;
    delete process.env.TAIKU_VAULT_KEY;
    try {
      await expect(startServer({ home, host: "127.0.0.1", port: 0, logLevel: "silent", integrations: { enabled: true } })).rejects.toThrow(
        /openssl rand -base64 32 > .*vault\.key[\s\S]*TAIKU_VAULT_KEY/,
      );
    } finally {
      if (saved !== undefined) process.env.TAIKU_VAULT_KEY = saved;
    }
    await expect(startServer({ home, host: "127.0.0.1", port: 0, logLevel: "silent", integrations: { enabled: true, vaultKey: "c2hvcnQ=" } })).rejects.toThrow(/32 bytes/);
  });

  it("reads the key from $TAIKU_HOME/vault.key and rotation rewrites that file", async () => {
    const home = await tempHome();
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(home, { recursive: true });
    const k1 = newVaultKey();
    await writeFile(join(home, "vault.key"), k1 + "\n");
    const s = await start({ home, integrations: { enabled: true } });
    const k2 = newVaultKey();
    const rot = await s.http.post("/api/v1/integrations/admin/rotate-key", { key: k2 }, { "x-taiku-token": s.server.ownerToken });
    expect(rot.json()).toMatchObject({ ok: true, keyFileUpdated: true });
    expect((await readFile(join(home, "vault.key"), "utf8")).trim()).toBe(k2);
  });
});
