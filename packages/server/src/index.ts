/**
 * @taiku/server public API. CONTRACT (agreed between the server and the CLI, which embeds it):
 * the CLI calls `startServer` in-process when no `--server` is given, and `taiku serve` calls it too.
 */
import type { Limits } from "@taiku/protocol";

export interface ServerOptions {
  /** $TAIKU_HOME: SQLite database `taiku.db`, `owner-token`, `vault.key`, TLS material. Created if missing. */
  home: string;
  /** Listen address; defaults 0.0.0.0 and 8080 for `taiku serve`; the embedded server passes 127.0.0.1. 0 = any free port. */
  host?: string;
  port?: number;
  /** Origin printed in links (default: derived from the listen address, e.g. http://localhost:8080). */
  publicUrl?: string;
  /** Directory holding the built web app (index.html + assets). */
  webRoot?: string;
  /** TLS: PEM file paths, or a self-signed certificate generated into `home`. */
  tls?: { cert: string; key: string } | { selfSigned: true };
  /** Overrides of protocol timers and limits (tests shorten them). */
  limits?: Partial<Limits>;
  /** `TAIKU_VIEWER_AUTH`: require an account to join. Default false (ARCHITECTURE.md, "Decisions"). */
  viewerAuth?: boolean;
  /** Structured log level (pino levels); "silent" for the embedded server unless --verbose. */
  logLevel?: string;
  /** Log destination file (default stdout for `taiku serve`). */
  logFile?: string;
  /** Injectable clock for tests. */
  now?: () => number;
}

export interface RunningServer {
  /** Base URL actually listening, e.g. http://127.0.0.1:41234 (publicUrl when set). */
  url: string;
  port: number;
  /**
   * API key of the local owner account, written to `$TAIKU_HOME/owner-token` on first start.
   * The embedded CLI sends it as X-Taiku-Token so its sessions are owned by the local owner.
   */
  ownerToken: string;
  close(): Promise<void>;
}

export declare function startServer(options: ServerOptions): Promise<RunningServer>;
