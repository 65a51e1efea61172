/**
 * Tool catalogues: the generated, committed JSON files (scripts/catalogues/<toolkit>.json, written by
 * scripts/gen-catalogue-*.mjs), loaded once, searched in memory, and their JSON Schemas compiled by
 * ajv on first use to validate `execute` arguments.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { featuredFirst } from "./featured.js";

export interface HttpBinding {
  method: string;
  /** Path template with `{name}` placeholders, relative to the toolkit's API base. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyParams: string[];
  /** Set when the whole body is one argument. */
  body?: string;
}

export interface CatalogueTool {
  slug: string;
  name: string;
  description: string;
  inputParameters: Record<string, unknown>;
  /** REST tools (github, gmail). */
  http?: HttpBinding;
  /** Slack Web API method name, e.g. "chat.postMessage". */
  method?: string;
  /** Linear: the GraphQL operation document. */
  graphql?: { query: string; variables: string[] };
}

export interface Catalogue {
  toolkit: string;
  name: string;
  source: Record<string, unknown>;
  tools: CatalogueTool[];
}

export interface PublicTool {
  slug: string;
  name: string;
  description: string;
  inputParameters: Record<string, unknown>;
}

export function defaultCatalogueDir(moduleDir = dirname(fileURLToPath(import.meta.url))): string {
  // Next to a bundle (`catalogues/`), else the checkout's packages/server/scripts/catalogues (src and dist alike).
  const candidates = [join(moduleDir, "catalogues"), resolve(moduleDir, "..", "..", "..", "scripts", "catalogues")];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[1]!;
}

export const toPublic = (t: PublicTool): PublicTool => ({ slug: t.slug, name: t.name, description: t.description, inputParameters: t.inputParameters });

/** Per tool: the lower-cased haystack, and the same with `_` as spaces (`null` when identical). */
interface SearchEntry {
  hay: string;
  underscored: string | null;
}

/**
 * Search haystacks per tools array, built on the first search of that array (a loaded catalogue,
 * or a cached MCP tool list) instead of on every request.
 */
const searchIndexes = new WeakMap<readonly PublicTool[], SearchEntry[]>();

function searchIndex(tools: readonly PublicTool[]): SearchEntry[] {
  let index = searchIndexes.get(tools);
  if (!index || index.length !== tools.length) {
    index = tools.map((t) => {
      const hay = `${t.slug}\n${t.name}\n${t.description}`.toLowerCase();
      const underscored = hay.replace(/_/g, " ");
      return { hay, underscored: underscored === hay ? null : underscored };
    });
    searchIndexes.set(tools, index);
  }
  return index;
}

/** §12.6 plus: case-insensitive substring over slug, name and description; every word must match. */
export function searchTools<T extends PublicTool>(tools: readonly T[], search: string | undefined, limit: number): T[] {
  const words = (search ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return tools.slice(0, limit);
  const index = searchIndex(tools);
  const out: T[] = [];
  for (let i = 0; i < tools.length; i++) {
    const { hay, underscored } = index[i]!;
    let all = true;
    for (const w of words) {
      if (!hay.includes(w) && (underscored === null || !underscored.includes(w))) {
        all = false;
        break;
      }
    }
    if (all) {
      out.push(tools[i]!);
      if (out.length >= limit) break;
    }
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, validateFormats: false });
const validators = new WeakMap<object, ValidateFunction>();

/** Returns null when valid, else a short message naming each problem. */
export function validateArguments(tool: PublicTool, args: Record<string, unknown>): string | null {
  let v = validators.get(tool.inputParameters);
  if (!v) {
    v = ajv.compile(tool.inputParameters);
    validators.set(tool.inputParameters, v);
  }
  if (v(args)) return null;
  const msgs = (v.errors ?? []).slice(0, 8).map((e) => {
    const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "";
    const at = (name: string) => (where ? `${where}.${name}` : name);
    if (e.keyword === "additionalProperties") return `unknown argument "${at(String((e.params as { additionalProperty: string }).additionalProperty))}"`;
    if (e.keyword === "required") return `missing required argument "${at(String((e.params as { missingProperty: string }).missingProperty))}"`;
    return `${where || "arguments"} ${e.message ?? "is invalid"}`;
  });
  return `Invalid arguments for ${tool.slug}: ${msgs.join("; ")}`;
}

export class CatalogueStore {
  private readonly cache = new Map<string, { catalogue: Catalogue; bySlug: Map<string, CatalogueTool> }>();
  constructor(private readonly dir: string) {}

  get(toolkit: string): { catalogue: Catalogue; bySlug: Map<string, CatalogueTool> } | null {
    const hit = this.cache.get(toolkit);
    if (hit) return hit;
    const file = join(this.dir, `${toolkit}.json`);
    if (!existsSync(file)) return null;
    const catalogue = JSON.parse(readFileSync(file, "utf8")) as Catalogue;
    catalogue.tools = featuredFirst(toolkit, catalogue.tools);
    const entry = { catalogue, bySlug: new Map(catalogue.tools.map((t) => [t.slug, t])) };
    this.cache.set(toolkit, entry);
    return entry;
  }
}
