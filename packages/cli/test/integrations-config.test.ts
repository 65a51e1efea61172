/**
 * Integrations configuration of `taiku serve` / the embedded server: `[integrations]` and `[egress]`
 * of $TAIKU_HOME/taiku.toml plus the environment, errors naming the file and the key; and the
 * `taiku integrations keygen | rotate-key` commands against a real server.
 */
import { capturedIo } from "./helpers/captured-io.js";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "@taiku/server";
import { runCli } from "../src/cli.js";
import { integrationsServerOptions, parseEgressHosts, vaultKeyCliError } from "../src/integrations-config.js";
import type { CliIo } from "../src/io.js";
import { serverEnvOptions } from "../src/server-env.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function home(toml?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "taiku-ig-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  if (toml !== undefined) await writeFile(join(dir, "taiku.toml"), toml);
  return dir;
}

function io(env: NodeJS.ProcessEnv): CliIo & { out: () => string; err: () => string } {
  const c = capturedIo({ env, stdin: process.stdin, homedir: "/nonexistent-home", cwd: process.cwd(), signals: process });
  return { ...c.io, out: c.out, err: c.err };
}

const FULL = `
[agents]
default_engine = "codex"

[integrations]
enabled = true
refresh_lead_ms = 60000
callback_origins = ["https://app.example.com"]

[integrations.apps.github]
client_id = "Iv1.abc"
client_secret_env = "GH_SECRET"
scopes = "repo read:user"
authorization_endpoint = "http://127.0.0.1:4000/login/oauth/authorize"
token_endpoint = "http://127.0.0.1:4000/login/oauth/access_token"

[integrations.apps.slack]
client_id = "123.456"
client_secret = "slack-secret"
scopes = ["chat:write", "channels:read"]
token_auth = "client_secret_basic"

[integrations.mcp_servers.notes]
url = "https://mcp.example.com/mcp"
name = "Notes"

[egress.hosts]
"api.github.com" = "http://127.0.0.1:4100"
`;

describe("integrations config", () => {
  it("turns taiku.toml's [integrations] and [egress] into server options; the [agents] table is left alone", async () => {
    const h = await home(FULL);
    expect(integrationsServerOptions({ GH_SECRET: "gh-secret" }, h)).toEqual({
      integrations: {
        enabled: true,
        refreshLeadMs: 60000,
        callbackOrigins: ["https://app.example.com"],
        apps: {
          github: {
            clientId: "Iv1.abc",
            clientSecret: "gh-secret",
            scopes: ["repo", "read:user"],
            authorizationEndpoint: "http://127.0.0.1:4000/login/oauth/authorize",
            tokenEndpoint: "http://127.0.0.1:4000/login/oauth/access_token",
          },
          slack: { clientId: "123.456", clientSecret: "slack-secret", scopes: ["chat:write", "channels:read"], tokenAuth: "client_secret_basic" },
        },
        mcpServers: { notes: { url: "https://mcp.example.com/mcp", name: "Notes" } },
      },
      egressHosts: { "api.github.com": "http://127.0.0.1:4100" },
    });
    // serve and the embedded server get the same through serverEnvOptions(env, home).
    expect(serverEnvOptions({ GH_SECRET: "gh-secret" }, h).egressHosts).toEqual({ "api.github.com": "http://127.0.0.1:4100" });
    expect(serverEnvOptions({ GH_SECRET: "gh-secret" })).not.toHaveProperty("integrations");
  });

  it("the environment wins: TAIKU_INTEGRATIONS, TAIKU_VAULT_KEY, TAIKU_EGRESS_HOSTS", async () => {
    const h = await home(`[integrations]\nenabled = true\n[egress.hosts]\n"api.github.com" = "http://127.0.0.1:1"\n"slack.com" = "http://127.0.0.1:2"\n`);
    const k1 = randomBytes(32).toString("base64");
    const k2 = randomBytes(32).toString("base64");
    expect(integrationsServerOptions({ TAIKU_INTEGRATIONS: "off", TAIKU_VAULT_KEY: `${k1},${k2}`, TAIKU_EGRESS_HOSTS: "api.github.com=http://127.0.0.1:9, gmail.googleapis.com=http://127.0.0.1:8" }, h)).toEqual({
      integrations: { enabled: false, vaultKey: [k1, k2] },
      egressHosts: { "api.github.com": "http://127.0.0.1:9", "slack.com": "http://127.0.0.1:2", "gmail.googleapis.com": "http://127.0.0.1:8" },
    });
    expect(integrationsServerOptions({ TAIKU_INTEGRATIONS_PROVIDER: "builtin" }, await home())).toEqual({ integrations: { enabled: true } });
    expect(integrationsServerOptions({}, await home())).toEqual({});
    expect(parseEgressHosts('{"api.linear.app": "http://127.0.0.1:7"}')).toEqual({ "api.linear.app": "http://127.0.0.1:7" });
  });

  it("rejects bad config with the file (or variable) and the key", async () => {
    const bad = async (toml: string, env: NodeJS.ProcessEnv = {}) => {
      const h = await home(toml);
      try {
        integrationsServerOptions(env, h);
        return "accepted";
      } catch (err) {
        return (err as Error).message.replace(h, "<home>");
      }
    };
    expect(await bad(`[integrations.apps.gitlab]\nclient_id = "x"\n`)).toBe('<home>/taiku.toml: integrations.apps: Unrecognized key: "gitlab" (gitlab)');
    expect(await bad(`[integrations.apps.github]\nclient_secret = "x"\n`)).toMatch(/^<home>\/taiku\.toml: integrations\.apps\.github\.client_id: /);
    expect(await bad(`[integrations.apps.github]\nclient_id = "x"\ntoken_endpoint = "not a url"\n`)).toBe("<home>/taiku.toml: integrations.apps.github.token_endpoint: must be an http(s) URL");
    expect(await bad(`[integrations.apps.github]\nclient_id = "x"\nclient_secret_env = "NOPE_SECRET"\n`)).toBe(
      "<home>/taiku.toml: integrations.apps.github.client_secret_env: environment variable NOPE_SECRET is not set",
    );
    expect(await bad(`[integrations]\nenabeld = true\n`)).toBe('<home>/taiku.toml: integrations: Unrecognized key: "enabeld" (enabeld)');
    expect(await bad(`[integrations.mcp_servers.github]\nurl = "https://x.example"\n`)).toBe('<home>/taiku.toml: integrations.mcp_servers.github: "github" is a built-in toolkit; pick another slug');
    expect(await bad(`[egress.hosts]\n"api.github.com" = "ftp://x"\n`)).toBe("<home>/taiku.toml: egress.hosts.api.github.com: must be an http(s) URL");
    expect(await bad(`[integrations\n`)).toMatch(/^<home>\/taiku\.toml: invalid TOML: /);
    expect(await bad("", { TAIKU_INTEGRATIONS: "maybe" })).toBe("TAIKU_INTEGRATIONS must be on or off, got 'maybe'");
    expect(await bad("", { TAIKU_INTEGRATIONS_PROVIDER: "composio" })).toMatch(/^TAIKU_INTEGRATIONS_PROVIDER: 'composio' is not supported/);
    expect(await bad("", { TAIKU_EGRESS_HOSTS: "api.github.com" })).toMatch(/^TAIKU_EGRESS_HOSTS: 'api.github.com' must be host=url/);
    expect(vaultKeyCliError(new Error("Integrations need a vault key to encrypt OAuth tokens at rest."))?.message).toContain("taiku integrations keygen");
    expect(vaultKeyCliError(new Error("EADDRINUSE"))).toBeNull();
  });
});

