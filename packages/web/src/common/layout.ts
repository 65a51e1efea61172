/**
 * Tile layout: the binary split tree of spec §3.10 (i3 model). Pure functions returning new trees,
 * so the UI can hold the tree in reactive state and persist it as JSON in
 * `localStorage["taiku:layout:" + sessionId]`.
 */
import type { LayoutMeta } from "@taiku/protocol";
import type { KeyValueStorage } from "./services.js";

export type { LayoutMeta };

export type Direction = "horizontal" | "vertical";
export type LayoutNode =
  | { kind: "split"; direction: Direction; ratio: number; first: LayoutNode; second: LayoutNode }
  | { kind: "leaf"; tiles: number[]; active?: number };

/**
 * This client renders `shell`, `peek` (a read-only view of a shell, §3.8) and `tunnel` tiles (a live
 * preview of a published port, §3.12); other types of §3.10 are preserved if a stored layout has them.
 */
export interface Tile {
  key: number;
  type: "shell" | "tunnel" | "peek" | "browser" | "plugin" | "document";
  shellId?: number;
  /** The published port a `tunnel` tile shows. */
  port?: number;
}

export interface Layout {
  root: LayoutNode | null;
  tiles: Tile[];
  /** Shells the user closed the tile of (the shell keeps running); not re-added by `reconcile`. */
  hidden?: number[];
}

export const EMPTY_LAYOUT: Layout = { root: null, tiles: [] };
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

/**
 * Bring a layout in line with the live shells: drop shell and peek tiles whose shell is gone, and
 * give each new shell its own tile (split off the last leaf), which is the default "one tile per shell".
 */
export function reconcile(layout: Layout, allShellIds: readonly number[]): Layout {
  const hiddenSet = new Set(layout.hidden ?? []);
  const shellIds = allShellIds.filter((id) => !hiddenSet.has(id));
  const live = new Set(shellIds);
  let root = layout.root;
  let tiles = layout.tiles;
  for (const t of layout.tiles) {
    // A peek of a hidden shell stays: hiding is about this user's own tile of it.
    if (boundToShell(t) && (t.shellId === undefined || !(t.type === "peek" ? allShellIds.includes(t.shellId) : live.has(t.shellId)))) {
      root = removeTile(root, t.key);
      tiles = tiles.filter((x) => x.key !== t.key);
    }
  }
  // Tiles the tree lost (corrupt storage) are forgotten too.
  const inTree = new Set(leafKeys(root));
  if (tiles.some((t) => !inTree.has(t.key))) tiles = tiles.filter((t) => inTree.has(t.key));
  const shown = new Set(tiles.filter((t) => t.type === "shell").map((t) => t.shellId));
  let nextKey = tiles.reduce((m, t) => Math.max(m, t.key), 0) + 1;
  const fresh = shellIds.filter((id) => !shown.has(id));
  if (!root && fresh.length) {
    const keys = fresh.map(() => nextKey++);
    tiles = [...tiles, ...fresh.map((shellId, i) => ({ key: keys[i]!, type: "shell" as const, shellId }))];
    return { ...layout, root: balanced(keys), tiles };
  }
  for (const shellId of fresh) {
    const key = nextKey++;
    const last = leafKeys(root).at(-1)!;
    const dir: Direction = leaves(root).length % 2 === 1 ? "horizontal" : "vertical";
    root = splitTile(root, last, key, dir);
    tiles = [...tiles, { key, type: "shell", shellId }];
  }
  return root === layout.root && tiles === layout.tiles ? layout : { ...layout, root, tiles };
}

/**
 * Hide a tile (its shell keeps running and can be shown again from the terminal list). A peek tile
 * is simply closed: the shell's own tile is not affected.
 */
export function hideTile(layout: Layout, key: number): Layout {
  const tile = layout.tiles.find((t) => t.key === key);
  const hidden = tile?.type === "shell" && tile.shellId !== undefined ? [...new Set([...(layout.hidden ?? []), tile.shellId])] : layout.hidden;
  return { root: removeTile(layout.root, key), tiles: layout.tiles.filter((t) => t.key !== key), ...(hidden?.length ? { hidden } : {}) };
}

