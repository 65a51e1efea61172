/**
 * Shared helpers of the catalogue generators (gen-catalogue-*.mjs). They read machine-readable API
 * descriptions from npm packages installed as devDependencies and write pinned, trimmed JSON
 * catalogues into ./catalogues/. Nothing is downloaded at runtime.
 */
import { writeFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const require = createRequire(import.meta.url);

/** "Create an issue" → "CREATE_AN_ISSUE"; camelCase split; every run of non-alphanumerics → one "_". */
export function upperSnake(text) {
  return String(text)
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
}

/** Descriptions are cut at the first blank line, then at `max` characters on a word boundary. */
export function trimText(text, max = 160) {
  if (!text) return "";
  let t = String(text).split(/\n\s*\n/)[0].replace(/\s+/g, " ").trim();
  if (t.length > max) t = t.slice(0, max).replace(/\s+\S*$/, "") + "…";
  return t;
}

/**
 * Collision rule (stated once, used by every generator): tools are sorted by their source id
 * (operationId / method name); the first tool keeps the base slug, every later tool with the same
 * base slug gets "_" + UPPER_SNAKE(source id) appended.
 */
export function assignSlugs(tools) {
  tools.sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  const seen = new Set();
  for (const t of tools) {
    let slug = t.slug;
    if (seen.has(slug)) slug = `${slug}_${upperSnake(t.sourceId)}`;
    let n = 2;
    while (seen.has(slug)) slug = `${t.slug}_${n++}`;
    seen.add(slug);
    t.slug = slug;
  }
  return tools.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

/** The installed package's directory (packages/server/node_modules first, then the workspace root). */
export function packageDir(name) {
  for (const base of [join(here, "..", "node_modules"), join(here, "..", "..", "..", "node_modules")]) {
    try {
      readFileSync(join(base, name, "package.json"));
      return join(base, name);
    } catch {
      /* next */
    }
  }
  throw new Error(`${name} is not installed: npm install -D ${name} -w @taiku/server`);
}

export function packageVersion(name) {
  return JSON.parse(readFileSync(join(packageDir(name), "package.json"), "utf8")).version;
}

export function writeCatalogue(toolkit, catalogue) {
  const file = join(here, "catalogues", `${toolkit}.json`);
  for (const t of catalogue.tools) delete t.sourceId;
  writeFileSync(file, JSON.stringify(catalogue) + "\n");
  console.log(`${file}: ${catalogue.tools.length} tools, ${Buffer.byteLength(JSON.stringify(catalogue))} bytes`);
}

/**
 * JSON Schema from a TypeScript type (for APIs published as SDK type definitions: Slack, Gmail,
 * Linear inputs). Objects are expanded to `depth` levels; unions of literals become enums; anything
 * else falls back to an unconstrained schema with the type's name in the description.
 */
export function tsTypeToSchema(ts, checker, type, depth = 1) {
  const flags = type.flags;
  if (flags & ts.TypeFlags.StringLike) return type.isStringLiteral?.() ? { type: "string", enum: [type.value] } : { type: "string" };
  if (flags & ts.TypeFlags.NumberLike) return { type: "number" };
  if (flags & ts.TypeFlags.BooleanLike) return { type: "boolean" };
  if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
  if (type.symbol?.name === "Date") return { type: "string" }; // dates travel as ISO 8601 strings
  if (type.isUnion()) {
    const parts = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    const nullable = parts.length !== type.types.length && type.types.some((t) => t.flags & ts.TypeFlags.Null);
    if (parts.length && parts.every((t) => t.isStringLiteral())) return { type: "string", enum: parts.map((t) => t.value) };
    if (parts.length && parts.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { type: "boolean" };
    const schemas = parts.map((t) => tsTypeToSchema(ts, checker, t, depth));
    const types = [...new Set(schemas.map((s) => s.type).filter(Boolean))];
    if (schemas.every((s) => typeof s.type === "string" && Object.keys(s).length === 1)) {
      const all = nullable ? [...types, "null"] : types;
      return { type: all.length === 1 ? all[0] : all };
    }
    if (schemas.some((s) => Object.keys(s).length === 0)) return {};
    const unique = [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
    return unique.length === 1 ? unique[0] : { anyOf: unique };
  }
  if (checker.isArrayType(type)) {
    const [el] = checker.getTypeArguments(type);
    return { type: "array", ...(el && depth < 3 ? { items: tsTypeToSchema(ts, checker, el, depth + 1) } : {}) };
  }
  if (flags & ts.TypeFlags.Object) {
    if (depth >= 2) return { type: "object" };
    return objectSchema(ts, checker, type, depth + 1);
  }
  return {};
}

export function objectSchema(ts, checker, type, depth = 1, skip = new Set()) {
  const properties = {};
  const required = [];
  for (const sym of checker.getPropertiesOfType(type)) {
    if (skip.has(sym.name)) continue;
    const decl = sym.valueDeclaration ?? sym.declarations?.[0];
    if (!decl) continue;
    const t = checker.getTypeOfSymbolAtLocation(sym, decl);
    if (checker.getNonNullableType(t).getCallSignatures().length) continue;
    const s = tsTypeToSchema(ts, checker, t, depth);
    const doc = trimText(ts.displayPartsToString(sym.getDocumentationComment(checker)), 100);
    properties[sym.name] = doc ? { ...s, description: doc } : s;
    if (!(sym.flags & ts.SymbolFlags.Optional)) required.push(sym.name);
  }
  return { type: "object", properties, ...(required.length ? { required } : {}) };
}
