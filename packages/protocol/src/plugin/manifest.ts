/**
 * Plugin manifest (spec §4): schemas for every field and `validateManifest`, which runs the load-time
 * rules of §4.9 in order. Unknown permissions and elements whose permission is missing are dropped with a
 * warning (so plugins built for newer hosts still load, ARCHITECTURE.md "Decisions"); every other error
 * rejects the plugin with `Plugin <id> rejected: <field>: <reason>`.
 */
import { z } from "zod";
import { INTEGRATION_ERRORS } from "./errors.js";
import { jsonByteLength } from "./json.js";
import { TOOLKIT_SLUG_RE, normaliseToolkit } from "./integrations.js";
import { type PluginPermission, isPluginPermission } from "./permissions.js";

export const MANIFEST_MAX_BYTES = 256 * 1024;
export const PLUGIN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const PANEL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const SETTING_KEY_RE = /^[a-z][a-z0-9_]{0,63}$/;
export const ALIAS_NAME_RE = /^[a-z][a-z0-9_-]{0,31}$/;
const SEMVER_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
export const PANEL_POSITIONS = ["sidebar", "bottom", "floating", "tooltip", "overlay"] as const;

const clamp = (lo: number, hi: number) => z.number().transform((v) => Math.min(hi, Math.max(lo, v)));

export const pluginPanelSchema = z.object({
  id: z.string().regex(PANEL_ID_RE, "must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
  title: z.string().min(1).max(64),
  position: z.enum(PANEL_POSITIONS).default("sidebar"),
  htmlUrl: z.string().min(1),
  defaultWidth: clamp(200, 800).optional(),
  defaultHeight: clamp(120, 800).optional(),
  background: z.boolean().optional(),
});
export type PluginPanel = z.output<typeof pluginPanelSchema>;

export const pluginToolbarActionSchema = z.object({
  id: z.string().min(1).max(64),
  label: z.string().min(1).max(120),
  icon: z.string().max(16 * 1024).optional(),
  panelId: z.string().min(1),
});
export type PluginToolbarAction = z.output<typeof pluginToolbarActionSchema>;

/** `openPanel` is taiku's; `togglePanel` and `event` are ours. Other types are skipped with a warning. */
export const pluginHotkeySchema = z.object({
  id: z.string().min(1).max(64),
  label: z.string().min(1).max(120),
  hotkey: z.string().min(1).max(64),
  category: z.string().max(64).optional(),
  action: z.looseObject({ type: z.string(), panelId: z.string().optional() }),
});
export type PluginHotkey = z.output<typeof pluginHotkeySchema>;

export const pluginSettingSchema = z.object({
  key: z.string().regex(SETTING_KEY_RE, "must match ^[a-z][a-z0-9_]{0,63}$"),
  label: z.string().min(1),
  type: z.enum(["string", "text", "number", "boolean", "select"]),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  description: z.string().optional(),
  options: z.array(z.object({ value: z.union([z.string(), z.number()]), label: z.string() })).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().optional(),
  placeholder: z.string().optional(),
});
export type PluginSetting = z.output<typeof pluginSettingSchema>;

export const pluginSecretSchema = z.object({
  key: z.string().regex(SETTING_KEY_RE, "must match ^[a-z][a-z0-9_]{0,63}$"),
  label: z.string().min(1),
  description: z.string().optional(),
  required: z.boolean().optional(),
  placeholder: z.string().optional(),
});
export type PluginSecret = z.output<typeof pluginSecretSchema>;

export const pluginAliasSchema = z.object({
  name: z.string().regex(ALIAS_NAME_RE, "must match ^[a-z][a-z0-9_-]{0,31}$"),
  description: z.string().optional(),
  usage: z.string().optional(),
});
export type PluginAlias = z.output<typeof pluginAliasSchema>;

/** §4.2 identity and informational fields (unknown top-level fields are ignored). */
const identitySchema = z.object({
  id: z.string().regex(PLUGIN_ID_RE, "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"),
  name: z.string().min(1).max(64),
  version: z.string().regex(SEMVER_RE, "must be a semantic version such as 1.0.0"),
});
const infoSchema = z.object({
  author: z.string().optional(),
  description: z.string().max(500).optional(),
  tagline: z.string().max(120).optional(),
  categories: z.array(z.string()).optional(),
  icon: z.string().optional(),
  homepage: z.string().optional(),
  repository: z.string().optional(),
  license: z.string().optional(),
});

/** The validated, normalised manifest a host registers (`RegisteredPlugin.manifest`, §4.12). */
export type PluginManifest = z.output<typeof identitySchema> &
  z.output<typeof infoSchema> & {
    /** Known permissions only, de-duplicated. */
    permissions: PluginPermission[];
    /** Lowercased, de-duplicated toolkit slugs. */
    integrations?: string[];
    panels: PluginPanel[];
    toolbarActions: PluginToolbarAction[];
    hotkeys: PluginHotkey[];
    settings: PluginSetting[];
    secrets: PluginSecret[];
    aliases: PluginAlias[];
  };

export interface ValidateManifestOptions {
  /** Where the manifest was loaded from; relative `htmlUrl`s resolve against it (§4.1). */
  manifestUrl?: string;
  /** The app's origin: panel pages on it are allowed over plain http (self-hosted LAN servers). */
  appOrigin?: string;
}

export type ManifestResult = { ok: true; manifest: PluginManifest; warnings: string[] } | { ok: false; error: string };

class Rejection extends Error {}
const reject = (field: string, reason: string): never => {
  throw new Rejection(field ? `${field}: ${reason}` : reason);
};

/** Parse `value` with `schema`, rejecting with the path of the first issue under `field`. */
function parseField<T extends z.ZodType>(schema: T, value: unknown, field: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), field);
  return reject(at, issue.message);
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * §4.9 rule 6: a panel page must be `https:`, `http://localhost`, or on the app's own origin. A relative URL
 * without a known manifest URL is accepted; it resolves later against wherever the manifest came from.
 */
