/** Errors the SDK and runtime throw by name (connectors and tests match on them). */
export class ConnectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** The execution spent more than its request budget (§1.5). Counted as a failure of that execution. */
export class BudgetExceededError extends ConnectorError {}
/** A deleted or unknown callback token was run, or one owned by another instance. */
export class CallbackNotFoundError extends ConnectorError {}
/** A value that SuperJSON cannot round-trip (function, symbol, class instance, cycle) or one over the size limit. */
export class SerializationError extends ConnectorError {}
/** A method of the HEAD surface whose runtime backing is not built yet (§8.2). */
export class NotImplementedError extends ConnectorError {}
/** `build()` asked for a tool this runtime does not provide (§3.10). */
export class ToolNotAvailableError extends ConnectorError {}
/** `Files.read` of a missing or out-of-scope file (§3.7). */
export class FileNotFoundError extends ConnectorError {}
/** Outbound request outside the Network allowlist. Fetch answers 403 instead of throwing; this names the reason. */
export class EgressDeniedError extends ConnectorError {}
