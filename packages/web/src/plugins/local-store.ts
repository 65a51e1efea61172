/**
 * The host's localStorage layers for plugins (spec §4.1, §9.2). Secrets and settings never leave this
 * client; the sandboxed iframes cannot read localStorage, so only the host reads and writes these keys.
 *
 *   taiku:plugin-secrets   { <pluginId>: { <secretKey>: string } }
 *   taiku:plugin-settings  { <pluginId>: { <settingKey>: value } }   (only user-changed values)
 *   taiku:plugins          { <pluginId>: { manifestUrl, enabled, grantedPermissions } }   (when signed out)
 */
import type { PluginManifest } from "@taiku/protocol";
import type { KeyValueStorage } from "../common/services.js";

export const SECRETS_KEY = "taiku:plugin-secrets";
export const SETTINGS_KEY = "taiku:plugin-settings";
export const ENABLEMENT_KEY = "taiku:plugins";

export interface LocalEnablement {
  manifestUrl: string;
  enabled: boolean;
  grantedPermissions: string[];
}

type Nested<T> = Record<string, Record<string, T>>;

export class LocalPluginStore {
  constructor(private readonly storage: KeyValueStorage) {}

  private read<T>(key: string): Record<string, T> {
    try {
      const v = JSON.parse(this.storage.getItem(key) ?? "{}") as unknown;
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, T>) : {};
    } catch {
      return {};
    }
  }

  private write(key: string, value: unknown): void {
    try {
      this.storage.setItem(key, JSON.stringify(value));
    } catch (err) {
      throw new Error(`Local storage is full or unavailable: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- secrets (user-entered only)

  getSecret(pluginId: string, key: string): string | null {
    const v = this.read<Record<string, unknown>>(SECRETS_KEY)[pluginId]?.[key];
    return typeof v === "string" && v !== "" ? v : null;
  }

  /** Keys the user has filled in (values are never shown back to the settings UI). */
  secretKeys(pluginId: string): string[] {
    return Object.keys(this.read<Record<string, unknown>>(SECRETS_KEY)[pluginId] ?? {});
  }

  /** Settings UI only: `null` or "" removes the secret. */
  setSecret(pluginId: string, key: string, value: string | null): void {
    const all = this.read<Record<string, string>>(SECRETS_KEY) as Nested<string>;
    const mine = { ...(all[pluginId] ?? {}) };
    if (value === null || value === "") delete mine[key];
    else mine[key] = value;
    all[pluginId] = mine;
    this.write(SECRETS_KEY, all);
  }

  /** Required secrets the user has not entered: the plugin "needs configuration". */
  missingSecrets(manifest: PluginManifest): string[] {
    return manifest.secrets.filter((s) => s.required && this.getSecret(manifest.id, s.key) === null).map((s) => s.key);
  }

  // ---------------------------------------------------------------- settings

  /** Every declared setting with its default filled in, plus stored undeclared keys (plugin-private state). */
  getSettings(manifest: PluginManifest): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of manifest.settings) if (s.default !== undefined) out[s.key] = s.default;
    else out[s.key] = null;
    return { ...out, ...(this.read<Record<string, unknown>>(SETTINGS_KEY)[manifest.id] ?? {}) };
  }

  getSetting(manifest: PluginManifest, key: string): unknown {
    return this.getSettings(manifest)[key] ?? null;
  }

  setSetting(pluginId: string, key: string, value: unknown): void {
    const all = this.read<Record<string, unknown>>(SETTINGS_KEY) as Nested<unknown>;
    all[pluginId] = { ...(all[pluginId] ?? {}), [key]: value };
    this.write(SETTINGS_KEY, all);
  }

  // ---------------------------------------------------------------- enablement (signed out)

  enablement(): Record<string, LocalEnablement> {
    return this.read<LocalEnablement>(ENABLEMENT_KEY);
  }

  setEnablement(pluginId: string, entry: LocalEnablement | null): void {
    const all = this.enablement();
    if (entry) all[pluginId] = entry;
    else delete all[pluginId];
    this.write(ENABLEMENT_KEY, all);
  }

  /** Removing a plugin deletes its secrets and settings (§9.2). */
  forget(pluginId: string): void {
    for (const key of [SECRETS_KEY, SETTINGS_KEY]) {
      const all = this.read<unknown>(key);
      delete all[pluginId];
      this.write(key, all);
    }
    this.setEnablement(pluginId, null);
  }
}
