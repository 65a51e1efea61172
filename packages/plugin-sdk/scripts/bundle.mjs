#!/usr/bin/env node
/**
 * Builds the pre-built browser bundle of the SDK (spec §16.1): one IIFE file exposing the global
 * `TaikuPluginSDK` (`TaikuPluginSDK.TaikuPlugin`), for `<script src>` use without a bundler.
 *
 *   npm run bundle -w @taiku/plugin-sdk            → dist/taiku-plugin-sdk.js (+ .map)
 *   node scripts/bundle.mjs --outfile /tmp/x.js    → elsewhere (used by the tests)
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const i = process.argv.indexOf("--outfile");
const outfile = i > 0 ? process.argv[i + 1] : `${root}dist/taiku-plugin-sdk.js`;

// The SDK takes only types from @taiku/protocol. A runtime import would drag zod and cbor-x into every
// plugin page, so it fails the build instead.
const typesOnly = {
  name: "protocol-types-only",
  setup(b) {
    b.onResolve({ filter: /^@taiku\/protocol/ }, (args) => ({
      errors: [{ text: `${args.importer} imports @taiku/protocol at runtime; the SDK may use its types only` }],
    }));
  },
};

await build({
  entryPoints: [`${root}src/index.ts`],
  bundle: true,
  format: "iife",
  globalName: "TaikuPluginSDK",
  platform: "browser",
  target: "es2020",
  minify: true,
  sourcemap: true,
  legalComments: "none",
  outfile,
  plugins: [typesOnly],
  logLevel: "warning",
});
