/** Page-wide UI state shared by the session components (not session data: that lives in the client). */
export interface Toast {
  id: number;
  text: string;
  kind: "info" | "warn" | "danger";
}

let nextToast = 0;

export const ui = $state({
  /** Sticky Ctrl of the phone extra-keys bar: applies to the next key. */
  ctrl: false,
  /** Shell whose terminal has (or last had) keyboard focus; the extra-keys bar types there. */
  activeShell: null as number | null,
  toasts: [] as Toast[],
  drawerOpen: false,
  /** Ask a terminal tile to open its search bar (bumped counter so the same shell can ask twice). */
  searchRequest: null as { shellId: number; peek: boolean; n: number } | null,
});

/** `peek`: the peek tile of the shell rather than its own tile (both may be on the page). */
export function requestSearch(shellId: number, peek = false): void {
  ui.searchRequest = { shellId, peek, n: (ui.searchRequest?.n ?? 0) + 1 };
}

export function toast(text: string, kind: Toast["kind"] = "info", ms = 4000): void {
  const id = ++nextToast;
  // De-duplicate: the same notice while it is still showing is not stacked again.
  if (ui.toasts.some((t) => t.text === text)) return;
  ui.toasts = [...ui.toasts, { id, text, kind }];
  setTimeout(() => (ui.toasts = ui.toasts.filter((t) => t.id !== id)), ms);
}
