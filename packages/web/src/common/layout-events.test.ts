import { describe, expect, it } from "vitest";
import { addPage, EMPTY_LAYOUT, hideTile, openPeek, reconcile, setRatio, switchPage, activeRoot, focusTile } from "./layout.js";
import { layoutEvents } from "./layout-events.js";

describe("layoutEvents (plugin events for this page's layout, §8)", () => {
  it("reports opened and closed tiles, the focused tile and the pages whose tree changed", () => {
    const one = reconcile(EMPTY_LAYOUT, [1]);
    expect(layoutEvents(EMPTY_LAYOUT, one)).toEqual([
      { type: "tile_opened", data: { key: 1, type: "shell", shellId: 1 } },
      { type: "tile_focused", data: { key: 1 } },
      { type: "layout_changed", data: { workspaceIndex: 0 } },
    ]);
    const peeked = openPeek(one, 1, 1).layout;
    const peekKey = peeked.tiles.at(-1)!.key;
    expect(layoutEvents(one, peeked)).toEqual([
      { type: "tile_opened", data: { key: peekKey, type: "peek", shellId: 1 } },
      { type: "tile_focused", data: { key: peekKey } }, // a tile opened is shown
      { type: "layout_changed", data: { workspaceIndex: 0 } },
    ]);
    const closed = hideTile(peeked, peekKey);
    expect(layoutEvents(peeked, closed)).toEqual([
      { type: "tile_closed", data: { key: peekKey } },
      { type: "tile_focused", data: { key: 1 } },
      { type: "layout_changed", data: { workspaceIndex: 0 } },
    ]);
    expect(layoutEvents(closed, closed)).toEqual([]);
  });

  it("reports a ratio change as layout_changed only, and page changes as workspace_changed", () => {
    const two = reconcile(EMPTY_LAYOUT, [1, 2]);
    const dragged = { ...two, pages: [{ ...two.pages[0]!, root: setRatio(activeRoot(two)!, "", 0.3) }] };
    expect(layoutEvents(two, dragged)).toEqual([{ type: "layout_changed", data: { workspaceIndex: 0 } }]);
    const { layout: withPage } = addPage(dragged, "logs");
    expect(layoutEvents(dragged, withPage)).toEqual([{ type: "workspace_changed", data: { activeIndex: 0, count: 2 } }]);
    const switched = switchPage(withPage, 1);
    expect(layoutEvents(withPage, switched).map((e) => e.type)).toEqual(["workspace_changed"]);
    const back = switchPage(switched, 0);
    const focused = focusTile(back, 2);
    expect(layoutEvents(back, focused)).toContainEqual({ type: "tile_focused", data: { key: 2 } });
  });
});
