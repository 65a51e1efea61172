/**
 * `taiku --plugin <id|manifest-url|./dir>` (spec §10, §14.2): session-managed plugins owned by the CLI.
 *
 * - `<id>` (a built-in or registry id) → manifest `/plugins/<id>/manifest.json` on the session's server.
 * - `<https://…/manifest.json>` → fetched and validated at start (to learn the plugin id); the host
 *   validates it again when it loads it.
 * - `<./dir>` (anything that looks like a path) → `dir/manifest.json` is validated at start; the
 *   server serves the directory at `/api/s/<sessionId>/local-plugins/<pluginId>/<key>/<path>` by
 *   asking this CLI (`pluginFile`), and reads are confined to the directory exactly like the
 *   CLI-backed filesystem (fs-server.ts: no `..`, absolute paths or symlinks out of it). `<key>` is
 *   a random serving key of this CLI run, checked here: plugin pages load without cookies, so the
 *   route cannot authenticate, and only someone given the manifest URL (participants, through the
 *   session plugin set) can read the directory — not anyone who learns the session id. The directory is
 *   watched; after a change (debounced) the manifest is re-validated and `?v=<n>` on its URL is
 *   bumped, so every client reloads the plugin and remounts its panels.
 *
 * The set goes to the server in `setSessionPlugins` after every `sync` (first hello and resumes).
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { randomBase62, timingSafeEqual, utf8 } from "@taiku/crypto";
import { PLUGIN_ID_RE, validateManifest, type CliDownMsg, type CliUpMsg } from "@taiku/protocol";
import { CliError, EXIT } from "./exit-codes.js";
import { FsServer, NO_SUCH_FILE } from "./fs-server.js";

export type PluginArg = { kind: "id"; pluginId: string } | { kind: "url"; url: string } | { kind: "dir"; dir: string };

/** A bad `--plugin` value: printed as `taiku: <message>`, exit status 2. */
export class PluginArgError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = "PluginArgError";
  }
}

/** How a `--plugin` value is read: a URL, a path (contains `/`, starts with `.` or `~`), else an id. */
export function classifyPluginArg(arg: string, cwd: string): PluginArg {
  const value = arg.trim();
  if (/^https?:\/\//i.test(value)) return { kind: "url", url: value };
  if (value.startsWith(".") || value.startsWith("~") || value.includes("/") || value.includes("\\") || isAbsolute(value)) {
    return { kind: "dir", dir: resolve(cwd, value) };
  }
  if (!PLUGIN_ID_RE.test(value)) {
    throw new PluginArgError(`--plugin ${arg}: not a plugin id (^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$), manifest URL or directory`);
  }
  return { kind: "id", pluginId: value };
}

/** Validate `dir/manifest.json`; the error names the directory and the offending field. */
export async function loadLocalManifest(dir: string): Promise<{ pluginId: string; warnings: string[] }> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new PluginArgError(`--plugin ${dir}: not a directory`);
  const text = await readFile(join(dir, "manifest.json"), "utf8").catch(() => null);
  if (text === null) throw new PluginArgError(`--plugin ${dir}: no manifest.json in the directory`);
  const r = validateManifest(text);
  if (!r.ok) throw new PluginArgError(`--plugin ${dir}: ${r.error}`);
  return { pluginId: r.manifest.id, warnings: r.warnings };
}

