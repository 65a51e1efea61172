/**
 * Everything the benchmark needs from taiku, bundled from the current workspace sources by
 * lib/build.mjs (the web common client has no Node build of its own).
 */
export { startShare } from "@taiku/cli";
export { SessionClient, watchAllShells } from "@taiku/web/common";
export * as crypto from "@taiku/crypto";
export * as protocol from "@taiku/protocol";
// The headless viewers decrypt with node:crypto, synchronously, as the CLI seals (not WebCrypto's
// thread-pool job per frame): a Node viewer's natural cipher; the bytes and checks are the same.
export { importNodeAeadKey } from "../../../packages/cli/src/node-aead.ts";
