/**
 * Loading taiku.toml: parse with smol-toml, validate `[agents]` with zod, then apply the
 * cross-field rules (projects vs engines, chat ids, default project). Every error names the file
 * and the key.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import type { z } from "zod";
import { ConfigError } from "../model.js";
import { RESERVED_CHAT_COMMANDS } from "../runtime/agent-chat.js";
import type { ProjectsConfig } from "../runtime/transport-runtime.js";
import { worktreesRoot, type ProjectConfig } from "../runtime/worktrees.js";
import { agentsSchema, type AgentsConfigRaw } from "./schema.js";

export interface AgentsConfig extends Omit<AgentsConfigRaw, "projects" | "default_project"> {
  configPath: string;
  projects: ProjectsConfig;
  pluginConfigs: Record<string, unknown>;
}

function keyPath(path: ReadonlyArray<PropertyKey>): string {
  return ["agents", ...path.map(String)].join(".");
}

function zodError(file: string, err: z.ZodError): ConfigError {
  const issue = err.issues[0]!;
  const extra = issue.code === "unrecognized_keys" ? ` (${(issue as { keys: string[] }).keys.join(", ")})` : "";
  return new ConfigError(`${file}: ${keyPath(issue.path)}: ${issue.message}${extra}`);
}

function expandPath(p: string, base: string): string {
  const expanded = p === "~" || p.startsWith("~/") ? homedir() + p.slice(1) : p;
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

/** Validates the `[agents]` table of an already-parsed document. */
export function parseAgentsConfig(doc: Record<string, unknown>, configPath: string, opts: { engineIds?: readonly string[] } = {}): AgentsConfig {
  const parsed = agentsSchema.safeParse(doc["agents"] ?? {});
  if (!parsed.success) throw zodError(configPath, parsed.error);
  const raw = parsed.data;
  const fail = (key: string, msg: string) => new ConfigError(`${configPath}: agents.${key}: ${msg}`);
  const engineIds = opts.engineIds ?? null;
  if (raw.default_engine && engineIds && !engineIds.includes(raw.default_engine)) {
    throw fail("default_engine", `unknown engine '${raw.default_engine}'. Available: ${engineIds.join(", ")}`);
  }
  const base = dirname(configPath);
  const projects = new Map<string, ProjectConfig>();
  const mainChat = raw.transports.telegram?.chat_id ?? null;
  const chatIds = new Map<number, string>();
  for (const [alias, p] of Object.entries(raw.projects)) {
    const key = alias.toLowerCase();
    if (projects.has(key)) throw fail(`projects.${alias}`, "duplicate project alias");
    if (engineIds?.includes(key)) throw fail(`projects.${alias}`, `project alias must not equal an engine id`);
    if ((RESERVED_CHAT_COMMANDS as readonly string[]).includes(key)) throw fail(`projects.${alias}`, `project alias must not be a reserved command`);
    if (p.default_engine && engineIds && !engineIds.includes(p.default_engine)) throw fail(`projects.${alias}.default_engine`, `unknown engine '${p.default_engine}'`);
    if (p.chat_id !== undefined) {
      if (p.chat_id === mainChat) throw fail(`projects.${alias}.chat_id`, "must differ from transports.telegram.chat_id");
      const other = chatIds.get(p.chat_id);
      if (other) throw fail(`projects.${alias}.chat_id`, `already used by project '${other}'`);
      chatIds.set(p.chat_id, alias);
    }
    const path = expandPath(p.path, base);
    projects.set(key, {
      alias,
      key,
      path,
      worktreesDir: worktreesRoot(path, p.worktrees_dir),
      defaultEngine: p.default_engine ?? null,
      worktreeBase: p.worktree_base ?? null,
      chatId: p.chat_id ?? null,
    });
  }
  let defaultProject: string | null = null;
  if (raw.default_project) {
    defaultProject = raw.default_project.toLowerCase();
    if (!projects.has(defaultProject)) throw fail("default_project", `unknown project '${raw.default_project}'`);
  }
  const { enabled: _enabled, dir: _dir, ...pluginConfigs } = raw.plugins;
  for (const [id, v] of Object.entries(pluginConfigs)) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail(`plugins.${id}`, "must be a table");
  }
  const { projects: _p, default_project: _d, ...rest } = raw;
  return { ...rest, configPath, projects: { projects, defaultProject }, pluginConfigs };
}

export function parseConfigText(text: string, configPath: string, opts: { engineIds?: readonly string[] } = {}): AgentsConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${configPath}: invalid TOML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  return parseAgentsConfig(doc, configPath, opts);
}

export function loadConfig(configPath: string, opts: { engineIds?: readonly string[] } = {}): AgentsConfig {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch (err) {
    throw new ConfigError(`${configPath}: cannot read config: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfigText(text, configPath, opts);
}
