/**
 * Layering rule of ARCHITECTURE.md: each package may import only the packages below it.
 * Fails when a source file imports a workspace package against the dependency direction.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ALLOWED: Record<string, string[]> = {
  protocol: [],
  crypto: ["protocol"],
  "plugin-sdk": ["protocol"],
  agents: ["protocol"],
  connectors: ["protocol"],
  server: ["connectors", "protocol", "crypto"],
  web: ["protocol", "crypto"],
  cli: ["server", "agents", "connectors", "protocol", "crypto"],
};

const root = join(import.meta.dirname, "..", "packages");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs|svelte)$/.test(name)) out.push(p);
  }
  return out;
}

export function violations(): string[] {
  const found: string[] = [];
  for (const pkg of readdirSync(root)) {
    const src = join(root, pkg, "src");
    try { statSync(src); } catch { continue; }
    const allowed = ALLOWED[pkg];
    if (!allowed) { found.push(`packages/${pkg} is not in the layering table`); continue; }
    for (const file of sourceFiles(src)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)["']@taiku\/([a-z-]+)/g)) {
        const dep = m[1]!;
        if (dep !== pkg && !allowed.includes(dep)) found.push(`${file.slice(root.length + 1)} imports @taiku/${dep}`);
      }
      for (const m of text.matchAll(/from\s+["'](\.\.\/){2,}([a-z-]+)\//g)) found.push(`${file.slice(root.length + 1)} reaches into ../${m[2]} by path`);
    }
  }
  return found;
}

describe("dependency direction", () => {
  it("no package imports against the layering of ARCHITECTURE.md", () => {
    expect(violations()).toEqual([]);
  });
});
