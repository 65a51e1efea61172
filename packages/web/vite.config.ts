import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

// Workspace packages are compiled from source, like the unit tests do: the web build never
// depends on another package's build output being fresh.
const src = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  base: "/",
  plugins: [svelte()],
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
