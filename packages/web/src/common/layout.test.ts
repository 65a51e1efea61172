import { describe, expect, it } from "vitest";
import {
  activateTab, activeKey, activeRoot, addPage, addTab, balanced, closePage, editActiveRoot, focusTile, hideTile, insertTile, layoutMeta, leafKeys,
  loadLayout, openDocument, openPeek, openTunnel, pageOfKey, peekGroups, placeShell, reconcile, removeTile, renamePage, sameLayoutMeta, saveLayout, setRatio,
  splitTile, switchPage, unhideShell, EMPTY_LAYOUT, type Layout, type LayoutNode,
} from "./layout.js";
import { LayoutControl, LAYOUT_ERRORS } from "./layout-control.js";
import { MemoryStorage } from "./services.js";
import { initialState } from "./session-state.js";

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
    expect(leafKeys(activeRoot(l))).toEqual(l.tiles.map((t) => t.key));
    expect(reconcile(l, [1, 2, 3])).toBe(l); // stable when nothing changed
    l = reconcile(l, [1, 3, 4]);
    expect(l.tiles.map((t) => t.shellId).sort()).toEqual([1, 3, 4]);
    expect(new Set(leafKeys(activeRoot(l))).size).toBe(3);
    expect(activeRoot(reconcile(l, []))).toBeNull();
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
    expect(leafKeys(activeRoot(placed))).toHaveLength(3);
    const leafOf1 = JSON.stringify(activeRoot(placed)).includes(`"tiles":[${key1},`);
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

