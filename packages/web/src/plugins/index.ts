/** The plugin host (issue "Plugin platform", browser side). Pure modules; the Svelte wiring is in ui/plugins. */
export * from "./types.js";
export * from "./local-store.js";
export * from "./session-kv.js";
export * from "./output-tap.js";
export * from "./agents.js";
export * from "./bridge-host.js";
export * from "./methods.js";
export * from "./remote-methods.js";
export * from "./state-events.js";
export * from "./catalog.js";
export * from "./ui-logic.js";
