/**
 * Tile layout: pages ("workspaces", like virtual desktops, §3.10), each a binary split tree (i3
 * model). Pure functions returning new layouts, so the UI can hold the layout in reactive state and
 * persist it as JSON in `localStorage["taiku:layout:" + sessionId]`. Tile keys are unique across
 * pages, so a key names one tile wherever it is.
 */
import type { LayoutMeta } from "@taiku/protocol";
import type { KeyValueStorage } from "./services.js";

export type { LayoutMeta };

export type Direction = "horizontal" | "vertical";
export type LayoutNode =
  | { kind: "split"; direction: Direction; ratio: number; first: LayoutNode; second: LayoutNode }
  | { kind: "leaf"; tiles: number[]; active?: number };

/**
 * This client renders `shell`, `peek` (a read-only view of a shell, §3.8), `tunnel` (a live preview
 * of a published port, §3.12), `browser` tiles (an `https:` page in a sandboxed frame) and `document`
 * tiles (a collaborative Markdown document, §3.11); other types of §3.10 are preserved if a stored
 * layout has them.
 */
export interface Tile {
  key: number;
  type: "shell" | "tunnel" | "peek" | "browser" | "plugin" | "document";
  shellId?: number;
  /** The published port a `tunnel` tile shows. */
  port?: number;
  /** The page a `browser` tile shows. */
  url?: string;
  /** The document a `document` tile shows (12 base62 characters). */
  docId?: string;
}

export interface Page {
  root: LayoutNode | null;
  name?: string;
  /** The tile last focused on this page (see `activeKey`). */
  focus?: number;
}

export interface Layout {
  /** At least one. */
  pages: Page[];
  /** The page being shown. */
  activeIndex: number;
  /** Tiles of every page. */
  tiles: Tile[];
  /** Shells the user closed the tile of (the shell keeps running); not re-added by `reconcile`. */
  hidden?: number[];
}

export const EMPTY_LAYOUT: Layout = { pages: [{ root: null }], activeIndex: 0, tiles: [] };
export const clampRatio = (r: number): number => Math.min(0.9, Math.max(0.1, Number.isFinite(r) ? r : 0.5));

export function leafKeys(node: LayoutNode | null): number[] {
  if (!node) return [];
  return node.kind === "leaf" ? [...node.tiles] : [...leafKeys(node.first), ...leafKeys(node.second)];
}

export function leaves(node: LayoutNode | null): Extract<LayoutNode, { kind: "leaf" }>[] {
  if (!node) return [];
  return node.kind === "leaf" ? [node] : [...leaves(node.first), ...leaves(node.second)];
}

/** Rebuild the tree, replacing the leaf holding `key` with `fn(leaf)` (null removes it). */
function mapLeafOf(node: LayoutNode, key: number, fn: (leaf: Extract<LayoutNode, { kind: "leaf" }>) => LayoutNode | null): LayoutNode | null {
  if (node.kind === "leaf") return node.tiles.includes(key) ? fn(node) : node;
  const first = mapLeafOf(node.first, key, fn);
  const second = mapLeafOf(node.second, key, fn);
  if (first === node.first && second === node.second) return node;
  // A split with one side gone collapses into the other side.
  if (!first) return second;
  if (!second) return first;
  return { ...node, first, second };
}

/** Split the leaf holding `key`: the old leaf keeps `first`, a new leaf with `newKey` becomes `second`. */
export function splitTile(root: LayoutNode | null, key: number, newKey: number, direction: Direction): LayoutNode {
  const fresh: LayoutNode = { kind: "leaf", tiles: [newKey], active: newKey };
  if (!root) return fresh;
  if (!leafKeys(root).includes(key)) return { kind: "split", direction, ratio: 0.5, first: root, second: fresh };
  return mapLeafOf(root, key, (leaf) => ({ kind: "split", direction, ratio: 0.5, first: leaf, second: fresh }))!;
}

/** Add `newKey` as a tab in the leaf holding `key`, and make it the active tab. */
export function addTab(root: LayoutNode | null, key: number, newKey: number): LayoutNode {
  if (!root || !leafKeys(root).includes(key)) return splitTile(root, key, newKey, "horizontal");
  return mapLeafOf(root, key, (leaf) => ({ kind: "leaf", tiles: [...leaf.tiles, newKey], active: newKey }))!;
}

