/** A CliIo whose stdout and stderr are captured as text, for running CLI commands in tests. */
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import type { CliIo } from "../../src/io.js";

export interface CapturedIo {
  io: CliIo;
  /** Where the command listens for SIGINT/SIGTERM (unless `signals` was given). */
  signals: EventEmitter;
  out(): string;
  err(): string;
}

export function capturedIo(overrides: Partial<CliIo> = {}): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += String(d)));
  stderr.on("data", (d) => (err += String(d)));
  const signals = new EventEmitter();
  const io: CliIo = {
    stdout, stderr, stdin: new PassThrough() as unknown as NodeJS.ReadStream, env: {}, homedir: "/nonexistent", cwd: "/",
    signals, fetch: globalThis.fetch.bind(globalThis), ...overrides,
  };
  return { io, signals, out: () => out, err: () => err };
}
