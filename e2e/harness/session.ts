/** A running `taiku serve` plus a `taiku` share through a cuttable proxy — the setup most e2e tests need. */
import { freePort, startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import { startProcess, tempHome, type Proc } from "./processes.js";

export interface ServerProc {
  proc: Proc;
  port: number;
  url: string;
  home: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Shortened timers for tests; the server reads them from TAIKU_LIMITS (JSON overrides of LIMITS). */
export const TEST_LIMITS = { cliPingMs: 500, cliSyncMs: 1000 };

export async function startServe(extraEnv: Record<string, string> = {}): Promise<ServerProc> {
  const port = await freePort();
  const home = tempHome("taiku-serve-");
  const env = { TAIKU_HOME: home, TAIKU_LIMITS: JSON.stringify(TEST_LIMITS), ...extraEnv };
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port)];
  const launch = async () => {
    const p = startProcess(args, env);
    await waitHealthy(port);
    return p;
  };
  const self: ServerProc = {
    proc: await launch(),
    port,
    url: `http://localhost:${port}`,
    home,
    async restart() {
      await self.proc.stop("SIGTERM");
      self.proc = await launch();
    },
    async stop() {
      await self.proc.stop("SIGTERM");
    },
  };
  return self;
}

async function waitHealthy(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server on ${port} did not become healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ShareProc {
  proc: Proc;
  proxy: TcpProxy;
  links: { session?: string; readOnly?: string; write?: string; admin?: string };
  stop(): Promise<number | null>;
}

/** `taiku --server <proxy>`: the CLI reaches the server through a proxy the test can cut. */
export async function startShare(server: ServerProc, args: string[] = [], env: Record<string, string> = {}): Promise<ShareProc> {
  const proxy = await startTcpProxy(server.port);
  const proc = startProcess(
    ["--server", `http://127.0.0.1:${proxy.port}`, "--shell", "/bin/bash", ...args],
    { TAIKU_CONFIG_DIR: tempHome("taiku-config-"), HOME: tempHome("taiku-user-"), PS1: "$ ", ...env },
  );
  await proc.waitFor(/Ctrl-C to exit/, 60_000);
  const find = (label: string) => proc.lines.map((l) => l.match(new RegExp(`^${label}:\\s+(\\S+)`))?.[1]).find(Boolean);
  return {
    proc,
    proxy,
    links: { session: find("session"), readOnly: find("read-only"), write: find("write"), admin: find("admin") },
    async stop() {
      const code = await proc.stop("SIGINT");
      await proxy.close();
      return code;
    },
  };
}
