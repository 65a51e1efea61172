/** Exit status of the `taiku` binary (spec §14.6). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  sessionGone: 4,
  aliasTimeout: 124,
} as const;

/** An error that carries the exit status the CLI should end with. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.error) {
    super(message);
    this.name = "CliError";
  }
}
