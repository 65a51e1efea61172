/** DOM-free core of the taiku web client; importable from Node (no globals touched at import time). */
export * from "./services.js";
export * from "./backoff.js";
export * from "./outbox.js";
export * from "./ack.js";
export * from "./emitter.js";
export * from "./fragment.js";
export * from "./device.js";
export * from "./extra-keys.js";
export * from "./layout.js";
export * from "./layout-events.js";
export * from "./ownership.js";
export * from "./kv-entries.js";
export * from "./session-state.js";
export * from "./shell-stream.js";
export * from "./connection.js";
export * from "./session-client.js";
export * from "./headless.js";
