import { describe, expect, it } from "vitest";
import { activateTab, addTab, balanced, hideTile, leafKeys, loadLayout, placeShell, reconcile, removeTile, saveLayout, setRatio, splitTile, unhideShell, EMPTY_LAYOUT, type LayoutNode } from "./layout.js";
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
