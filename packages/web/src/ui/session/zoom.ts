/**
 * Zoom and pan of a peek tile (spec §3.8: up to 5× with drag-to-pan). The terminal is scaled with a
 * CSS transform (`translate(x, y) scale(zoom)`, origin top left) inside a viewport of its own size,
 * so at 1× nothing is transformed and text selection keeps working.
 */
export const MAX_ZOOM = 5;
export const ZOOM_STEP = 1.25;

export interface ZoomView {
  zoom: number;
  /** Translation in viewport pixels; ≤ 0, the scaled content always covers the viewport. */
  x: number;
  y: number;
}

export interface Size {
  w: number;
  h: number;
}

export const UNZOOMED: ZoomView = { zoom: 1, x: 0, y: 0 };

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Keep the zoom in 1–5× and the content covering the viewport (no empty band at an edge). */
export function clampView(v: ZoomView, size: Size): ZoomView {
  const zoom = clamp(Number.isFinite(v.zoom) ? v.zoom : 1, 1, MAX_ZOOM);
  const x = clamp(v.x, size.w - size.w * zoom, 0);
  const y = clamp(v.y, size.h - size.h * zoom, 0);
  // -0 would make equal views compare unequal in tests and in the transform string.
  return { zoom, x: x || 0, y: y || 0 };
}

/** Zoom to `zoom` keeping the content point under `at` (viewport pixels; default the centre) in place. */
export function zoomTo(v: ZoomView, zoom: number, size: Size, at: { x: number; y: number } = { x: size.w / 2, y: size.h / 2 }): ZoomView {
  const next = clamp(zoom, 1, MAX_ZOOM);
  const k = next / v.zoom;
  return clampView({ zoom: next, x: at.x - (at.x - v.x) * k, y: at.y - (at.y - v.y) * k }, size);
}

export function panBy(v: ZoomView, dx: number, dy: number, size: Size): ZoomView {
  return clampView({ ...v, x: v.x + dx, y: v.y + dy }, size);
}

/** The CSS transform for a view; none at 1× (xterm's mouse selection assumes an untransformed element). */
export function transformOf(v: ZoomView): string | undefined {
  return v.zoom === 1 ? undefined : `translate(${v.x}px, ${v.y}px) scale(${v.zoom})`;
}
