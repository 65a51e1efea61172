/**
 * Plugin discovery (spec §8.3–8.4): npm packages declare entries in a `taiku` field of their
 * package.json. Listing reads metadata only (no plugin code runs); loading imports lazily, once,
 * validates, and records failures for diagnostics.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CommandBackend } from "../commands/types.js";
import type { EngineBackend } from "../engines/backend.js";
import { ConfigError } from "../model.js";
import type { TransportBackend } from "../transports/backend.js";
import { PLUGIN_API_VERSION } from "../version.js";
import { canonicalPackageName, isReservedId, isValidPluginId } from "./ids.js";

export type PluginGroup = "engine" | "transport" | "command";
const FIELD: Record<PluginGroup, string> = { engine: "engines", transport: "transports", command: "commands" };
export const CORE_PACKAGE = "@taiku/agents";

export interface PluginEntry {
  group: PluginGroup;
  id: string;
  /** npm package name (`@taiku/agents` for built-ins). */
  packageName: string;
  /** `<relative module>#<export>` for packages; `builtin` for built-ins. */
  value: string;
  packageRoot: string | null;
  pluginApi: number | null;
}

export interface PluginLoadError {
  group: PluginGroup;
  name: string;
  value: string;
  distribution: string | null;
  error: string;
}

type Backend<G extends PluginGroup> = G extends "engine" ? EngineBackend : G extends "transport" ? TransportBackend : CommandBackend;

export interface PluginRegistryOptions {
  /** `node_modules` directories to scan (e.g. `<data dir>/agents/plugins/node_modules`). */
  roots?: readonly string[];
  builtins?: { engines?: readonly EngineBackend[]; transports?: readonly TransportBackend[]; commands?: readonly CommandBackend[] };
  /** `plugins.enabled`: npm package names; empty = everything. Built-ins stay visible [deviation]. */
  enabled?: readonly string[];
  /** Module loader; injectable for tests. */
  importModule?: (url: string) => Promise<Record<string, unknown>>;
}

interface ScannedPackage {
  name: string;
  root: string;
  taiku: Record<string, unknown>;
}

function scanRoot(root: string): ScannedPackage[] {
  if (!existsSync(root)) return [];
  const dirs: string[] = [];
  for (const name of readdirSync(root)) {
    if (name.startsWith(".")) continue;
    const p = join(root, name);
    if (name.startsWith("@")) {
      try {
        for (const sub of readdirSync(p)) dirs.push(join(p, sub));
      } catch {
        /* not a directory */
      }
    } else dirs.push(p);
  }
  const out: ScannedPackage[] = [];
  for (const dir of dirs) {
    const pj = join(dir, "package.json");
    try {
      if (!statSync(dir).isDirectory() || !existsSync(pj)) continue;
      const data = JSON.parse(readFileSync(pj, "utf8")) as Record<string, unknown>;
      if (typeof data["name"] !== "string" || typeof data["taiku"] !== "object" || data["taiku"] === null) continue;
      out.push({ name: data["name"], root: dir, taiku: data["taiku"] as Record<string, unknown> });
    } catch {
      continue;
    }
  }
  return out;
}

export class PluginRegistry {
  private readonly opts: PluginRegistryOptions;
  private readonly loadErrors: PluginLoadError[] = [];
  private readonly cache = new Map<string, unknown>();
  private listed: Map<PluginGroup, PluginEntry[]> | null = null;

  constructor(opts: PluginRegistryOptions = {}) {
    this.opts = opts;
  }

  private record(err: PluginLoadError): void {
    this.loadErrors.push(err);
  }

  /** Clears the listing and load caches (after installing or removing packages). */
  reset(): void {
    this.listed = null;
    this.cache.clear();
    this.loadErrors.length = 0;
  }

  private scan(): Map<PluginGroup, PluginEntry[]> {
    if (this.listed) return this.listed;
    const all: PluginEntry[] = [];
    const b = this.opts.builtins ?? {};
    for (const [group, list] of [["engine", b.engines], ["transport", b.transports], ["command", b.commands]] as const) {
      for (const backend of list ?? []) all.push({ group, id: backend.id, packageName: CORE_PACKAGE, value: "builtin", packageRoot: null, pluginApi: PLUGIN_API_VERSION });
    }
    for (const root of this.opts.roots ?? []) {
      for (const pkg of scanRoot(root)) {
        const api = typeof pkg.taiku["pluginApi"] === "number" ? (pkg.taiku["pluginApi"] as number) : null;
        for (const group of ["engine", "transport", "command"] as const) {
          const map = pkg.taiku[FIELD[group]];
          if (!map || typeof map !== "object") continue;
          for (const [id, value] of Object.entries(map as Record<string, unknown>)) {
            if (typeof value !== "string") continue;
            all.push({ group, id, packageName: pkg.name, value, packageRoot: pkg.root, pluginApi: api });
          }
        }
      }
    }
    const enabled = (this.opts.enabled ?? []).map(canonicalPackageName);
    const visible = all.filter((e) => e.packageName === CORE_PACKAGE || enabled.length === 0 || enabled.includes(canonicalPackageName(e.packageName)));
    const byGroup = new Map<PluginGroup, PluginEntry[]>();
    for (const group of ["engine", "transport", "command"] as const) {
      const entries = visible
        .filter((e) => e.group === group)
        .sort((a, b) => a.id.localeCompare(b.id) || a.packageName.localeCompare(b.packageName) || a.value.localeCompare(b.value));
      const ok: PluginEntry[] = [];
      for (const e of entries) {
        const base = { group, name: e.id, value: e.value, distribution: e.packageName };
        if (!isValidPluginId(e.id)) this.record({ ...base, error: `invalid plugin id '${e.id}'` });
        else if (group !== "transport" && isReservedId(e.id)) this.record({ ...base, error: `reserved plugin id '${e.id}'` });
        else ok.push(e);
      }
      const final: PluginEntry[] = [];
      for (const e of ok) {
        const same = ok.filter((o) => o.id === e.id);
        const pkgs = [...new Set(same.map((o) => o.packageName))];
        if (pkgs.length > 1) {
          if (same[0] === e) this.record({ group, name: e.id, value: e.value, distribution: null, error: `duplicate plugin id '${e.id}' from ${pkgs.join(", ")}` });
          continue;
        }
        if (same[0] === e) final.push(e);
      }
      byGroup.set(group, final);
    }
    this.listed = byGroup;
    return byGroup;
  }

