export * from "./encoding.js";
export * from "./primitives.js";
export * from "./links.js";
export * from "./keys.js";
export * from "./frames.js";
export * from "./proofs.js";
export * from "./remote-start.js";