/** Show a shell again (reverses `hideTile`); `reconcile` then gives it a tile. */
export function unhideShell(layout: Layout, shellId: number): Layout {
  const hidden = (layout.hidden ?? []).filter((id) => id !== shellId);
  const { hidden: _h, ...rest } = layout;
  return hidden.length ? { ...rest, hidden } : rest;
}

/**
 * Place a shell this user just created next to `nearKey` (split or tab), instead of wherever
 * `reconcile` would put it.
 */
export function placeShell(layout: Layout, shellId: number, nearKey: number, where: Direction | "tab"): Layout {
  if (layout.tiles.some((t) => t.type === "shell" && t.shellId === shellId)) return layout;
  return insertTile(layout, { type: "shell", shellId }, nearKey, where).layout;
}

const nextTileKey = (layout: Layout): number => layout.tiles.reduce((m, t) => Math.max(m, t.key), 0) + 1;

function insertTile(layout: Layout, tile: Omit<Tile, "key">, nearKey: number | null, where: Direction | "tab"): { layout: Layout; key: number } {
  const key = nextTileKey(layout);
  const near = nearKey ?? leafKeys(layout.root).at(-1) ?? key;
  const root = where === "tab" ? addTab(layout.root, near, key) : splitTile(layout.root, near, key, where);
  return { layout: { ...layout, root, tiles: [...layout.tiles, { key, ...tile }] }, key };
}

/**
 * Open a peek tile (§3.8) on `shellId` next to `nearKey` (default: the last tile). A shell already
 * peeked at is brought to the front instead of opening a second view of it.
 */
export function openPeek(layout: Layout, shellId: number, nearKey: number | null, where: Direction | "tab" = "horizontal"): { layout: Layout; key: number } {
  const existing = layout.tiles.find((t) => t.type === "peek" && t.shellId === shellId);
  if (existing) return { layout: { ...layout, root: activateTab(layout.root, existing.key) }, key: existing.key };
  return insertTile(layout, { type: "peek", shellId }, nearKey !== null && leafKeys(layout.root).includes(nearKey) ? nearKey : null, where);
}

/** Open a tunnel tile (§3.12) on `port`, or bring the one already open to the front. */
export function openTunnel(layout: Layout, port: number, nearKey: number | null, where: Direction | "tab" = "horizontal"): { layout: Layout; key: number } {
  const existing = layout.tiles.find((t) => t.type === "tunnel" && t.port === port);
  if (existing) return { layout: { ...layout, root: activateTab(layout.root, existing.key) }, key: existing.key };
  return insertTile(layout, { type: "tunnel", port }, nearKey !== null && leafKeys(layout.root).includes(nearKey) ? nearKey : null, where);
}

// ------------------------------------------------------------------ layoutMeta (§2.2.3)

/** The schema's cap on tiles in a `layoutMeta` message. */
const META_MAX_TILES = 256;

/**
 * The compact summary others see (`users[].layout`): tiles in tree order, left/top first. This
 * client has one workspace page.
 */
export function layoutMeta(layout: Layout): LayoutMeta {
  const byKey = new Map(layout.tiles.map((t) => [t.key, t]));
  const tiles: LayoutMeta["tiles"] = [];
  for (const key of leafKeys(layout.root)) {
    const t = byKey.get(key);
    if (!t || tiles.length >= META_MAX_TILES) continue;
    tiles.push(t.shellId !== undefined ? { key, type: t.type, shellId: t.shellId } : { key, type: t.type });
  }
  return { pages: 1, activeIndex: 0, tiles };
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

/** Read a stored layout; anything malformed yields an empty layout rather than a broken page. */
export function loadLayout(storage: KeyValueStorage, sessionId: string): Layout {
  try {
    const raw = JSON.parse(storage.getItem(storageKey(sessionId)) ?? "null") as { root?: unknown; tiles?: unknown } | null;
    if (!raw || !Array.isArray(raw.tiles) || (raw.root !== null && !validNode(raw.root))) return EMPTY_LAYOUT;
    const tiles = (raw.tiles as Tile[]).filter((t) => t && Number.isInteger(t.key) && typeof t.type === "string");
    const hidden = Array.isArray((raw as { hidden?: unknown }).hidden) ? ((raw as { hidden: unknown[] }).hidden.filter(Number.isInteger) as number[]) : [];
    return { root: (raw.root as LayoutNode | null) ?? null, tiles, ...(hidden.length ? { hidden } : {}) };
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