  /** Entries of a group, without importing any plugin code. */
  list(group: PluginGroup): PluginEntry[] {
    return [...(this.scan().get(group) ?? [])];
  }

  listIds(group: PluginGroup): string[] {
    return this.list(group).map((e) => e.id);
  }

  errors(filter: { group?: PluginGroup; name?: string } = {}): PluginLoadError[] {
    this.scan();
    return this.loadErrors.filter((e) => (!filter.group || e.group === filter.group) && (!filter.name || e.name === filter.name));
  }

  /** Loads (once) and validates a backend; throws ConfigError for unknown ids and load failures. */
  async get<G extends PluginGroup>(group: G, id: string): Promise<Backend<G>> {
    const key = `${group}:${id}`;
    if (this.cache.has(key)) return this.cache.get(key) as Backend<G>;
    const entry = this.list(group).find((e) => e.id === id);
    if (!entry) throw new ConfigError(`Unknown ${group} '${id}'. Available: ${this.listIds(group).join(", ")}.`);
    try {
      const backend = await this.loadEntry(entry);
      this.cache.set(key, backend);
      // A later successful load clears recorded errors for that id.
      for (let i = this.loadErrors.length - 1; i >= 0; i--) if (this.loadErrors[i]!.group === group && this.loadErrors[i]!.name === id) this.loadErrors.splice(i, 1);
      return backend as Backend<G>;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.record({ group, name: id, value: entry.value, distribution: entry.packageName, error });
      throw new ConfigError(`Failed to load ${group} '${id}': ${error}`);
    }
  }

  /** Loads every visible engine; failures are recorded and skipped (spec §8.3 item 9). */
  async loadEngines(): Promise<EngineBackend[]> {
    const out: EngineBackend[] = [];
    for (const id of this.listIds("engine")) {
      try {
        out.push(await this.get("engine", id));
      } catch {
        /* recorded in errors() */
      }
    }
    return out;
  }

  /** Like get, but null for unknown ids (optional lookups). */
  async find<G extends PluginGroup>(group: G, id: string): Promise<Backend<G> | null> {
    if (!this.listIds(group).includes(id)) return null;
    return this.get(group, id);
  }

  private async loadEntry(entry: PluginEntry): Promise<unknown> {
    if (entry.value === "builtin") {
      const b = this.opts.builtins ?? {};
      const list = entry.group === "engine" ? b.engines : entry.group === "transport" ? b.transports : b.commands;
      return validate(entry, (list as ReadonlyArray<{ id: string }> | undefined)?.find((x) => x.id === entry.id));
    }
    if (entry.pluginApi !== PLUGIN_API_VERSION) throw new Error(`plugin API ${entry.pluginApi ?? "missing"} does not match ${PLUGIN_API_VERSION}`);
    const [modPath, exportName] = entry.value.split("#");
    const url = pathToFileURL(resolve(entry.packageRoot!, modPath!)).href;
    const mod = await (this.opts.importModule ?? ((u: string) => import(u) as Promise<Record<string, unknown>>))(url);
    return validate(entry, mod[exportName || "default"]);
  }
}

function validate(entry: PluginEntry, obj: unknown): unknown {
  if (!obj || typeof obj !== "object") throw new Error(`${entry.value} is not a ${entry.group} backend`);
  const o = obj as Record<string, unknown>;
  const need: Record<PluginGroup, string[]> = { engine: ["buildRunner"], transport: ["buildAndRun", "checkSetup", "lockToken", "interactiveSetup"], command: ["handle"] };
  if (typeof o["id"] !== "string") throw new Error(`${entry.group} backend has no id`);
  for (const m of need[entry.group]) if (typeof o[m] !== "function") throw new Error(`${entry.group} backend '${o["id"]}' lacks ${m}()`);
  if (o["id"] !== entry.id) throw new Error(`${entry.group} backend id '${o["id"]}' does not match entry '${entry.id}'`);
  return obj;
}