describe("pages (workspaces, §3.10)", () => {
  const twoPages = () => {
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    const { layout, index } = addPage(l, "  logs ");
    return { l, two: layout, index };
  };
  it("adds a named page without switching; new shells go to the page shown", () => {
    const { l, two, index } = twoPages();
    expect(index).toBe(1);
    expect(two.pages[1]).toEqual({ root: null, name: "logs" });
    expect(two.activeIndex).toBe(0);
    const on2 = reconcile(switchPage(two, 1), [1, 2, 3]);
    expect(on2.activeIndex).toBe(1);
    expect(leafKeys(on2.pages[0]!.root)).toEqual(leafKeys(activeRoot(l)));
    const k3 = on2.tiles.find((t) => t.shellId === 3)!.key;
    expect(on2.pages[1]!.root).toEqual({ kind: "leaf", tiles: [k3], active: k3 });
    expect(pageOfKey(on2, k3)).toBe(1);
    // A shell that ends leaves every page; other pages are untouched by reconcile.
    expect(reconcile(on2, [1, 2, 3])).toBe(on2);
    const gone = reconcile(on2, [2, 3]);
    expect(gone.tiles.map((t) => t.shellId)).toEqual([2, 3]);
    expect(leafKeys(gone.pages[0]!.root)).toHaveLength(1);
    expect(switchPage(on2, 7)).toBe(on2);
  });
  it("focusTile shows the tile's page and makes it the page's active tile; meta reports pages", () => {
    const { two } = twoPages();
    const on2 = reconcile(switchPage(two, 1), [1, 2, 3]);
    const k2 = on2.tiles.find((t) => t.shellId === 2)!.key;
    expect(activeKey(on2, 0)).toBe(on2.tiles.find((t) => t.shellId === 1)!.key);
    const f = focusTile(on2, k2);
    expect(f.activeIndex).toBe(0);
    expect(activeKey(f)).toBe(k2);
    expect(focusTile(on2, 99)).toBe(on2);
    expect(layoutMeta(on2)).toMatchObject({ pages: 2, activeIndex: 1, tiles: [{ type: "shell", shellId: 3 }] });
    expect(renamePage(on2, 1, "").pages[1]).not.toHaveProperty("name");
    // Named from the page's own prompt as from a plugin: at most 80 characters, as a reload would keep.
    expect(renamePage(on2, 1, ` ${"x".repeat(200)}`).pages[1]!.name).toBe("x".repeat(80));
    expect(addPage(on2, "y".repeat(81)).layout.pages[2]!.name).toBe("y".repeat(80));
  });
  it("closing a page hides its shells (they keep running) and closes its other tiles; never the last page", () => {
    const { two } = twoPages();
    let on2 = reconcile(switchPage(two, 1), [1, 2, 3]);
    on2 = insertTile(on2, { type: "browser", url: "https://example.com/" }, null, "vertical").layout;
    const closed = closePage(on2, 1);
    expect(closed.pages).toHaveLength(1);
    expect(closed.activeIndex).toBe(0);
    expect(closed.hidden).toEqual([3]);
    expect(closed.tiles.map((t) => t.shellId)).toEqual([1, 2]);
    expect(reconcile(closed, [1, 2, 3])).toBe(closed);
    expect(closePage(closed, 0)).toBe(closed);
    // Closing a page before the one shown keeps showing the same page.
    const three = addPage(on2, "c").layout;
    expect(closePage(switchPage(three, 2), 0).activeIndex).toBe(1);
  });
  it("insertTile splits the given tile with a ratio, on the page holding it", () => {
    const { two } = twoPages();
    const k1 = two.tiles[0]!.key;
    const r = insertTile(switchPage(two, 1), { type: "peek", shellId: 1 }, k1, "vertical", 0.3);
    expect(pageOfKey(r.layout, r.key)).toBe(0);
    expect(JSON.stringify(r.layout.pages[0]!.root)).toContain(`"ratio":0.3`);
    expect(r.layout.pages[0]!.focus).toBe(r.key);
    // Opening a peek already open elsewhere shows its page instead of a second copy.
    const again = openPeek(r.layout, 1, null);
    expect(again).toMatchObject({ key: r.key, layout: { activeIndex: 0 } });
  });
  it("loads a layout stored before pages existed as one page, and pages as stored", () => {
    const st = new MemoryStorage();
    const root: LayoutNode = { kind: "split", direction: "horizontal", ratio: 0.4, first: { kind: "leaf", tiles: [1] }, second: { kind: "leaf", tiles: [2] } };
    st.setItem("taiku:layout:old", JSON.stringify({ root, tiles: [{ key: 1, type: "shell", shellId: 1 }, { key: 2, type: "shell", shellId: 2 }], hidden: [5] }));
    expect(loadLayout(st, "old")).toEqual({ pages: [{ root }], activeIndex: 0, tiles: [{ key: 1, type: "shell", shellId: 1 }, { key: 2, type: "shell", shellId: 2 }], hidden: [5] });
    const { two } = twoPages();
    saveLayout(st, "new", switchPage(two, 1));
    expect(loadLayout(st, "new")).toEqual(switchPage(two, 1));
    st.setItem("taiku:layout:bad", JSON.stringify({ pages: [{ root: { kind: "split" } }], tiles: [] }));
    expect(loadLayout(st, "bad")).toEqual(EMPTY_LAYOUT);
    st.setItem("taiku:layout:idx", JSON.stringify({ pages: [{ root: null }], activeIndex: 4, tiles: [] }));
    expect(loadLayout(st, "idx").activeIndex).toBe(0);
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
    expect(hideTile(t, key)).toEqual({ ...l, pages: [{ root: activeRoot(l), focus: key }] });
    expect(layoutMeta(t).tiles).toEqual([{ key: key1, type: "shell", shellId: 1 }, { key, type: "tunnel" }]);
  });
});

