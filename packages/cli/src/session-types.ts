/** A sharing session's options, links and end result (session.ts). */
import type { KdfOptions } from "@taiku/crypto";
import type { Limits } from "@taiku/protocol";
import type { SessionPlugins } from "./local-plugins.js";
import type { SpawnPty } from "./shells.js";

export interface ShareLinks {
  /** `#key`: writer, or reader with --enable-readers. */
  participant: string;
  write: string;
  admin: string;
  /** The admin link with `?signin=<one-time code>` before the `#` when the owner signs in by code; else = admin. */
  adminSignIn: string;
  readersEnabled: boolean;
}

export interface SessionOptions {
  server: string;
  token?: string;
  enableReaders: boolean;
  noViewerAuth: boolean;
  tunnelPorts: number[];
  deviceId: string;
  shell: string;
  dir: string;
  /** Base environment of the shells (process.env without undefined values). */
  env: Record<string, string>;
  spawn: SpawnPty;
  limits: Limits;
  cliVersion: string;
  /** Argon2id parameters; only tests lower them (both ends must agree). */
  kdf?: KdfOptions;
  /** Local resend buffer per shell (≥ 2 MiB). */
  resendBufferBytes?: number;
  /** Link socket backpressure: pause every PTY above `high` queued bytes, resume under `low`. */
  socketHighWater?: number;
  socketLowWater?: number;
  /** Output batch size once backlogged (≤ 64 KiB; default: the spec's 16 KiB batches). See coalescer.ts. */
  outputBacklogBytes?: number;
  initialSize?: { rows: number; cols: number };
  /** Ask the server for a one-time sign-in code for the admin link (owner token / API key). */
  ownerSignIn?: boolean;
  fetch?: typeof fetch;
  log?: (message: string) => void;
  /** `--no-fs`: refuse every CLI-backed filesystem request (spec §11.3.5). */
  noFs?: boolean;
  /**
   * API key put into every shell as `TAIKU_TOKEN` so `taiku func` works inside the session's shells.
   * startShare sets it only for the embedded server's local owner token (see fs/func docs).
   */
  shellToken?: string;
  /** `taiku --plugin`: sent as `setSessionPlugins` after every sync; answers `pluginFile`. */
  plugins?: SessionPlugins;
  /** Shell aliases (§4.8): argv prefix running this CLI for the shims, answer deadline; absent = none. */
  aliases?: { command: string[]; answerMs?: number };
}

export interface EndResult {
  exitCode: number;
  reason: string;
}