export function isAllowedPanelUrl(htmlUrl: string, opts: ValidateManifestOptions = {}): boolean {
  let url: URL;
  try {
    url = opts.manifestUrl ? new URL(htmlUrl, opts.manifestUrl) : new URL(htmlUrl);
  } catch {
    return !opts.manifestUrl && !/^[a-z][a-z0-9+.-]*:/i.test(htmlUrl) && !htmlUrl.startsWith("//");
  }
  if (opts.appOrigin && url.origin === opts.appOrigin) return true;
  return url.protocol === "https:" || (url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname));
}

const MODIFIERS = new Set(["cmd", "ctrl", "alt", "shift"]);
const NAMED_KEYS = new Set(
  "Enter Escape Slash Backslash Space Tab Backspace Delete Insert Home End PageUp PageDown ArrowUp ArrowDown ArrowLeft ArrowRight Comma Period Semicolon Quote Backquote Minus Equal BracketLeft BracketRight".split(" "),
);
export interface ParsedHotkey {
  cmd: boolean; ctrl: boolean; alt: boolean; shift: boolean;
  key: string;
}
/** §4.5 grammar: modifiers `Cmd`/`Ctrl`/`Alt`/`Shift` joined by `+`, then one key. Null when invalid. */
export function parseHotkey(hotkey: string): ParsedHotkey | null {
  const parts = hotkey.split("+").map((p) => p.trim());
  const key = parts.pop() ?? "";
  const mods = parts.map((p) => p.toLowerCase());
  if (mods.some((m) => !MODIFIERS.has(m)) || new Set(mods).size !== mods.length) return null;
  const validKey = /^[A-Za-z0-9]$/.test(key) || /^F([1-9]|1[0-2])$/.test(key) || NAMED_KEYS.has(key);
  if (!validKey) return null;
  const has = (m: string) => mods.includes(m);
  return { cmd: has("cmd"), ctrl: has("ctrl"), alt: has("alt"), shift: has("shift"), key: key.length === 1 ? key.toUpperCase() : key };
}

