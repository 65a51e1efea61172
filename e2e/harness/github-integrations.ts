/**
 * A `taiku serve` with integrations on, configured as an admin would (vault key from `taiku integrations
 * keygen`, the OAuth app and the egress rewrite in `$TAIKU_HOME/taiku.toml`, its secret through the
 * environment), against a real OAuth 2.0 authorization server (oidc-provider) as GitHub's and the
 * GitHub REST stand-in behind `[egress.hosts]`. Shared by the integrations and inbox browser tests.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAs, type RealAs } from "../../packages/server/test/integrations/standins/oauth-server.js";
import { startGithub, type GithubStandIn } from "../../packages/server/test/integrations/standins/github.js";
import { TAIKU_BIN, tempHome } from "./processes.js";
import { startServe, type ServerProc } from "./session.js";
import { githubAppToml } from "./workspace.js";

export interface GithubIntegrations {
  as: RealAs;
  gh: GithubStandIn;
  home: string;
  server: ServerProc;
  /** What `taiku integrations keygen` printed. */
  keygenOutput: string;
  /** Server, stand-in and authorization server, in that order. */
  close(): Promise<void>;
}

export async function startGithubIntegrations(opts: {
  homePrefix: string;
  clientId: string;
  clientSecret: string;
  /** Environment variable that carries the client secret (named in taiku.toml). */
  secretEnv: string;
  /** Lines of taiku.toml before the GitHub app. */
  tomlHead?: string[];
}): Promise<GithubIntegrations> {
  const as = await startAs();
  const gh = await startGithub({ verify: (t) => as.verify(t) });
  const home = tempHome(opts.homePrefix);
  const keygenOutput = execFileSync(process.execPath, [TAIKU_BIN, "integrations", "keygen"], { env: { ...process.env, TAIKU_HOME: home }, encoding: "utf8" });
  writeFileSync(join(home, "taiku.toml"), [...(opts.tomlHead ?? []), githubAppToml(as, gh.url, opts.clientId, opts.secretEnv)].join("\n"));
  const server = await startServe({ TAIKU_HOME: home, TAIKU_INTEGRATIONS: "on", [opts.secretEnv]: opts.clientSecret });
  as.setClients([{ client_id: opts.clientId, client_secret: opts.clientSecret, redirect_uris: [`${server.url}/api/v1/integrations/callback`] }]);
  return {
    as, gh, home, server, keygenOutput,
    close: async () => {
      await server.stop();
      await gh.close();
      await as.close();
    },
  };
}