async function loadRemoteManifest(url: string, fetchFn: typeof fetch): Promise<string> {
  let body: unknown;
  try {
    const res = await fetchFn(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.text();
  } catch (err) {
    throw new PluginArgError(`--plugin ${url}: could not load the manifest (${(err as Error).message})`);
  }
  const r = validateManifest(body, { manifestUrl: url });
  if (!r.ok) throw new PluginArgError(`--plugin ${url}: ${r.error}`);
  return r.manifest.id;
}

type Entry =
  | { kind: "fixed"; pluginId: string; manifestUrl: string }
  | { kind: "dir"; pluginId: string; dir: string; version: number };

export interface SessionPluginsOptions {
  cwd: string;
  fetch?: typeof fetch;
  /** Watch `--plugin ./dir` directories (default true). */
  watch?: boolean;
  debounceMs?: number;
  warn?: (message: string) => void;
}

export class SessionPlugins {
  private readonly entries: Entry[] = [];
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private listener: (() => void) | null = null;
  private closed = false;
  /** Capability in every local plugin URL (see the header comment). */
  private readonly servingKey = randomBase62(22);

  private constructor(private readonly opts: SessionPluginsOptions) {}

  /** Resolve and validate every `--plugin` value; throws PluginArgError naming the bad one. */
  static async resolve(args: string[], opts: SessionPluginsOptions): Promise<SessionPlugins> {
    const set = new SessionPlugins(opts);
    for (const arg of args) {
      const a = classifyPluginArg(arg, opts.cwd);
      let entry: Entry;
      if (a.kind === "id") entry = { kind: "fixed", pluginId: a.pluginId, manifestUrl: `/plugins/${encodeURIComponent(a.pluginId)}/manifest.json` };
      else if (a.kind === "url") entry = { kind: "fixed", pluginId: await loadRemoteManifest(a.url, opts.fetch ?? fetch), manifestUrl: a.url };
      else {
        const { pluginId, warnings } = await loadLocalManifest(a.dir);
        for (const w of warnings) opts.warn?.(`plugin ${pluginId}: ${w}`);
        entry = { kind: "dir", pluginId, dir: a.dir, version: 1 };
      }
      const i = set.entries.findIndex((e) => e.pluginId === entry.pluginId);
      if (i >= 0) set.entries[i] = entry;
      else set.entries.push(entry);
    }
    return set;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The `setSessionPlugins` list for this session. */
  list(sessionId: string): Array<{ pluginId: string; manifestUrl: string }> {
    return this.entries.map((e) => ({
      pluginId: e.pluginId,
      manifestUrl:
        e.kind === "fixed"
          ? e.manifestUrl
          : `/api/s/${encodeURIComponent(sessionId)}/local-plugins/${encodeURIComponent(e.pluginId)}/${this.servingKey}/manifest.json?v=${e.version}`,
    }));
  }

  /** Answer a `pluginFile` request: a read confined to that plugin's directory. */
  async handle(msg: CliDownMsg<"pluginFile">, send: (m: CliUpMsg<"fsResponse">) => void): Promise<void> {
    const entry = this.entries.find((e) => e.kind === "dir" && e.pluginId === msg.pluginId);
    const slash = msg.path.indexOf("/");
    const keyOk = slash > 0 && timingSafeEqual(utf8(msg.path.slice(0, slash)), utf8(this.servingKey));
    if (!entry || entry.kind !== "dir" || !keyOk) {
      send({ t: "fsResponse", requestId: msg.requestId, ok: false, error: NO_SUCH_FILE, json: new Uint8Array(0), data: new Uint8Array(0), end: true });
      return;
    }
    // The same confinement as the session directory (fs-server.ts), rooted at the plugin directory.
    await new FsServer({ root: entry.dir, enabled: true, send }).handle({
      t: "fsRequest", requestId: msg.requestId, op: "read", path: msg.path.slice(slash + 1), userId: 0, offset: 0, length: 0, data: new Uint8Array(0),
    });
  }

  /** Watch the local directories; `onChange` runs after a debounced change that left a valid manifest. */
  watch(onChange: () => void): void {
    this.listener = onChange;
    if (this.opts.watch === false) return;
    for (const e of this.entries) {
      if (e.kind !== "dir") continue;
      try {
        const w = watch(e.dir, { recursive: true }, () => this.changed(e));
        w.on("error", (err) => this.opts.warn?.(`plugin ${e.pluginId}: stopped watching ${e.dir}: ${err.message}`));
        this.watchers.push(w);
      } catch (err) {
        this.opts.warn?.(`plugin ${e.pluginId}: cannot watch ${e.dir}: ${(err as Error).message}`);
      }
    }
  }

  private changed(e: Extract<Entry, { kind: "dir" }>): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(e.pluginId));
    const timer = setTimeout(() => void this.reload(e), this.opts.debounceMs ?? 200);
    timer.unref?.();
    this.timers.set(e.pluginId, timer);
  }

  private async reload(e: Extract<Entry, { kind: "dir" }>): Promise<void> {
    this.timers.delete(e.pluginId);
    if (this.closed) return;
    try {
      const { pluginId } = await loadLocalManifest(e.dir);
      if (pluginId !== e.pluginId) {
        this.opts.warn?.(`plugin ${e.pluginId}: manifest id changed to "${pluginId}"; restart taiku to use the new id`);
        return;
      }
    } catch (err) {
      this.opts.warn?.(`${(err as Error).message} (not reloaded)`);
      return;
    }
    e.version += 1;
    this.listener?.();
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