const arrayOf = (raw: unknown, field: string): unknown[] => {
  if (raw === undefined) return [];
  return Array.isArray(raw) ? raw : reject(field, "must be an array");
};

/** Run the §4.9 rules in order on a parsed manifest (or its JSON text). Never throws. */
export function validateManifest(raw: unknown, opts: ValidateManifestOptions = {}): ManifestResult {
  let label = "<unknown>";
  try {
    return { ok: true, ...runRules(raw, opts, (id) => (label = id)) };
  } catch (e) {
    const reason = e instanceof Rejection ? e.message : `manifest: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, error: reason.startsWith("Plugin ") ? reason : `Plugin ${label} rejected: ${reason}` };
  }
}

function runRules(input: unknown, opts: ValidateManifestOptions, setLabel: (id: string) => void): { manifest: PluginManifest; warnings: string[] } {
  const warnings: string[] = [];
  // 1. A JSON object ≤ 256 KiB.
  let raw = input;
  if (typeof raw === "string") {
    if (new TextEncoder().encode(raw).byteLength > MANIFEST_MAX_BYTES) reject("manifest", "larger than 256 KiB");
    try { raw = JSON.parse(raw); } catch { reject("manifest", "not valid JSON"); }
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return reject("manifest", "must be a JSON object");
  const m = raw as Record<string, unknown>;
  if (typeof m.id === "string") setLabel(m.id);
  if (jsonByteLength(raw) > MANIFEST_MAX_BYTES) reject("manifest", "larger than 256 KiB");

  // 2. id, name, version (and the informational fields of §4.2).
  const identity = parseField(identitySchema, m, "");
  const info = parseField(infoSchema, m, "");

  // 3. permissions: strings; unknown ones ignored with a warning; duplicates removed.
  const permissions: PluginPermission[] = [];
  for (const [i, p] of arrayOf(m.permissions, "permissions").entries()) {
    if (typeof p !== "string") reject(`permissions[${i}]`, "must be a string");
    else if (!isPluginPermission(p)) warnings.push(`Unknown permission "${p}" ignored; it grants nothing`);
    else if (!permissions.includes(p)) permissions.push(p);
  }

  // 4. integrations: trimmed, lowercased, checked, de-duplicated.
  let integrations: string[] | undefined;
  if (m.integrations !== undefined) {
    integrations = [];
    for (const [i, t] of arrayOf(m.integrations, "integrations").entries()) {
      if (typeof t !== "string") return reject(`integrations[${i}]`, "must be a string");
      const slug = normaliseToolkit(t);
      if (!TOOLKIT_SLUG_RE.test(slug)) reject(`integrations[${i}]`, `toolkit slug "${t}" must match ^[a-z0-9_-]+$`);
      if (!integrations.includes(slug)) integrations.push(slug);
    }
  }

  // 5. connect/execute need a non-empty toolkit list.
  const needsToolkits = permissions.includes("integrations.connect") || permissions.includes("integrations.execute");
  if (needsToolkits && !integrations?.length) throw new Rejection(INTEGRATION_ERRORS.missingToolkitList(identity.id));

  // 6. Panels: valid, unique ids, allowed page URLs.
  const declaredPanels = arrayOf(m.panels, "panels").map((p, i) => {
    const panel = parseField(pluginPanelSchema, p, `panels[${i}]`);
    if (!isAllowedPanelUrl(panel.htmlUrl, opts)) reject(`panels[${i}].htmlUrl`, "must be an https: URL (or http://localhost)");
    return panel;
  });
  const seen = new Set<string>();
  for (const [i, p] of declaredPanels.entries()) {
    if (seen.has(p.id)) reject(`panels[${i}].id`, `duplicate panel id "${p.id}"`);
    seen.add(p.id);
  }

  // 7. Elements whose permission is missing are skipped with a warning, never a rejection.
  const has = (p: PluginPermission) => permissions.includes(p);
  const gate = <T>(items: T[], permission: PluginPermission, field: string): T[] => {
    if (items.length && !has(permission)) {
      warnings.push(`${field} skipped: the ${permission} permission is not declared`);
      return [];
    }
    return items;
  };
  const panels = declaredPanels.filter((p) => {
    if (p.background || has("ui.panel")) return true;
    warnings.push(`panel "${p.id}" skipped: the ui.panel permission is not declared`);
    return false;
  });
  const panelIds = new Set(panels.map((p) => p.id));
  const uniqueIds = new Set<string>();
  const skip = (message: string) => {
    warnings.push(message);
    return false;
  };
  const keep = (field: string, id: string, panelId: string | undefined, needsPanel: boolean) => {
    if (uniqueIds.has(`${field}:${id}`)) return skip(`${field} "${id}" skipped: duplicate id`);
    uniqueIds.add(`${field}:${id}`);
    if (needsPanel && !panelIds.has(panelId ?? "")) return skip(`${field} "${id}" skipped: panel "${panelId}" does not exist`);
    return true;
  };
  const toolbarActions = gate(
    arrayOf(m.toolbarActions, "toolbarActions").map((a, i) => parseField(pluginToolbarActionSchema, a, `toolbarActions[${i}]`)),
    "ui.toolbar.custom",
    "toolbarActions",
  ).filter((a) => keep("toolbar action", a.id, a.panelId, true));
  const hotkeys = gate(
    arrayOf(m.hotkeys, "hotkeys").map((h, i) => parseField(pluginHotkeySchema, h, `hotkeys[${i}]`)),
    "hotkey.register",
    "hotkeys",
  ).filter((h) => {
    if (!parseHotkey(h.hotkey)) return skip(`hotkey "${h.id}" skipped: "${h.hotkey}" is not a valid key combination`);
    const t = h.action.type;
    if (t !== "openPanel" && t !== "togglePanel" && t !== "event") return skip(`hotkey "${h.id}" skipped: unknown action type "${t}"`);
    return keep("hotkey", h.id, h.action.panelId, t !== "event");
  });
  const aliases = gate(
    arrayOf(m.aliases, "aliases").map((a, i) => parseField(pluginAliasSchema, a, `aliases[${i}]`)),
    "shell.alias",
    "aliases",
  ).filter((a) => keep("alias", a.name, undefined, false));

  // 8. Settings and secrets: keys unique across both, defaults match their type.
  const settings = arrayOf(m.settings, "settings").map((s, i) => checkSetting(parseField(pluginSettingSchema, s, `settings[${i}]`), `settings[${i}]`));
  const secrets = arrayOf(m.secrets, "secrets").map((s, i) => parseField(pluginSecretSchema, s, `secrets[${i}]`));
  const keys = new Set<string>();
  for (const [field, list] of [["settings", settings], ["secrets", secrets]] as const) {
    for (const [i, s] of list.entries()) {
      if (keys.has(s.key)) reject(`${field}[${i}].key`, `duplicate key "${s.key}"`);
      keys.add(s.key);
    }
  }

  const manifest: PluginManifest = { ...identity, ...info, permissions, panels, toolbarActions, hotkeys, settings, secrets, aliases };
  if (integrations) manifest.integrations = integrations;
  return { manifest, warnings };
}

function checkSetting(s: PluginSetting, field: string): PluginSetting {
  const d = s.default;
  if (s.type === "select") {
    if (!s.options?.length) reject(`${field}.options`, "required for a select setting");
    if (d !== undefined && !s.options!.some((o) => o.value === d)) reject(`${field}.default`, "must be one of options[].value");
  } else if (d !== undefined) {
    const want = s.type === "number" ? "number" : s.type === "boolean" ? "boolean" : "string";
    if (typeof d !== want) reject(`${field}.default`, `must be a ${want} for a ${s.type} setting`);
  }
  return s;
}
