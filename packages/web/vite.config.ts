import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig, type Plugin } from "vite";

// Workspace packages are compiled from source, like the unit tests do: the web build never
// depends on another package's build output being fresh.
const src = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

/**
 * The plugin SDK's browser bundle (built first by `npm run bundle -w @taiku/plugin-sdk`) is served at the
 * stable URL `/plugin-sdk/taiku-plugin-sdk.js`, so built-in and self-hosted plugins load it with
 * `<script src="/plugin-sdk/taiku-plugin-sdk.js">` (the server serves the web root for every path).
 */
function pluginSdkBundle(): Plugin {
  const from = fileURLToPath(new URL("../plugin-sdk/dist/taiku-plugin-sdk.js", import.meta.url));
  return {
    name: "taiku-plugin-sdk-bundle",
    apply: "build",
    closeBundle() {
      if (!existsSync(from)) throw new Error(`${from} is missing: run "npm run bundle -w @taiku/plugin-sdk" first`);
      const dir = fileURLToPath(new URL("./dist/plugin-sdk/", import.meta.url));
      mkdirSync(dir, { recursive: true });
      copyFileSync(from, `${dir}taiku-plugin-sdk.js`);
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [svelte(), pluginSdkBundle()],
  resolve: { alias: { "@taiku/protocol": src("protocol"), "@taiku/crypto": src("crypto") } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev -w @taiku/web` against a running server: TAIKU_DEV_SERVER=http://127.0.0.1:8080
    proxy: process.env.TAIKU_DEV_SERVER
      ? { "/api": { target: process.env.TAIKU_DEV_SERVER, ws: true }, "/plugins": process.env.TAIKU_DEV_SERVER }
      : {},
  },
});
