/**
 * Svelte action for header menus: `close` runs on a pointer-down outside the node or on Escape, as
 * any menu closes. Only listens while the menu is open (`active`).
 */
export function dismiss(node: HTMLElement, opts: { active: boolean; close: () => void }) {
  let current = opts;
  const away = (e: PointerEvent) => current.active && !node.contains(e.target as Node) && current.close();
  const esc = (e: KeyboardEvent) => current.active && e.key === "Escape" && current.close();
  window.addEventListener("pointerdown", away, true);
  window.addEventListener("keydown", esc);
  return {
    update(next: { active: boolean; close: () => void }) {
      current = next;
    },
    destroy() {
      window.removeEventListener("pointerdown", away, true);
      window.removeEventListener("keydown", esc);
    },
  };
}
