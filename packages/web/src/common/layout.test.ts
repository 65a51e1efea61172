import { describe, expect, it } from "vitest";
import {
  activateTab, addTab, balanced, hideTile, layoutMeta, leafKeys, loadLayout, openPeek, openTunnel, peekGroups, placeShell, reconcile, removeTile,
  sameLayoutMeta, saveLayout, setRatio, splitTile, unhideShell, EMPTY_LAYOUT, type LayoutNode,
} from "./layout.js";
import { MemoryStorage } from "./services.js";

const leaf = (...tiles: number[]): LayoutNode => ({ kind: "leaf", tiles, active: tiles[0]! });

describe("layout tree (§3.10)", () => {
  it("splits a leaf, the old tile first", () => {
    const t = splitTile(leaf(1), 1, 2, "horizontal");
    expect(t).toEqual({ kind: "split", direction: "horizontal", ratio: 0.5, first: leaf(1), second: leaf(2) });
    const t2 = splitTile(t, 2, 3, "vertical");
    expect(leafKeys(t2)).toEqual([1, 2, 3]);
    expect(t2.kind === "split" && t2.second.kind === "split" && t2.second.direction).toBe("vertical");
  });
  it("removing a tile collapses its split into the sibling", () => {
    const t = splitTile(splitTile(leaf(1), 1, 2, "horizontal"), 2, 3, "vertical");
    expect(removeTile(t, 2)).toEqual({ kind: "split", direction: "horizontal", ratio: 0.5, first: leaf(1), second: leaf(3) });
    expect(removeTile(removeTile(removeTile(t, 1), 2), 3)).toBeNull();
    expect(removeTile(t, 99)).toBe(t);
  });
  it("tabs: several tiles in a leaf, removing the active one activates another", () => {
    let t = addTab(leaf(1), 1, 2);
    expect(t).toEqual({ kind: "leaf", tiles: [1, 2], active: 2 });
    t = activateTab(t, 1)!;
    expect(t).toEqual({ kind: "leaf", tiles: [1, 2], active: 1 });
    expect(removeTile(t, 1)).toEqual({ kind: "leaf", tiles: [2], active: 2 });
  });
  it("clamps ratios to 0.1–0.9 along a path", () => {
    const t = splitTile(splitTile(leaf(1), 1, 2, "horizontal"), 2, 3, "vertical");
    const r = setRatio(t, "1", 0.95);
    expect(r.kind === "split" && r.second.kind === "split" && r.second.ratio).toBe(0.9);
    expect(setRatio(t, "", -3).kind === "split" && (setRatio(t, "", -3) as { ratio: number }).ratio).toBe(0.1);
  });
  it("default layout is one tile per shell; reconcile follows shells coming and going", () => {
    let l = reconcile(EMPTY_LAYOUT, [1, 2, 3]);
    expect(l.tiles.map((t) => t.shellId)).toEqual([1, 2, 3]);
    expect(leafKeys(l.root)).toEqual(l.tiles.map((t) => t.key));
    expect(reconcile(l, [1, 2, 3])).toBe(l); // stable when nothing changed
    l = reconcile(l, [1, 3, 4]);
    expect(l.tiles.map((t) => t.shellId).sort()).toEqual([1, 3, 4]);
    expect(new Set(leafKeys(l.root)).size).toBe(3);
    expect(reconcile(l, []).root).toBeNull();
    expect(balanced([1, 2, 3, 4])).toMatchObject({ direction: "horizontal", first: { direction: "vertical" } });
  });
  it("hidden shells stay out until shown again; new shells can be placed next to a tile", () => {
    let l = reconcile(EMPTY_LAYOUT, [1, 2]);
    const key2 = l.tiles.find((t) => t.shellId === 2)!.key;
    l = hideTile(l, key2);
    expect(l.hidden).toEqual([2]);
    expect(reconcile(l, [1, 2]).tiles.map((t) => t.shellId)).toEqual([1]);
    l = reconcile(unhideShell(l, 2), [1, 2]);
    expect(l.tiles.map((t) => t.shellId)).toEqual([1, 2]);
    const key1 = l.tiles.find((t) => t.shellId === 1)!.key;
    const placed = placeShell(l, 3, key1, "tab");
    expect(placed.root && leafKeys(placed.root)).toHaveLength(3);
    const leafOf1 = JSON.stringify(placed.root).includes(`"tiles":[${key1},`);
    expect(leafOf1).toBe(true);
    expect(reconcile(placed, [1, 2, 3])).toBe(placed);
  });
  it("persists per session and survives corrupt storage", () => {
    const st = new MemoryStorage();
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    saveLayout(st, "abc1234xyz", l);
    expect(loadLayout(st, "abc1234xyz")).toEqual(l);
    expect(loadLayout(st, "zzz1234xyz")).toEqual(EMPTY_LAYOUT);
    st.setItem("taiku:layout:abc1234xyz", '{"root":{"kind":"split"},"tiles":[]}');
    expect(loadLayout(st, "abc1234xyz")).toEqual(EMPTY_LAYOUT);
    st.setItem("taiku:layout:abc1234xyz", "nope");
    expect(loadLayout(st, "abc1234xyz")).toEqual(EMPTY_LAYOUT);
  });
});

