/**
 * Minimal logging seam. Engine stderr and dropped lines go here, never to users. The host app
 * (the CLI) installs its own logger with `setLogger`; the default only prints warnings and errors.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const noop = () => {};
let current: Logger = {
  debug: noop,
  info: noop,
  warn: (msg, fields) => console.warn(`[agents] ${msg}`, fields ?? ""),
  error: (msg, fields) => console.error(`[agents] ${msg}`, fields ?? ""),
};

export function setLogger(logger: Logger): void {
  current = logger;
}

export function getLogger(): Logger {
  return current;
}

/** A logger that records entries; used by tests and by diagnostics. */
export class MemoryLogger implements Logger {
  readonly entries: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  debug(msg: string, fields?: Record<string, unknown>) { this.entries.push({ level: "debug", msg, ...(fields ? { fields } : {}) }); }
  info(msg: string, fields?: Record<string, unknown>) { this.entries.push({ level: "info", msg, ...(fields ? { fields } : {}) }); }
  warn(msg: string, fields?: Record<string, unknown>) { this.entries.push({ level: "warn", msg, ...(fields ? { fields } : {}) }); }
  error(msg: string, fields?: Record<string, unknown>) { this.entries.push({ level: "error", msg, ...(fields ? { fields } : {}) }); }
}