/** Remove a tile; empty leaves disappear and their parent split collapses. */
export function removeTile(root: LayoutNode | null, key: number): LayoutNode | null {
  if (!root) return null;
  return mapLeafOf(root, key, (leaf) => {
    const tiles = leaf.tiles.filter((k) => k !== key);
    if (tiles.length === 0) return null;
    return { kind: "leaf", tiles, active: leaf.active === key || leaf.active === undefined ? tiles[0]! : leaf.active };
  });
}

export function activateTab(root: LayoutNode | null, key: number): LayoutNode | null {
  if (!root) return null;
  return mapLeafOf(root, key, (leaf) => ({ ...leaf, active: key }));
}

/** Set the ratio of the split at `path` (a string of 0 = first, 1 = second steps from the root). */
export function setRatio(root: LayoutNode, path: string, ratio: number): LayoutNode {
  if (root.kind === "leaf") return root;
  if (path === "") return { ...root, ratio: clampRatio(ratio) };
  const rest = path.slice(1);
  return path[0] === "0" ? { ...root, first: setRatio(root.first, rest, ratio) } : { ...root, second: setRatio(root.second, rest, ratio) };
}

/** A balanced tree of one tile per key, alternating side-by-side and stacked splits. */
export function balanced(keys: number[], direction: Direction = "horizontal"): LayoutNode | null {
  if (keys.length === 0) return null;
  if (keys.length === 1) return { kind: "leaf", tiles: [keys[0]!], active: keys[0]! };
  const mid = Math.ceil(keys.length / 2);
  const next: Direction = direction === "horizontal" ? "vertical" : "horizontal";
  return { kind: "split", direction, ratio: 0.5, first: balanced(keys.slice(0, mid), next)!, second: balanced(keys.slice(mid), next)! };
}

/** Tiles bound to a shell: the shell's own tile and peek views of it. */
const boundToShell = (t: Tile): boolean => t.type === "shell" || t.type === "peek";

// ------------------------------------------------------------------ pages (workspaces)

/** The split tree of the page being shown. */
export const activeRoot = (layout: Layout): LayoutNode | null => layout.pages[layout.activeIndex]?.root ?? null;

/** Index of the page whose tree holds `key`, or -1. */
export function pageOfKey(layout: Layout, key: number): number {
  return layout.pages.findIndex((p) => leafKeys(p.root).includes(key));
}

/** Replace page `index` with `fn(page)`. */
function withPage(layout: Layout, index: number, fn: (page: Page) => Page): Layout {
  const page = layout.pages[index];
  if (!page) return layout;
  const next = fn(page);
  return next === page ? layout : { ...layout, pages: layout.pages.map((p, i) => (i === index ? next : p)) };
}

/** Apply a tree edit to the page being shown (dividers, tab clicks). */
export function editActiveRoot(layout: Layout, fn: (root: LayoutNode | null) => LayoutNode | null): Layout {
  return withPage(layout, layout.activeIndex, (p) => {
    const root = fn(p.root);
    return root === p.root ? p : { ...p, root };
  });
}

/**
 * The tile that counts as active on a page (`getLayout`'s `active` flag, default target of splits):
 * the last one focused there, else the front tab of the first leaf.
 */
export function activeKey(layout: Layout, index = layout.activeIndex): number | null {
  const page = layout.pages[index];
  if (!page) return null;
  const keys = leafKeys(page.root);
  if (page.focus !== undefined && keys.includes(page.focus)) return page.focus;
  const first = leaves(page.root)[0];
  return first ? (first.active ?? first.tiles[0] ?? null) : null;
}

/** Cap on pages: each is cheap, but a runaway script should not fill the header. */
export const MAX_PAGES = 16;

/** Longest page name kept (as `createWorkspace` accepts). */
const PAGE_NAME_MAX = 80;
/** A page's name as kept: trimmed and capped; none when blank. */
const named = (name: string | undefined): { name?: string } => {
  const n = name?.trim().slice(0, PAGE_NAME_MAX);
  return n ? { name: n } : {};
};

