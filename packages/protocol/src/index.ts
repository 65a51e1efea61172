export * from "./cbor.js";
export * from "./common.js";
export * from "./limits.js";
export * from "./version.js";
export * from "./browser.js";
export * from "./cli.js";
export * from "./http.js";
export * from "./plugin/index.js";
