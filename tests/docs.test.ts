/**
 * docs/api-reference.md is generated from the protocol's method, permission and event tables;
 * this fails when someone changes the protocol without regenerating it
 * (`npm run docs -w @taiku/plugin-sdk`). Runs against the built protocol (the test command builds first).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

it("the API reference is up to date with the protocol", () => {
  expect(existsSync(join(root, "packages", "protocol", "dist", "index.js")), "build first: npm run build").toBe(true);
  const run = () => execFileSync(process.execPath, [join(root, "packages", "plugin-sdk", "scripts", "gen-api-docs.mjs"), "--check"], { encoding: "utf8", stdio: "pipe" });
  expect(run).not.toThrow();
});
