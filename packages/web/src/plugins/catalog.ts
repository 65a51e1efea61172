/**
 * Which plugins this page runs (spec §4.1, §10): the registry of built-ins (`/plugins/registry.json`),
 * the user's enabled and installed plugins (server routes when signed in, `localStorage["taiku:plugins"]`
 * otherwise) and the session's plugin set (`sessionPlugins`, loaded with `serverManaged: true`).
 *
 * Grants (§5): a plugin the user enabled or installed was approved all-or-nothing in the install dialog,
 * so it gets every declared permission. A session-managed plugin gets its declared permissions except
 * the high-risk ones, unless this user has enabled the same plugin too.
 */
import { HIGH_RISK_PERMISSIONS, validateManifest, type PluginManifest } from "@taiku/protocol";
import type { LocalPluginStore } from "./local-store.js";
import type { FetchLike, RegisteredPlugin } from "./types.js";

export interface RegistryEntry {
  id: string;
  name: string;
  version: string;
  description?: string;
  tagline?: string;
  manifestUrl: string;
  builtIn?: boolean;
}

export interface UserPluginEntry {
  id: string;
  manifestUrl: string;
  enabled: boolean;
  builtIn: boolean;
}

export type SessionPluginSet = Record<string, { manifest_url: string; enabled: boolean }>;

export class PluginCatalog {
  registry: RegistryEntry[] = [];
  user = new Map<string, UserPluginEntry>();
  session: SessionPluginSet = {};
  readonly plugins = new Map<string, RegisteredPlugin>();
  readonly errors = new Map<string, string>();
  private readonly manifests = new Map<string, Promise<{ ok: true; manifest: PluginManifest; warnings: string[] } | { ok: false; error: string }>>();
  private signedIn = false;
  private generation = 0;

  constructor(
    private readonly fetch: FetchLike,
    private readonly local: LocalPluginStore,
    private readonly appOrigin: string,
    private readonly onChange: (added: RegisteredPlugin[], removed: string[], changed: RegisteredPlugin[]) => void,
  ) {}

  absolute(url: string): string {
    return new URL(url, this.appOrigin + "/").href;
  }

  async init(signedIn: boolean): Promise<void> {
    this.signedIn = signedIn;
    try {
      const res = await this.fetch("/plugins/registry.json");
      const doc = (await res.json()) as { plugins?: RegistryEntry[] };
      this.registry = doc.plugins ?? [];
    } catch {
      this.registry = [];
    }
    await this.loadUserPlugins();
    await this.recompute();
  }

  private async loadUserPlugins(): Promise<void> {
    this.user.clear();
    if (this.signedIn) {
      try {
        const res = await this.fetch("/api/v1/plugins", { credentials: "same-origin" });
        if (res.ok) {
          for (const p of (await res.json()) as Array<UserPluginEntry & { manifest?: unknown }>) {
            this.user.set(p.id, { id: p.id, manifestUrl: p.manifestUrl, enabled: p.enabled, builtIn: p.builtIn });
            // The server fetched and stored installed manifests: use its copy (another origin's manifest
            // may not be fetchable from the page: CORS and the app's connect-src).
            if (p.manifest && !p.builtIn) this.cacheManifest(p.manifestUrl, p.manifest);
          }
          return;
        }
      } catch {
        // Fall back to this browser's list.
      }
    }
    const builtIn = new Set(this.registry.map((r) => r.id));
    for (const [id, e] of Object.entries(this.local.enablement())) this.user.set(id, { id, manifestUrl: e.manifestUrl, enabled: e.enabled, builtIn: builtIn.has(id) });
  }

  private cacheManifest(manifestUrl: string, raw: unknown): void {
    const url = this.absolute(manifestUrl);
    this.manifests.set(url, Promise.resolve(validateManifest(raw, { manifestUrl: url, appOrigin: this.appOrigin })));
  }

  /**
   * The manifest to show in the install dialog. Signed in, the server fetches and validates it (the
   * plugin is recorded disabled until the user approves); signed out, the page fetches it itself.
   */
  async prepareInstall(manifestUrl: string): Promise<{ ok: true; manifest: PluginManifest; warnings: string[] } | { ok: false; error: string }> {
    const url = this.absolute(manifestUrl);
    if (!this.signedIn) return this.loadManifest(url);
    const res = await this.fetch("/api/v1/plugins/install", {
      method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify({ manifestUrl: url, enabled: false }),
    });
    if (!res.ok) return { ok: false, error: (await res.text()) || `HTTP ${res.status}` };
    const body = (await res.json()) as { manifest: unknown; warnings?: unknown };
    this.cacheManifest(url, body.manifest);
    const result = await this.loadManifest(url);
    // The stored manifest is the normalised one (unknown permissions dropped): the warnings about the
    // original are the server's.
    const warnings = Array.isArray(body.warnings) ? body.warnings.filter((w): w is string => typeof w === "string") : [];
    return result.ok ? { ...result, warnings: [...new Set([...warnings, ...result.warnings])] } : result;
  }