/** Add an empty page after the others (it is not switched to). */
export function addPage(layout: Layout, name?: string): { layout: Layout; index: number } {
  const page: Page = { root: null, ...named(name) };
  return { layout: { ...layout, pages: [...layout.pages, page] }, index: layout.pages.length };
}

export function switchPage(layout: Layout, index: number): Layout {
  return index === layout.activeIndex || !layout.pages[index] ? layout : { ...layout, activeIndex: index };
}

export function renamePage(layout: Layout, index: number, name: string): Layout {
  return withPage(layout, index, (p) => {
    const { name: _old, ...rest } = p;
    return { ...rest, ...named(name) };
  });
}

/**
 * Close a page (never the last one). Its shells keep running: their tiles are hidden (the terminal
 * list shows them again); its peek, tunnel, browser and document tiles are closed.
 */
export function closePage(layout: Layout, index: number): Layout {
  const page = layout.pages[index];
  if (!page || layout.pages.length === 1) return layout;
  const keys = new Set(leafKeys(page.root));
  const gone = layout.tiles.filter((t) => keys.has(t.key));
  const hiddenShells = gone.filter((t) => t.type === "shell" && t.shellId !== undefined).map((t) => t.shellId!);
  const hidden = [...new Set([...(layout.hidden ?? []), ...hiddenShells])];
  const activeIndex = layout.activeIndex > index || layout.activeIndex === layout.pages.length - 1 ? layout.activeIndex - 1 : layout.activeIndex;
  return {
    pages: layout.pages.filter((_, i) => i !== index),
    activeIndex: Math.max(0, activeIndex),
    tiles: layout.tiles.filter((t) => !keys.has(t.key)),
    ...(hidden.length ? { hidden } : {}),
  };
}

/** Show the page holding `key`, bring the tile to the front of its leaf and make it the page's active tile. */
export function focusTile(layout: Layout, key: number): Layout {
  const index = pageOfKey(layout, key);
  if (index < 0) return layout;
  const next = withPage(switchPage(layout, index), index, (p) => (p.focus === key && activeTabOf(p.root, key) ? p : { ...p, root: activateTab(p.root, key), focus: key }));
  return next;
}

const activeTabOf = (root: LayoutNode | null, key: number): boolean => leaves(root).some((l) => (l.active ?? l.tiles[0]) === key);

// ------------------------------------------------------------------ reconcile and tiles

/**
 * Bring a layout in line with the live shells: drop shell and peek tiles whose shell is gone (on
 * every page), and give each new shell its own tile on the page being shown (split off its last
 * leaf), which is the default "one tile per shell".
 */
export function reconcile(layout: Layout, allShellIds: readonly number[]): Layout {
  const hiddenSet = new Set(layout.hidden ?? []);
  const shellIds = allShellIds.filter((id) => !hiddenSet.has(id));
  const live = new Set(shellIds);
  let pages = layout.pages;
  let tiles = layout.tiles;
  for (const t of layout.tiles) {
    // A peek of a hidden shell stays: hiding is about this user's own tile of it.
    if (boundToShell(t) && (t.shellId === undefined || !(t.type === "peek" ? allShellIds.includes(t.shellId) : live.has(t.shellId)))) {
      pages = pages.map((p) => {
        const root = removeTile(p.root, t.key);
        return root === p.root ? p : { ...p, root };
      });
      tiles = tiles.filter((x) => x.key !== t.key);
    }
  }
  // Tiles no tree holds (corrupt storage) are forgotten too.
  const inTree = new Set(pages.flatMap((p) => leafKeys(p.root)));
  if (tiles.some((t) => !inTree.has(t.key))) tiles = tiles.filter((t) => inTree.has(t.key));
  const shown = new Set(tiles.filter((t) => t.type === "shell").map((t) => t.shellId));
  let nextKey = tiles.reduce((m, t) => Math.max(m, t.key), 0) + 1;
  const fresh = shellIds.filter((id) => !shown.has(id));
  let root = pages[layout.activeIndex]?.root ?? null;
  const before = root;
  if (!root && fresh.length) {
    const keys = fresh.map(() => nextKey++);
    tiles = [...tiles, ...fresh.map((shellId, i) => ({ key: keys[i]!, type: "shell" as const, shellId }))];
    root = balanced(keys);
  } else {
    for (const shellId of fresh) {
      const key = nextKey++;
      const last = leafKeys(root).at(-1)!;
      const dir: Direction = leaves(root).length % 2 === 1 ? "horizontal" : "vertical";
      root = splitTile(root, last, key, dir);
      tiles = [...tiles, { key, type: "shell", shellId }];
    }
  }
  if (root !== before) pages = pages.map((p, i) => (i === layout.activeIndex ? { ...p, root } : p));
  return pages === layout.pages && tiles === layout.tiles ? layout : { ...layout, pages, tiles };
}

