/**
 * Limits of the plugin storage layers (§9.4, §9.5) with the spec's values as defaults. Every one is
 * configuration (ARCHITECTURE.md "Decisions"), so tests use small quotas and rate windows.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

export interface UserKvLimits {
  /** Keys are 1..maxKeyChars characters (code points). */
  maxKeyChars: number;
  /** UTF-8 bytes of JSON.stringify(value) for one value. */
  maxValueBytes: number;
  /** Keys per account per plugin. */
  maxKeys: number;
  /** Σ (key bytes + value bytes) per account per plugin. */
  maxTotalBytes: number;
}

export interface PluginStorageLimits {
  /** Largest single file (TAIKU_PLUGIN_FILE_MAX). */
  maxFileBytes: number;
  /** Total bytes per account across all plugins (TAIKU_PLUGIN_QUOTA). */
  quotaBytes: number;
  /** Files per account per plugin. */
  maxFilesPerPlugin: number;
  /** Per account per plugin, in each rateWindowMs: writes (PUT, upload, DELETE) and reads (GET file, list). */
  writesPerWindow: number;
  readsPerWindow: number;
  rateWindowMs: number;
}

export const DEFAULT_USER_KV_LIMITS: UserKvLimits = { maxKeyChars: 256, maxValueBytes: 256 * KiB, maxKeys: 1000, maxTotalBytes: 10 * MiB };

export const DEFAULT_PLUGIN_STORAGE_LIMITS: PluginStorageLimits = {
  maxFileBytes: 25 * MiB,
  quotaBytes: 250 * MiB,
  maxFilesPerPlugin: 1000,
  writesPerWindow: 60,
  readsPerWindow: 600,
  rateWindowMs: 60_000,
};

/** How long `POST /api/v1/plugins/install` waits for a manifest URL. */
export const DEFAULT_PLUGIN_INSTALL_TIMEOUT_MS = 10_000;

/**
 * "25MiB", "250 MB", "1048576", "64k" → bytes (for TAIKU_PLUGIN_FILE_MAX / TAIKU_PLUGIN_QUOTA).
 * Binary and decimal suffixes are both accepted because people write both; throws on anything else.
 */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$/i.exec(text);
  if (!m) throw new Error(`not a byte size: ${JSON.stringify(text)} (e.g. 25MiB, 500MB, 1048576)`);
  const power = " kmgt".indexOf((m[2] || " ").toLowerCase());
  const base = m[4] && !m[3] ? 1000 : 1024; // "MB" is decimal; "MiB" and a bare "M" (nginx style) are binary
  return Math.floor(Number(m[1]) * base ** power);
}
