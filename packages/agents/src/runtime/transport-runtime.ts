/**
 * TransportRuntime (spec §1.4.5): the facade transports and command plugins use to resolve
 * prompts, engines, runners, run directories and plugin config, without seeing the router or the
 * project table.
 */
import { ConfigError, RunnerUnavailableError, type EngineId, type ResumeToken, type RunContext } from "../model.js";
import type { AutoRouter, EngineStatus } from "./router.js";
import { formatContextLine, parseContextLine, parseDirectives } from "./directives.js";
import { ensureWorktree, type ProjectConfig } from "./worktrees.js";
import type { Runner } from "../runner.js";

export interface ResolvedMessage {
  prompt: string;
  resumeToken: ResumeToken | null;
  engineOverride: EngineId | null;
  context: RunContext | null;
  contextSource: "reply_ctx" | "directives" | "ambient" | "default_project" | "none";
}

export interface ResolvedRunner {
  engine: EngineId;
  runner: Runner;
  available: boolean;
  issue: string | null;
}

export interface ProjectsConfig {
  projects: ReadonlyMap<string, ProjectConfig>;
  defaultProject: string | null;
}

export interface RuntimeSpec {
  router: AutoRouter;
  projects?: ProjectsConfig;
  configPath?: string | null;
  pluginConfigs?: Record<string, unknown>;
  allowlist?: readonly string[];
  watchConfig?: boolean;
}

export class TransportRuntime {
  private spec!: Required<Omit<RuntimeSpec, "configPath">> & { configPath: string | null };

  constructor(spec: RuntimeSpec) {
    this.update(spec);
  }

  /** Hot reload: swaps router and projects atomically. */
  update(spec: RuntimeSpec): void {
    this.spec = {
      router: spec.router,
      projects: spec.projects ?? { projects: new Map(), defaultProject: null },
      configPath: spec.configPath ?? null,
      pluginConfigs: spec.pluginConfigs ?? {},
      allowlist: spec.allowlist ?? [],
      watchConfig: spec.watchConfig ?? false,
    };
  }

  get router(): AutoRouter {
    return this.spec.router;
  }
  get engineIds(): EngineId[] {
    return this.spec.router.engineIds;
  }
  get defaultEngine(): EngineId {
    return this.spec.router.defaultEngine;
  }
  get configPath(): string | null {
    return this.spec.configPath;
  }
  get allowlist(): readonly string[] {
    return this.spec.allowlist;
  }
  get watchConfig(): boolean {
    return this.spec.watchConfig;
  }

  engineIdsWithStatus(...statuses: EngineStatus[]): EngineId[] {
    return this.spec.router.entries.filter((e) => statuses.includes(e.status)).map((e) => e.engine);
  }
  availableEngineIds(): EngineId[] {
    return this.engineIdsWithStatus("ok", "bad_config");
  }
  missingEngineIds(): EngineId[] {
    return this.engineIdsWithStatus("missing_cli");
  }

  normalizeProjectKey(s: string): string | null {
    const key = s.trim().toLowerCase();
    return this.spec.projects.projects.has(key) ? key : null;
  }
  projectAliases(): string[] {
    return [...this.spec.projects.projects.values()].map((p) => p.alias);
  }
  projectAliasForKey(key: string): string {
    return this.spec.projects.projects.get(key)?.alias ?? key;
  }
  projectChatIds(): Array<number | string> {
    return [...this.spec.projects.projects.values()].map((p) => p.chatId).filter((c): c is number | string => c !== null);
  }
  defaultContextForChat(chatId: number | string | null | undefined): RunContext | null {
    if (chatId === null || chatId === undefined) return null;
    for (const p of this.spec.projects.projects.values()) if (p.chatId !== null && String(p.chatId) === String(chatId)) return { project: p.key, branch: null };
    return null;
  }
  projectDefaultEngine(ctx: RunContext | null): EngineId | null {
    return ctx?.project ? (this.spec.projects.projects.get(ctx.project)?.defaultEngine ?? null) : null;
  }

  isResumeLine(line: string): boolean {
    return this.spec.router.isResumeLine(line);
  }

  resolveMessage(opts: { text: string; replyText?: string | null; ambientContext?: RunContext | null; chatId?: number | string | null }): ResolvedMessage {
    const d = parseDirectives(opts.text, { engineIds: this.engineIds, projectAliases: this.projectAliases() });
    const replyCtx = parseContextLine(opts.replyText, (k) => this.spec.projects.projects.has(k));
    const resumeToken = this.spec.router.resolveResume(d.prompt, opts.replyText);
    let context: RunContext | null;
    let contextSource: ResolvedMessage["contextSource"];
    if (replyCtx) {
      context = replyCtx;
      contextSource = "reply_ctx";
    } else {
      const ambient = opts.ambientContext ?? null;
      const fallback = this.defaultContextForChat(opts.chatId)?.project ?? this.spec.projects.defaultProject;
      const project = d.project ?? ambient?.project ?? fallback ?? null;
      const branch = d.branch ?? (ambient?.project && ambient.project === project ? ambient.branch : null);
      context = project || branch ? { project, branch } : null;
      contextSource = d.project || d.branch ? "directives" : ambient?.project ? "ambient" : project ? "default_project" : "none";
    }
    return { prompt: d.prompt, resumeToken, engineOverride: d.engine, context, contextSource };
  }

  resolveEngine(opts: { engineOverride?: EngineId | null; context?: RunContext | null }): EngineId {
    return opts.engineOverride ?? this.projectDefaultEngine(opts.context ?? null) ?? this.defaultEngine;
  }

  resolveRunner(opts: { resumeToken?: ResumeToken | null; engineOverride?: EngineId | null }): ResolvedRunner {
    const engine = opts.resumeToken?.engine ?? opts.engineOverride ?? this.defaultEngine;
    const entry = this.spec.router.entryFor(engine);
    if (!entry) throw new RunnerUnavailableError(engine, "engine not configured");
    const available = entry.status === "ok" || entry.status === "bad_config";
    return { engine, runner: entry.runner, available, issue: available ? null : entry.issue };
  }

  async resolveRunCwd(context: RunContext | null): Promise<string | null> {
    if (!context?.project) return null;
    const project = this.spec.projects.projects.get(context.project);
    if (!project) throw new ConfigError(`unknown project '${context.project}'`);
    if (!context.branch) return project.path;
    return ensureWorktree(project, context.branch);
  }

  formatContextLine(context: RunContext | null): string | null {
    return context?.project ? formatContextLine(context, this.projectAliasForKey(context.project)) : null;
  }

  pluginConfig(pluginId: string): Record<string, unknown> {
    const v = this.spec.pluginConfigs[pluginId];
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`[plugins.${pluginId}] must be a table`);
    return structuredClone(v as Record<string, unknown>);
  }
}