/**
 * Hide a tile (its shell keeps running and can be shown again from the terminal list). A peek tile
 * is simply closed: the shell's own tile is not affected.
 */
export function hideTile(layout: Layout, key: number): Layout {
  const tile = layout.tiles.find((t) => t.key === key);
  const hidden = tile?.type === "shell" && tile.shellId !== undefined ? [...new Set([...(layout.hidden ?? []), tile.shellId])] : layout.hidden;
  const pages = layout.pages.map((p) => {
    const root = removeTile(p.root, key);
    return root === p.root ? p : { ...p, root };
  });
  const { hidden: _h, ...rest } = layout;
  return { ...rest, pages, tiles: layout.tiles.filter((t) => t.key !== key), ...(hidden?.length ? { hidden } : {}) };
}

/** Show a shell again (reverses `hideTile`); `reconcile` then gives it a tile. */
export function unhideShell(layout: Layout, shellId: number): Layout {
  const hidden = (layout.hidden ?? []).filter((id) => id !== shellId);
  const { hidden: _h, ...rest } = layout;
  return hidden.length ? { ...rest, hidden } : rest;
}

/**
 * Place a shell this user just created next to `nearKey` (split or tab), on the page holding that
 * tile, instead of wherever `reconcile` would put it.
 */
export function placeShell(layout: Layout, shellId: number, nearKey: number | null, where: Direction | "tab", ratio?: number): Layout {
  if (layout.tiles.some((t) => t.type === "shell" && t.shellId === shellId)) return layout;
  return insertTile(layout, { type: "shell", shellId }, nearKey, where, ratio).layout;
}

const nextTileKey = (layout: Layout): number => layout.tiles.reduce((m, t) => Math.max(m, t.key), 0) + 1;

/**
 * Add a tile next to `nearKey` on the page holding it (else after the last tile of the page being
 * shown), as a split (`ratio` = share of the old side) or a tab. The new tile becomes its page's active tile.
 */
export function insertTile(layout: Layout, tile: Omit<Tile, "key">, nearKey: number | null, where: Direction | "tab", ratio?: number): { layout: Layout; key: number } {
  const key = nextTileKey(layout);
  const found = nearKey === null ? -1 : pageOfKey(layout, nearKey);
  const index = found >= 0 ? found : layout.activeIndex;
  const next = withPage(layout, index, (p) => {
    const near = found >= 0 ? nearKey! : (leafKeys(p.root).at(-1) ?? key);
    let root = where === "tab" ? addTab(p.root, near, key) : splitTile(p.root, near, key, where);
    if (ratio !== undefined && where !== "tab") root = setSplitRatioAbove(root, key, ratio);
    return { ...p, root, focus: key };
  });
  return { layout: { ...next, tiles: [...layout.tiles, { key, ...tile }] }, key };
}

/** Set the ratio of the split whose `second` side is the leaf holding only `key` (a fresh split). */
function setSplitRatioAbove(root: LayoutNode, key: number, ratio: number): LayoutNode {
  if (root.kind === "leaf") return root;
  if (root.second.kind === "leaf" && root.second.tiles.length === 1 && root.second.tiles[0] === key) return { ...root, ratio: clampRatio(ratio) };
  return { ...root, first: setSplitRatioAbove(root.first, key, ratio), second: setSplitRatioAbove(root.second, key, ratio) };
}

/** `nearKey` if it is on the page being shown, else null (open there, not on a page out of sight). */
const onActivePage = (layout: Layout, key: number | null): number | null => (key !== null && leafKeys(activeRoot(layout)).includes(key) ? key : null);