describe("tunnel tiles (§3.12)", () => {
  it("opens one tile per port next to a tile; shells come and go around it; closing it hides nothing", () => {
    const l = reconcile(EMPTY_LAYOUT, [1]);
    const key1 = l.tiles[0]!.key;
    const { layout: t, key } = openTunnel(l, 3000, key1, "vertical");
    expect(t.tiles.find((x) => x.key === key)).toEqual({ key, type: "tunnel", port: 3000 });
    expect(openTunnel(t, 3000, null).key).toBe(key);
    expect(openTunnel(t, 3000, null).layout.tiles).toBe(t.tiles);
    expect(reconcile(t, [1])).toBe(t);
    expect(reconcile(t, []).tiles).toEqual([{ key, type: "tunnel", port: 3000 }]); // the tunnel outlives the shells
    expect(hideTile(t, key)).toEqual({ root: l.root, tiles: l.tiles });
    expect(layoutMeta(t).tiles).toEqual([{ key: key1, type: "shell", shellId: 1 }, { key, type: "tunnel" }]);
  });
});

describe("peek tiles (§3.8)", () => {
  it("opens a peek tile next to a tile, once per shell; it does not count as the shell's own tile", () => {
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    const key1 = l.tiles.find((t) => t.shellId === 1)!.key;
    const { layout: p, key } = openPeek(l, 2, key1);
    expect(p.tiles.find((t) => t.key === key)).toEqual({ key, type: "peek", shellId: 2 });
    expect(leafKeys(p.root)).toEqual([key1, key, l.tiles[1]!.key]);
    const again = openPeek(p, 2, null);
    expect(again.key).toBe(key);
    expect(again.layout.tiles).toBe(p.tiles);
    expect(reconcile(p, [1, 2])).toBe(p); // shell 2 keeps its own tile too
    expect(placeShell(p, 3, key, "tab").tiles.filter((t) => t.shellId === 3)).toHaveLength(1);
    // Unknown near key or empty layout: the peek still opens.
    expect(leafKeys(openPeek(EMPTY_LAYOUT, 5, 99).layout.root)).toHaveLength(1);
  });
  it("a peek tile closes with its shell, and closing it does not hide the shell", () => {
    let l = reconcile(EMPTY_LAYOUT, [1, 2]);
    const { layout: p, key } = openPeek(l, 2, null);
    expect(hideTile(p, key).hidden).toBeUndefined();
    expect(hideTile(p, key).tiles).toEqual(l.tiles);
    // Hiding the shell's own tile keeps the peek of it.
    const own = p.tiles.find((t) => t.type === "shell" && t.shellId === 2)!.key;
    l = reconcile(hideTile(p, own), [1, 2]);
    expect(l.tiles.map((t) => t.type)).toEqual(["shell", "peek"]);
    l = reconcile(l, [1]);
    expect(l.tiles.map((t) => t.type)).toEqual(["shell"]);
    expect(leafKeys(l.root)).toEqual([l.tiles[0]!.key]);
  });
});