describe("taiku integrations keygen / rotate-key", () => {
  it("keygen writes a 0600 key once and refuses to overwrite it", async () => {
    const h = join(await home(), "nested");
    const first = io({ TAIKU_HOME: h });
    expect(await runCli(["integrations", "keygen"], first)).toBe(0);
    const key = await readFile(join(h, "vault.key"), "utf8");
    expect(Buffer.from(key.trim(), "base64")).toHaveLength(32);
    expect((await stat(join(h, "vault.key"))).mode & 0o777).toBe(0o600);
    const again = io({ TAIKU_HOME: h });
    expect(await runCli(["integrations", "keygen"], again)).toBe(1);
    expect(again.err()).toContain("refusing to overwrite");
    expect(await readFile(join(h, "vault.key"), "utf8")).toBe(key);
    const bad = io({ TAIKU_HOME: h });
    expect(await runCli(["integrations", "frobnicate"], bad)).toBe(2);
    expect(bad.err()).toContain("unknown integrations command 'frobnicate'");
  });

  it("rotate-key re-encrypts through the admin route with the owner token and rewrites vault.key", async () => {
    const h = await home();
    expect(await runCli(["integrations", "keygen"], io({ TAIKU_HOME: h }))).toBe(0);
    const oldKey = (await readFile(join(h, "vault.key"), "utf8")).trim();
    // The server as `taiku serve` would start it: keys from vault.key, an app (its secret sealed) from config.
    const env = { TAIKU_HOME: h, TAIKU_INTEGRATIONS: "on" };
    const server: RunningServer = await startServer({ ...serverEnvOptions(env, h), home: h, host: "127.0.0.1", port: 0, logLevel: "silent" });
    cleanups.push(() => server.close());
    const put = await fetch(`${server.url}/api/v1/integrations/admin/apps/github`, {
      method: "PUT",
      headers: { "content-type": "application/json", "x-taiku-token": server.ownerToken },
      body: JSON.stringify({ clientId: "Iv1.x", clientSecret: "gh-secret" }),
    });
    expect(put.status).toBe(200);
    const cli = io({ TAIKU_HOME: h });
    expect(await runCli(["integrations", "rotate-key", "--server", server.url], cli)).toBe(0);
    expect(cli.out()).toMatch(/^re-encrypted [1-9]\d* records? under key [0-9a-f]{12}\nthe server updated its vault.key\n$/);
    const newKey = (await readFile(join(h, "vault.key"), "utf8")).trim();
    expect(newKey).not.toBe(oldKey);
    expect(newKey.split("\n")).toHaveLength(1);
    // A wrong token is an authentication failure (exit 3) with the server's text.
    const denied = io({ TAIKU_HOME: h });
    expect(await runCli(["integrations", "rotate-key", "--server", server.url, "--token", "nope"], denied)).toBe(3);
    expect(denied.err()).toMatch(/rotate-key failed \(401\)/);
  });
});
