/** Run directory for a context: project path or a git worktree per branch (spec §9.7) [compat]. */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ConfigError } from "../model.js";

export interface ProjectConfig {
  /** Alias as written in the config (display). */
  alias: string;
  /** Lowercase key. */
  key: string;
  path: string;
  /** Absolute worktrees root. */
  worktreesDir: string;
  defaultEngine: string | null;
  worktreeBase: string | null;
  chatId: number | string | null;
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(args: string[], cwd: string): Promise<GitResult> {
  return new Promise((resolveP, reject) => {
    execFile("git", args, { cwd, encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === "ENOENT") return reject(new ConfigError("git not available on PATH"));
      resolveP({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

export function validateBranch(branch: string): string {
  const b = branch.trim();
  if (!b) throw new ConfigError("branch name cannot be empty");
  if (b.startsWith("/") || b.split("/").includes("..")) throw new ConfigError(`invalid branch name '${b}'`);
  return b;
}

/** origin/HEAD target → current branch → master → main. */
export async function defaultBaseBranch(repo: string): Promise<string> {
  const head = await git(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], repo);
  if (head.code === 0 && head.stdout) return head.stdout.replace(/^refs\/remotes\/origin\//, "");
  const current = await git(["branch", "--show-current"], repo);
  if (current.code === 0 && current.stdout) return current.stdout;
  for (const b of ["master", "main"]) if ((await git(["show-ref", "--verify", "--quiet", `refs/heads/${b}`], repo)).code === 0) return b;
  throw new ConfigError("cannot determine base branch for new worktree");
}

export async function ensureWorktree(project: ProjectConfig, branchIn: string): Promise<string> {
  const branch = validateBranch(branchIn);
  if (!existsSync(project.path)) throw new ConfigError(`project path not found: ${project.path}`);
  const current = await git(["branch", "--show-current"], project.path);
  if (current.code === 0 && current.stdout === branch) return project.path;
  const root = resolve(project.worktreesDir);
  const path = resolve(root, branch);
  const rel = relative(root, path);
  if (!rel || rel.startsWith("..") || isAbsolute(rel)) throw new ConfigError("branch path escapes the worktrees directory");
  if (existsSync(path)) {
    const top = await git(["rev-parse", "--path-format=absolute", "--show-toplevel"], path);
    if (top.code !== 0 || realpathSync(top.stdout) !== realpathSync(path)) throw new ConfigError(`${path} exists but is not a git worktree`);
    return path;
  }
  mkdirSync(root, { recursive: true });
  let args: string[];
  if ((await git(["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], project.path)).code === 0) args = ["worktree", "add", path, branch];
  else if ((await git(["show-ref", "--verify", "--quiet", `refs/remotes/origin/${branch}`], project.path)).code === 0) args = ["worktree", "add", "-b", branch, path, `origin/${branch}`];
  else args = ["worktree", "add", "-b", branch, path, project.worktreeBase ?? (await defaultBaseBranch(project.path))];
  const r = await git(args, project.path);
  if (r.code !== 0) throw new ConfigError(r.stderr || `git ${args.join(" ")} failed`);
  return path;
}

export function worktreesRoot(projectPath: string, worktreesDir: string): string {
  return isAbsolute(worktreesDir) ? worktreesDir : join(projectPath, worktreesDir.split("/").join(sep));
}
