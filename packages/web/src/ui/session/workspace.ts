/** What the layout components need from the session page: data and the actions a tile offers. */
import { ownerOf, ownsShell, type Direction, type LayoutNode, type SessionClient, type SessionState, type Tile } from "../../common/index.js";
import type { AgentBadge } from "./agents.svelte.js";

export interface WorkspaceContext {
  client: SessionClient;
  st: SessionState;
  tiles: Map<number, Tile>;
  phone: boolean;
  /** Shells running an AI agent, by shell id. */
  agents: Record<number, AgentBadge>;
  setRatio(path: string, ratio: number): void;
  activate(key: number): void;
  /** Create a new shell placed next to (or as a tab beside) `key`. */
  newShellAt(key: number, where: Direction | "tab"): void;
  /** Hide a shell tile (the shell keeps running), or close a peek or tunnel tile. */
  hideTile(key: number): void;
}

export function shellLabel(st: SessionState, shellId: number): string {
  const shell = st.shells.find((s) => s.id === shellId);
  return shell?.name || st.titles[shellId] || `Terminal ${shellId}`;
}

/** Who a shell belongs to, for labels: "you", the owner's name, or "unowned". */
export function ownerLabel(st: SessionState, shellId: number): string {
  return ownsShell(st, shellId) ? "you" : (ownerOf(st, shellId)?.name ?? "unowned");
}

export type { LayoutNode };