describe("layoutMeta (§2.2.3)", () => {
  it("summarises tiles in tree order with their shells", () => {
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    const p = openPeek(l, 7, l.tiles[0]!.key).layout;
    const meta = layoutMeta(p);
    expect(meta).toEqual({ pages: 1, activeIndex: 0, tiles: [
      { key: 1, type: "shell", shellId: 1 }, { key: 3, type: "peek", shellId: 7 }, { key: 2, type: "shell", shellId: 2 },
    ] });
    expect(layoutMeta(EMPTY_LAYOUT)).toEqual({ pages: 1, activeIndex: 0, tiles: [] });
    // Tiles of other types carry no shellId key at all (the schema's optional field).
    const other = { root: { kind: "leaf", tiles: [9] } as LayoutNode, tiles: [{ key: 9, type: "browser" as const }] };
    expect(layoutMeta(other).tiles[0]).toEqual({ key: 9, type: "browser" });
  });
  it("compares by content, so an unchanged layout is not re-sent", () => {
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    expect(sameLayoutMeta(layoutMeta(l), layoutMeta({ ...l, root: setRatio(l.root!, "", 0.3) }))).toBe(true); // ratios are not in the meta
    expect(sameLayoutMeta(layoutMeta(l), layoutMeta(openPeek(l, 1, null).layout))).toBe(false);
    expect(sameLayoutMeta(layoutMeta(l), layoutMeta(reconcile(l, [2, 1, 3])))).toBe(false);
    expect(sameLayoutMeta(null, layoutMeta(l))).toBe(false);
    expect(sameLayoutMeta(null, undefined)).toBe(false);
  });
  it("caps the tile list at the schema's 256", () => {
    const keys = Array.from({ length: 300 }, (_, i) => i + 1);
    const big = { root: balanced(keys), tiles: keys.map((key) => ({ key, type: "shell" as const, shellId: key })) };
    expect(layoutMeta(big).tiles).toHaveLength(256);
  });
});

describe("peek targets (§3.8)", () => {
  const meta = (...tiles: Array<[string, number?]>) => ({ pages: 1, activeIndex: 0, tiles: tiles.map(([type, shellId], i) => ({ key: i + 1, type, ...(shellId !== undefined ? { shellId } : {}) })) });
  it("groups others by name with the shells of their layout, falling back to what they own", () => {
    const groups = peekGroups({
      users: [
        { userId: 1, name: "me", layout: meta(["shell", 1]) },
        { userId: 2, name: "Ada", layout: meta(["shell", 3], ["peek", 1], ["shell", 1], ["browser"]) },
        { userId: 3, name: "Bob" },
        { userId: 4, name: "Ada", layout: meta(["shell", 4], ["shell", 3]) },
        { userId: 5, name: "Cy", layout: meta(["shell", 99]) },
      ],
      owners: [{ shellId: 2, userId: 3, name: "Bob" }, { shellId: 1, userId: 1, name: "me" }],
      shellIds: [1, 2, 3, 4],
      myUserIds: [1],
    });
    expect(groups).toEqual([
      { name: "Ada", userIds: [2, 4], shells: [3, 1, 4] },
      { name: "Bob", userIds: [3], shells: [2] },
      { name: "Cy", userIds: [5], shells: [] },
    ]);
  });
  it("lists shells nobody shows by owner (disconnected owners too), unowned last, never my own", () => {
    const groups = peekGroups({
      users: [{ userId: 1, name: "me" }, { userId: 2, name: "Ada", layout: meta(["shell", 1]) }],
      owners: [
        { shellId: 2, userId: null, name: null },
        { shellId: 3, userId: null, name: "Gone" },
        { shellId: 4, userId: 2, name: "Ada" },
        { shellId: 5, userId: 1, name: "me" },
      ],
      shellIds: [1, 2, 3, 4, 5, 6],
      myUserIds: [1, 7],
    });
    expect(groups).toEqual([
      { name: "Ada", userIds: [2], shells: [1, 4] },
      { name: "Gone", userIds: [], shells: [3] },
      { name: null, userIds: [], shells: [2, 6] },
    ]);
  });
});
