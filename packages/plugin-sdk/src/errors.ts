import type { NOT_SUPPORTED_SUFFIX } from "@taiku/protocol";

/** A request got no `taiku:response` within the timeout (spec §16.2). Timeouts are client-side only. */
export class TaikuTimeoutError extends Error {
  override readonly name = "TaikuTimeoutError";
  constructor(readonly method: string, readonly timeoutMs: number) {
    super(`Timeout: ${method} did not respond within ${timeoutMs} ms`);
  }
}

// Checked against the protocol's constant by the compiler; kept as a literal so the browser bundle
// does not pull the protocol's runtime (zod) in.
const NOT_SUPPORTED: typeof NOT_SUPPORTED_SUFFIX = "is not supported by this server";

/** The host answered with `error`; `message` is the host's text, unchanged (spec §6.2). */
export class TaikuBridgeError extends Error {
  override readonly name = "TaikuBridgeError";
  constructor(message: string, readonly method: string) {
    super(message);
  }
  /** The method exists on the platform but this server does not offer it: degrade gracefully. */
  get notSupported(): boolean {
    return this.message.endsWith(` ${NOT_SUPPORTED}`);
  }
  /** The plugin lacks a permission for this call. */
  get permissionDenied(): boolean {
    return this.message.startsWith("Permission denied: ");
  }
}
