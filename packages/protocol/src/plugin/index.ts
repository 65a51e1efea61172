/** The plugin platform's wire contract (spec taiku-platform.md §4–§8, §12). */
export * from "./errors.js";
export * from "./permissions.js";
export * from "./methods.js";
export * from "./bridge.js";
export * from "./events.js";
export * from "./integrations.js";
export * from "./inbox.js";
export * from "./manifest.js";
export * from "./results.js";
export * from "./method-docs.js";
export { jsonByteLength, jsonRoundTrip } from "./json.js";
