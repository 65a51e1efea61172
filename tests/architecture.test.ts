/**
 * Layering rule of ARCHITECTURE.md: each package may import only the packages below it.
 * Fails when a source file imports a workspace package against the dependency direction.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ALLOWED: Record<string, string[]> = {
  protocol: [],
  crypto: ["protocol"],
  "plugin-sdk": ["protocol"],
  agents: ["protocol"],
  connectors: ["protocol"],
  server: ["connectors", "protocol", "crypto"],
  web: ["protocol", "crypto"],
  cli: ["server", "agents", "connectors", "plugin-sdk", "protocol", "crypto"],
};

const packagesDir = join(import.meta.dirname, "..", "packages");

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

export function violations(root = packagesDir): string[] {
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
      // A relative import must stay inside its own package: reaching into another one by path
      // would bypass the table above.
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = resolve(dirname(file), m[1]!);
        if (!target.startsWith(join(root, pkg) + sep)) found.push(`${file.slice(root.length + 1)} reaches outside its package: ${m[1]}`);
      }
    }
  }
  return found;
}

describe("dependency direction", () => {
  it("no package imports against the layering of ARCHITECTURE.md", () => {
    expect(violations()).toEqual([]);
  });

  it("catches an upward import and a path reaching into another package", () => {
    const tmp = mkdtempSync(join(tmpdir(), "taiku-layers-"));
    mkdirSync(join(tmp, "protocol", "src"), { recursive: true });
    mkdirSync(join(tmp, "web", "src", "ui"), { recursive: true });
    writeFileSync(join(tmp, "protocol", "src", "a.ts"), 'import { x } from "@taiku/server";\n');
    writeFileSync(join(tmp, "web", "src", "ui", "b.ts"), 'import { y } from "../../../server/src/index.js";\nimport { z } from "../common/z.js";\n');
    expect(violations(tmp)).toEqual([
      "protocol/src/a.ts imports @taiku/server",
      "web/src/ui/b.ts reaches outside its package: ../../../server/src/index.js",
    ]);
  });
});