/**
 * Open a peek tile (§3.8) on `shellId` next to `nearKey` (default: the last tile). A shell already
 * peeked at is brought to the front instead of opening a second view of it.
 */
export function openPeek(layout: Layout, shellId: number, nearKey: number | null, where: Direction | "tab" = "horizontal"): { layout: Layout; key: number } {
  return openOnce(layout, (t) => t.type === "peek" && t.shellId === shellId, { type: "peek", shellId }, nearKey, where);
}

/** Open a tunnel tile (§3.12) on `port`, or bring the one already open to the front. */
export function openTunnel(layout: Layout, port: number, nearKey: number | null, where: Direction | "tab" = "horizontal"): { layout: Layout; key: number } {
  return openOnce(layout, (t) => t.type === "tunnel" && t.port === port, { type: "tunnel", port }, nearKey, where);
}

/** Open a document tile (§3.11), or bring the one already open to the front. */
export function openDocument(layout: Layout, docId: string, nearKey: number | null, where: Direction | "tab" = "horizontal"): { layout: Layout; key: number } {
  return openOnce(layout, (t) => t.type === "document" && t.docId === docId, { type: "document", docId }, nearKey, where);
}

function openOnce(layout: Layout, same: (t: Tile) => boolean, tile: Omit<Tile, "key">, nearKey: number | null, where: Direction | "tab"): { layout: Layout; key: number } {
  const existing = layout.tiles.find(same);
  if (existing) return { layout: focusTile(layout, existing.key), key: existing.key };
  return insertTile(layout, tile, onActivePage(layout, nearKey), where);
}

// ------------------------------------------------------------------ layoutMeta (§2.2.3)

/** The schema's cap on tiles in a `layoutMeta` message. */
const META_MAX_TILES = 256;

/** The compact summary others see (`users[].layout`): the page being shown, tiles in tree order, left/top first. */
export function layoutMeta(layout: Layout): LayoutMeta {
  const byKey = new Map(layout.tiles.map((t) => [t.key, t]));
  const tiles: LayoutMeta["tiles"] = [];
  for (const key of leafKeys(activeRoot(layout))) {
    const t = byKey.get(key);
    if (!t || tiles.length >= META_MAX_TILES) continue;
    tiles.push(t.shellId !== undefined ? { key, type: t.type, shellId: t.shellId } : { key, type: t.type });
  }
  return { pages: layout.pages.length, activeIndex: layout.activeIndex, tiles };
}

export function sameLayoutMeta(a: LayoutMeta | null | undefined, b: LayoutMeta | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.pages === b.pages && a.activeIndex === b.activeIndex && a.tiles.length === b.tiles.length
    && a.tiles.every((t, i) => { const u = b.tiles[i]!; return t.key === u.key && t.type === u.type && t.shellId === u.shellId; });
}

// ------------------------------------------------------------------ peek targets (§3.8)

export interface PeekPerson {
  userId: number;
  name: string;
  layout?: LayoutMeta;
}

export interface PeekGroup {
  /** Display name; null for shells nobody owns. */
  name: string | null;
  /** Connected participants of this name (several devices of one person share a group). */
  userIds: number[];
  shells: number[];
}

/**
 * What the peek list offers: other participants grouped by name with the shells in their layout
 * (their own shell tiles, in order), or the shells they own when they sent no layout; then live
 * shells nobody lists, by owner (disconnected owners keep their name, unowned ones go last).
 * Shells this user owns are only listed where someone else shows them.
 */
