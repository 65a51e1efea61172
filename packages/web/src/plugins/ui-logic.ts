/**
 * Pure helpers of the plugin UI: toolbar icon sanitising (§4.4), hotkey matching and collision rules
 * (§4.5), and panel URL resolution (§4.1).
 */
import { parseHotkey, type ParsedHotkey, type PluginHotkey } from "@taiku/protocol";
import type { RegisteredPlugin } from "./types.js";

/**
 * Toolbar icons are inline SVG from the manifest. Keep only an `<svg>` with drawing elements and
 * presentation attributes: no scripts, foreignObject, event handlers, styles or external references.
 */
const SVG_TAGS = new Set(["svg", "g", "path", "circle", "ellipse", "line", "polyline", "polygon", "rect", "title", "defs", "lineargradient", "radialgradient", "stop", "clippath", "mask"]);
const SVG_ATTRS = new Set([
  "viewbox", "width", "height", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-opacity",
  "fill-opacity", "fill-rule", "clip-rule", "opacity", "d", "cx", "cy", "r", "rx", "ry", "x", "y", "x1", "y1", "x2", "y2", "points",
  "transform", "xmlns", "offset", "stop-color", "stop-opacity", "id", "clip-path", "mask", "gradientunits",
]);

export function sanitizeSvg(markup: string | undefined): string {
  if (!markup || !/^\s*<svg[\s>]/i.test(markup)) return "";
  let out = "";
  const tagRe = /<\s*(\/?)\s*([a-zA-Z][\w:-]*)([^>]*?)(\/?)\s*>|([^<]+)/g;
  let depthSkip = 0;
  for (let m = tagRe.exec(markup); m; m = tagRe.exec(markup)) {
    if (m[5] !== undefined) {
      if (!depthSkip) out += m[5].replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
      continue;
    }
    const closing = m[1] === "/";
    const tag = m[2]!.toLowerCase();
    const selfClosing = m[4] === "/";
    if (!SVG_TAGS.has(tag)) {
      // Drop the element and everything inside it (script, foreignObject, style, use, image, a …).
      if (!selfClosing) depthSkip += closing ? -1 : 1;
      depthSkip = Math.max(0, depthSkip);
      continue;
    }
    if (depthSkip) continue;
    if (closing) {
      out += `</${tag}>`;
      continue;
    }
    let attrs = "";
    const attrRe = /([a-zA-Z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g;
    for (let a = attrRe.exec(m[3]!); a; a = attrRe.exec(m[3]!)) {
      const name = a[1]!.toLowerCase();
      const value = a[3] ?? a[4] ?? "";
      if (!SVG_ATTRS.has(name) || /url\s*\(|javascript:|data:/i.test(value)) continue;
      attrs += ` ${name}="${value.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}"`;
    }
    out += `<${tag}${attrs}${selfClosing ? "/" : ""}>`;
  }
  return out;
}

/** Built-in page hotkeys (terminal search, copy, paste) that plugins may not take. */
export const BUILTIN_HOTKEYS = ["Ctrl+F", "Ctrl+C", "Ctrl+V", "Ctrl+Shift+C", "Ctrl+Shift+V", "Ctrl+Shift+F"];

export interface KeyLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Canonical form with `Cmd` mapped to the platform's modifier, for collision checks. */
export function canonicalHotkey(h: ParsedHotkey, mac: boolean): string {
  const ctrl = h.ctrl || (h.cmd && !mac);
  const meta = h.cmd && mac;
  return [meta && "Meta", ctrl && "Ctrl", h.alt && "Alt", h.shift && "Shift", h.key].filter(Boolean).join("+");
}

export function matchesHotkey(e: KeyLike, h: ParsedHotkey, mac: boolean): boolean {
  const wantCtrl = h.ctrl || (h.cmd && !mac);
  const wantMeta = h.cmd && mac;
  if (e.ctrlKey !== wantCtrl || e.metaKey !== wantMeta || e.altKey !== h.alt || e.shiftKey !== h.shift) return false;
  if (/^[A-Z]$/.test(h.key)) return e.code === `Key${h.key}` || e.key.toUpperCase() === h.key;
  if (/^[0-9]$/.test(h.key)) return e.code === `Digit${h.key}` || e.key === h.key;
  return e.code === h.key || e.key === h.key;
}

export interface BoundHotkey {
  pluginId: string;
  hotkey: PluginHotkey;
  parsed: ParsedHotkey;
}

/** Hotkeys of the registered plugins in order; collisions with built-ins or earlier plugins are skipped with a warning. */
export function bindHotkeys(plugins: Iterable<RegisteredPlugin>, mac: boolean, warn: (msg: string) => void = console.warn): BoundHotkey[] {
  const taken = new Set(BUILTIN_HOTKEYS.map((k) => canonicalHotkey(parseHotkey(k)!, mac)));
  const out: BoundHotkey[] = [];
  for (const plugin of plugins) {
    if (!plugin.grantedPermissions.includes("hotkey.register")) continue;
    for (const hotkey of plugin.manifest.hotkeys) {
      const parsed = parseHotkey(hotkey.hotkey);
      if (!parsed) continue;
      const canon = canonicalHotkey(parsed, mac);
      if (taken.has(canon)) {
        warn(`taiku: plugin ${plugin.manifest.id}: hotkey ${hotkey.hotkey} ignored: already taken`);
        continue;
      }
      taken.add(canon);
      out.push({ pluginId: plugin.manifest.id, hotkey, parsed });
    }
  }
  return out;
}

/** A panel's page URL, resolved against its manifest URL (§4.1). */
export const panelUrl = (plugin: RegisteredPlugin, htmlUrl: string): string => new URL(htmlUrl, plugin.manifestUrl).href;
