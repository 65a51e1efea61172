/**
 * Plugin events for this page's own layout changes (spec §8): `workspace_changed`, `tile_opened`,
 * `tile_closed`, `tile_focused` and `layout_changed`. Pure: the session page compares the layout
 * before and after each update and hands the result to the plugin bridge.
 */
import { activeKey, type Layout } from "./layout.js";

export interface LayoutEvent {
  type: "workspace_changed" | "tile_opened" | "tile_closed" | "tile_focused" | "layout_changed";
  data: Record<string, unknown>;
}

export function layoutEvents(prev: Layout, next: Layout): LayoutEvent[] {
  if (prev === next) return [];
  const out: LayoutEvent[] = [];
  if (prev.activeIndex !== next.activeIndex || prev.pages.length !== next.pages.length) {
    out.push({ type: "workspace_changed", data: { activeIndex: next.activeIndex, count: next.pages.length } });
  }
  const before = new Map(prev.tiles.map((t) => [t.key, t]));
  const after = new Set(next.tiles.map((t) => t.key));
  for (const t of next.tiles) {
    if (!before.has(t.key)) out.push({ type: "tile_opened", data: t.shellId !== undefined ? { key: t.key, type: t.type, shellId: t.shellId } : { key: t.key, type: t.type } });
  }
  for (const key of before.keys()) if (!after.has(key)) out.push({ type: "tile_closed", data: { key } });
  const focused = activeKey(next);
  if (focused !== null && focused !== activeKey(prev)) out.push({ type: "tile_focused", data: { key: focused } });
  // Splits, ratios, tabs: one event per page whose tree changed (layout edits are pure: a new tree is a change).
  next.pages.forEach((page, index) => {
    if ((prev.pages[index]?.root ?? null) !== page.root) {
      out.push({ type: "layout_changed", data: { workspaceIndex: index } });
    }
  });
  return out;
}
