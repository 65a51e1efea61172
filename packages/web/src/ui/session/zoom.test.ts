import { describe, expect, it } from "vitest";
import { clampView, MAX_ZOOM, panBy, transformOf, UNZOOMED, zoomTo } from "./zoom.js";

const size = { w: 400, h: 200 };

describe("peek zoom and pan (§3.8)", () => {
  it("zooms between 1× and 5×, about the centre by default", () => {
    expect(zoomTo(UNZOOMED, 9, size).zoom).toBe(MAX_ZOOM);
    expect(zoomTo(UNZOOMED, 0.2, size)).toEqual(UNZOOMED);
    // Centre stays put: at 2× the centre (200, 100) maps from content point (100, 50) + translation.
    expect(zoomTo(UNZOOMED, 2, size)).toEqual({ zoom: 2, x: -200, y: -100 });
  });
  it("keeps the point under the pointer in place", () => {
    const v = zoomTo(UNZOOMED, 2, size, { x: 100, y: 40 });
    expect(v).toEqual({ zoom: 2, x: -100, y: -40 });
    const w = zoomTo(v, 4, size, { x: 100, y: 40 });
    // Content point under the pointer: (100 - x) / zoom stays (100 + 100) / 2 = 100.
    expect((100 - w.x) / w.zoom).toBeCloseTo(100);
    expect((40 - w.y) / w.zoom).toBeCloseTo(40);
  });
  it("pans only within the scaled content", () => {
    const v = zoomTo(UNZOOMED, 2, size);
    expect(panBy(v, 1000, 1000, size)).toEqual({ zoom: 2, x: 0, y: 0 });
    expect(panBy(v, -1000, -1000, size)).toEqual({ zoom: 2, x: -400, y: -200 });
    expect(panBy(UNZOOMED, 50, 50, size)).toEqual(UNZOOMED);
    expect(clampView({ zoom: Number.NaN, x: 5, y: 5 }, size)).toEqual(UNZOOMED);
  });
  it("transforms only when zoomed in", () => {
    expect(transformOf(UNZOOMED)).toBeUndefined();
    expect(transformOf({ zoom: 2, x: -10, y: -20 })).toBe("translate(-10px, -20px) scale(2)");
  });
});