describe("document tiles (§3.11)", () => {
  it("opens one tile per document; it outlives the shells; others see its type", () => {
    const l = reconcile(EMPTY_LAYOUT, [1]);
    const key1 = l.tiles[0]!.key;
    const { layout: d, key } = openDocument(l, "Abc123def456", key1, "tab");
    expect(d.tiles.find((x) => x.key === key)).toEqual({ key, type: "document", docId: "Abc123def456" });
    expect(openDocument(d, "Abc123def456", null).key).toBe(key);
    expect(openDocument(d, "Xyz123def456", null).key).not.toBe(key);
    expect(reconcile(d, []).tiles).toEqual([{ key, type: "document", docId: "Abc123def456" }]);
    expect(layoutMeta(d).tiles).toEqual([{ key: key1, type: "shell", shellId: 1 }, { key, type: "document" }]);
    const st = new MemoryStorage();
    saveLayout(st, "s", d);
    expect(loadLayout(st, "s")).toEqual(d);
  });

  it("openTile opens a document tile when the server has documents, with a valid docId", () => {
    let layout = EMPTY_LAYOUT;
    let state = { ...initialState("s"), features: [] as string[] };
    const ctl = new LayoutControl({ get: () => layout, set: (l) => (layout = l), state: () => state, createShell: () => {} });
    expect(() => ctl.openTile({ type: "document", docId: "Abc123def456" })).toThrow('openTile type "document" is not supported by this server');
    state = { ...state, features: ["documents"] };
    expect(() => ctl.openTile({ type: "document", docId: "nope" })).toThrow(LAYOUT_ERRORS.needsDoc);
    const { key } = ctl.openTile({ type: "document", docId: "Abc123def456" });
    expect(ctl.tiles()).toEqual([{ key, type: "document", active: true, docId: "Abc123def456" }]);
  });
});

describe("peek tiles (§3.8)", () => {
  it("opens a peek tile next to a tile, once per shell; it does not count as the shell's own tile", () => {
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    const key1 = l.tiles.find((t) => t.shellId === 1)!.key;
    const { layout: p, key } = openPeek(l, 2, key1);
    expect(p.tiles.find((t) => t.key === key)).toEqual({ key, type: "peek", shellId: 2 });
    expect(leafKeys(activeRoot(p))).toEqual([key1, key, l.tiles[1]!.key]);
    const again = openPeek(p, 2, null);
    expect(again.key).toBe(key);
    expect(again.layout.tiles).toBe(p.tiles);
    expect(reconcile(p, [1, 2])).toBe(p); // shell 2 keeps its own tile too
    expect(placeShell(p, 3, key, "tab").tiles.filter((t) => t.shellId === 3)).toHaveLength(1);
    // Unknown near key or empty layout: the peek still opens.
    expect(leafKeys(activeRoot(openPeek(EMPTY_LAYOUT, 5, 99).layout))).toHaveLength(1);
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
    expect(leafKeys(activeRoot(l))).toEqual([l.tiles[0]!.key]);
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
    const other: Layout = { pages: [{ root: { kind: "leaf", tiles: [9] } }], activeIndex: 0, tiles: [{ key: 9, type: "browser" }] };
    expect(layoutMeta(other).tiles[0]).toEqual({ key: 9, type: "browser" });
  });
  it("compares by content, so an unchanged layout is not re-sent", () => {
    const l = reconcile(EMPTY_LAYOUT, [1, 2]);
    expect(sameLayoutMeta(layoutMeta(l), layoutMeta(editActiveRoot(l, (r) => setRatio(r!, "", 0.3))))).toBe(true); // ratios are not in the meta
    expect(sameLayoutMeta(layoutMeta(l), layoutMeta(openPeek(l, 1, null).layout))).toBe(false);
    expect(sameLayoutMeta(layoutMeta(l), layoutMeta(reconcile(l, [2, 1, 3])))).toBe(false);
    expect(sameLayoutMeta(null, layoutMeta(l))).toBe(false);
    expect(sameLayoutMeta(null, undefined)).toBe(false);
  });
  it("caps the tile list at the schema's 256", () => {
    const keys = Array.from({ length: 300 }, (_, i) => i + 1);
    const big: Layout = { pages: [{ root: balanced(keys) }], activeIndex: 0, tiles: keys.map((key) => ({ key, type: "shell" as const, shellId: key })) };
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
