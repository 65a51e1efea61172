/** What a command needs from the process, injected so tests run commands without a real terminal. */
export interface CliIo {
  stdout: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean; rows?: number; columns?: number });
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
  homedir: string;
  cwd: string;
  /** Where SIGINT/SIGTERM/SIGHUP arrive (process in production). */
  signals: Pick<NodeJS.EventEmitter, "on" | "off">;
  fetch: typeof fetch;
}
