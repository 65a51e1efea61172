import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import workspace packages from source, so a unit test never needs a build.
// End-to-end tests (e2e/) start the built CLI and server instead, like a user would.
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@taiku/protocol": src("protocol"),
      "@taiku/crypto": src("crypto"),
      "@taiku/agents": src("agents"),
      "@taiku/connectors": src("connectors"),
      "@taiku/server": src("server"),
      "@taiku/cli": src("cli"),
      "@taiku/plugin-sdk/testing": fileURLToPath(new URL("./packages/plugin-sdk/src/testing/index.ts", import.meta.url)),
      "@taiku/plugin-sdk": src("plugin-sdk"),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "tests/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