  /** Load (once per URL) and validate a manifest. */
  loadManifest(manifestUrl: string) {
    const url = this.absolute(manifestUrl);
    let p = this.manifests.get(url);
    if (!p) {
      p = (async () => {
        try {
          const res = await this.fetch(url, { credentials: "omit" });
          if (!res.ok) return { ok: false as const, error: `could not load ${url}: HTTP ${res.status}` };
          return validateManifest(await res.text(), { manifestUrl: url, appOrigin: this.appOrigin });
        } catch (err) {
          return { ok: false as const, error: `could not load ${url}: ${(err as Error).message}` };
        }
      })();
      this.manifests.set(url, p);
    }
    return p;
  }

  setSessionSet(set: SessionPluginSet): void {
    this.session = set;
    void this.recompute();
  }

  /** Enable or disable for this user (server when signed in, else localStorage). */
  async setEnabled(id: string, manifestUrl: string, enabled: boolean, manifest?: PluginManifest): Promise<void> {
    if (this.signedIn) {
      const res = await this.fetch(`/api/v1/plugins/${encodeURIComponent(id)}`, {
        method: "PUT", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify({ enabled }),
      });
      if (!res.ok) throw new Error((await res.text()) || `HTTP ${res.status}`);
    } else {
      this.local.setEnablement(id, { manifestUrl, enabled, grantedPermissions: manifest?.permissions ?? [] });
    }
    const prev = this.user.get(id);
    this.user.set(id, { id, manifestUrl, enabled, builtIn: prev?.builtIn ?? this.registry.some((r) => r.id === id) });
    await this.recompute();
  }

  /** Install from a manifest URL the user approved in the install dialog. */
  async install(manifestUrl: string, manifest: PluginManifest): Promise<void> {
    const url = this.absolute(manifestUrl);
    if (this.signedIn) {
      // prepareInstall recorded it (disabled): enabling is the approval.
      return this.setEnabled(manifest.id, url, true, manifest);
    } else {
      this.local.setEnablement(manifest.id, { manifestUrl: url, enabled: true, grantedPermissions: manifest.permissions });
    }
    this.user.set(manifest.id, { id: manifest.id, manifestUrl: url, enabled: true, builtIn: false });
    await this.recompute();
  }

  /** Rebuild the registered set from the user's and the session's lists; report what changed. */
  async recompute(): Promise<void> {
    const gen = ++this.generation;
    const wanted = new Map<string, { manifestUrl: string; user: boolean; session: boolean }>();
    for (const u of this.user.values()) if (u.enabled) wanted.set(u.id, { manifestUrl: u.manifestUrl, user: true, session: false });
    for (const [id, e] of Object.entries(this.session)) {
      if (!e.enabled) continue;
      const w = wanted.get(id);
      wanted.set(id, { manifestUrl: w?.manifestUrl ?? e.manifest_url, user: Boolean(w?.user), session: true });
    }
    const loaded = await Promise.all([...wanted].map(async ([id, w]) => [id, w, await this.loadManifest(w.manifestUrl)] as const));
    if (gen !== this.generation) return; // a newer recompute superseded this one
    const added: RegisteredPlugin[] = [];
    const removed: string[] = [];
    const changed: RegisteredPlugin[] = [];
    const keep = new Set<string>();
    for (const [id, w, result] of loaded) {
      if (!result.ok) {
        this.errors.set(id, result.error);
        console.warn(`taiku: ${result.error}`);
        continue;
      }
      if (result.manifest.id !== id) {
        this.errors.set(id, `Plugin ${id} rejected: manifest id is "${result.manifest.id}"`);
        continue;
      }
      this.errors.delete(id);
      for (const warning of result.warnings) console.warn(`taiku: plugin ${id}: ${warning}`);
      keep.add(id);
      const granted = w.user ? [...result.manifest.permissions] : result.manifest.permissions.filter((p) => !HIGH_RISK_PERMISSIONS.includes(p));
      const next: RegisteredPlugin = {
        manifest: result.manifest, manifestUrl: this.absolute(w.manifestUrl), enabled: true, serverManaged: w.session,
        grantedPermissions: granted, warnings: result.warnings,
      };
      const prev = this.plugins.get(id);
      const same = prev && prev.manifestUrl === next.manifestUrl && prev.serverManaged === next.serverManaged && prev.grantedPermissions.join() === next.grantedPermissions.join();
      if (same) continue;
      this.plugins.set(id, next);
      (prev ? changed : added).push(next);
    }
    for (const id of [...this.plugins.keys()]) {
      if (keep.has(id)) continue;
      this.plugins.delete(id);
      removed.push(id);
    }
    if (added.length || removed.length || changed.length) this.onChange(added, removed, changed);
  }
}
