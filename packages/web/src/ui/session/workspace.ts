/** What the layout components need from the session page: data and the actions a tile offers. */
import type { Direction, LayoutNode, SessionClient, SessionState, Tile } from "../../common/index.js";

export interface WorkspaceContext {
  client: SessionClient;
  st: SessionState;
  tiles: Map<number, Tile>;
  phone: boolean;
  setRatio(path: string, ratio: number): void;
  activate(key: number): void;
  /** Create a new shell placed next to (or as a tab beside) `key`. */
  newShellAt(key: number, where: Direction | "tab"): void;
  hideTile(key: number): void;
}

export function shellLabel(st: SessionState, shellId: number): string {
  const shell = st.shells.find((s) => s.id === shellId);
  return shell?.name || st.titles[shellId] || `Terminal ${shellId}`;
}

export type { LayoutNode };