export function peekGroups(input: {
  users: readonly PeekPerson[];
  owners: ReadonlyArray<{ shellId: number; userId: number | null; name: string | null }>;
  shellIds: readonly number[];
  myUserIds: readonly number[];
}): PeekGroup[] {
  const live = new Set(input.shellIds);
  const mine = new Set(input.myUserIds);
  const groups = new Map<string | null, PeekGroup>();
  const listed = new Set<number>();
  const group = (name: string | null): PeekGroup => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, userIds: [], shells: [] }));
    return g;
  };
  const add = (g: PeekGroup, shellId: number) => {
    if (!live.has(shellId) || g.shells.includes(shellId)) return;
    g.shells.push(shellId);
    listed.add(shellId);
  };
  for (const u of input.users) {
    if (mine.has(u.userId)) continue;
    const g = group(u.name);
    g.userIds.push(u.userId);
    const shown = u.layout ? u.layout.tiles.filter((t) => t.type === "shell" && t.shellId !== undefined).map((t) => t.shellId!) : null;
    for (const id of shown ?? input.owners.filter((o) => o.userId === u.userId).map((o) => o.shellId)) add(g, id);
  }
  const ownerOf = new Map(input.owners.map((o) => [o.shellId, o]));
  const rest = input.shellIds.filter((id) => !listed.has(id));
  // Owned shells first (by owner name), unowned last.
  for (const id of [...rest.filter((id) => ownerOf.get(id)?.name), ...rest.filter((id) => !ownerOf.get(id)?.name)]) {
    const o = ownerOf.get(id);
    if (o && o.userId !== null && mine.has(o.userId)) continue;
    add(group(o?.name ?? null), id);
  }
  return [...groups.values()].filter((g) => g.shells.length || g.userIds.length)
    .sort((a, b) => (a.name === null ? 1 : 0) - (b.name === null ? 1 : 0));
}

// ------------------------------------------------------------------ persistence

const storageKey = (sessionId: string) => `taiku:layout:${sessionId}`;

function validNode(n: unknown, depth = 0): n is LayoutNode {
  if (depth > 64 || typeof n !== "object" || n === null) return false;
  const o = n as Record<string, unknown>;
  if (o.kind === "leaf") return Array.isArray(o.tiles) && o.tiles.length > 0 && o.tiles.every((k) => Number.isInteger(k));
  return o.kind === "split" && (o.direction === "horizontal" || o.direction === "vertical") && typeof o.ratio === "number"
    && validNode(o.first, depth + 1) && validNode(o.second, depth + 1);
}

const validRoot = (r: unknown): r is LayoutNode | null => r === null || r === undefined || validNode(r);

function readPage(raw: unknown): Page | null {
  if (typeof raw !== "object" || raw === null) return null;
  const o = raw as Record<string, unknown>;
  if (!validRoot(o.root)) return null;
  return {
    root: (o.root as LayoutNode | undefined) ?? null,
    ...(typeof o.name === "string" ? named(o.name) : {}),
    ...(Number.isInteger(o.focus) ? { focus: o.focus as number } : {}),
  };
}

/**
 * Read a stored layout; anything malformed yields an empty layout rather than a broken page. A
 * layout stored before pages existed (`{root, tiles, hidden}`) becomes the first and only page.
 */
export function loadLayout(storage: KeyValueStorage, sessionId: string): Layout {
  try {
    const raw = JSON.parse(storage.getItem(storageKey(sessionId)) ?? "null") as { root?: unknown; tiles?: unknown; pages?: unknown; activeIndex?: unknown } | null;
    if (!raw || !Array.isArray(raw.tiles)) return EMPTY_LAYOUT;
    const rawPages = Array.isArray(raw.pages) ? raw.pages.slice(0, MAX_PAGES) : [{ root: raw.root ?? null }];
    const pages = rawPages.map(readPage);
    if (pages.length === 0 || pages.some((p) => p === null)) return EMPTY_LAYOUT;
    const tiles = (raw.tiles as Tile[]).filter((t) => t && Number.isInteger(t.key) && typeof t.type === "string");
    const hidden = Array.isArray((raw as { hidden?: unknown }).hidden) ? ((raw as { hidden: unknown[] }).hidden.filter(Number.isInteger) as number[]) : [];
    const index = Number.isInteger(raw.activeIndex) ? (raw.activeIndex as number) : 0;
    return { pages: pages as Page[], activeIndex: index >= 0 && index < pages.length ? index : 0, tiles, ...(hidden.length ? { hidden } : {}) };
  } catch {
    return EMPTY_LAYOUT;
  }
}

export function saveLayout(storage: KeyValueStorage, sessionId: string, layout: Layout): void {
  try {
    storage.setItem(storageKey(sessionId), JSON.stringify(layout));
  } catch {
    // Storage full or disabled (private mode): the layout just is not remembered.
  }
}
