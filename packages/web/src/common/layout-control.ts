/**
 * The page's workspace service (spec §7.5, §13.6): pages and tiles as plugins (`getLayout`,
 * `splitShell`, `openTile`, …) and remote commands see and drive them. One instance per session
 * page; the layout itself stays in the page's reactive state (`get`/`set`), this adds validation,
 * the clear errors, and the shells this page asked for (placed where asked once they exist).
 */
import { BRIDGE_ERRORS, DOC_ID_RE, notSupportedError, type ShellInfo } from "@taiku/protocol";
import {
  activeKey, addPage, closePage, focusTile, hideTile, insertTile, leafKeys, MAX_PAGES, openDocument, openPeek, openTunnel, pageOfKey,
  placeShell, reconcile, renamePage, switchPage, unhideShell, type Direction, type Layout, type LayoutNode,
} from "./layout.js";
import { isWebUrl } from "./fragment.js";
import type { SessionState } from "./session-state.js";

export interface TileInfo {
  key: number;
  type: string;
  active: boolean;
  shellId?: number;
  port?: number;
  url?: string;
  docId?: string;
}

export interface OpenTileSpec {
  type: string;
  shellId?: number;
  url?: string;
  port?: number;
  docId?: string;
  direction?: Direction;
  key?: number;
}

export interface LayoutControlDeps {
  get(): Layout;
  set(layout: Layout): void;
  state(): SessionState;
  createShell(rows: number, cols: number): void;
  /** Narrow screen: splits stack. */
  phone?(): boolean;
  /** Give a shell's terminal the keyboard (`focusTile` on a shell tile). */
  focusShell?(shellId: number): void;
  /** How long a new shell may take (ms). Default 10 s. */
  timeoutMs?: number;
}

export const LAYOUT_ERRORS = {
  tileNotFound: (key: number) => `Tile not found: ${key}`,
  workspaceNotFound: (index: number) => `Workspace not found: ${index}`,
  shellNotFound: (shellId: number) => `Shell not found: ${shellId}`,
  tooManyWorkspaces: `Too many workspaces (at most ${MAX_PAGES})`,
  lastWorkspace: "The last workspace cannot be closed",
  /** The server has no documents (`hello.features` lacks "documents"). */
  documents: notSupportedError('openTile type "document"'),
  needsDoc: "Invalid params: a document tile needs docId (12 base62 characters)",
  needsShell: (type: string) => `Invalid params: a ${type} tile needs shellId`,
  needsHttps: "Invalid params: a browser tile needs an https: url",
  needsPort: "Invalid params: a tunnel tile needs port",
  noTunnel: (port: number) => `No tunnel on port ${port}: the host publishes ports with taiku --tunnel`,
  unknownType: (type: string) => `Invalid params: unknown tile type "${type}"`,
  writeAuth: BRIDGE_ERRORS.writeAuthRequired,
  cliNotConnected: BRIDGE_ERRORS.cliNotConnected,
  cliDidNotRespond: BRIDGE_ERRORS.cliDidNotRespond,
} as const;

const fail = (message: string): never => {
  throw new Error(message);
};

interface PendingShell {
  key: number | null;
  where: Direction | "tab";
  ratio?: number;
  settle?: (r: { shellId: number; key: number } | Error) => void;
}

export class LayoutControl {
  /** Shells this page asked for, in request order: where to put each. */
  private pending: PendingShell[] = [];

  constructor(private readonly deps: LayoutControlDeps) {}

  private get layout(): Layout {
    return this.deps.get();
  }

  private page(index: number | undefined): number {
    const i = index ?? this.layout.activeIndex;
    return this.layout.pages[i] ? i : fail(LAYOUT_ERRORS.workspaceNotFound(i));
  }

  private tile(key: number) {
    return this.layout.tiles.find((t) => t.key === key && pageOfKey(this.layout, key) >= 0) ?? fail(LAYOUT_ERRORS.tileNotFound(key));
  }

  private shell(shellId: number): ShellInfo {
    return this.deps.state().shells.find((s) => s.id === shellId) ?? fail(LAYOUT_ERRORS.shellNotFound(shellId));
  }

  private direction(d: Direction | undefined): Direction {
    return this.deps.phone?.() ? "vertical" : (d ?? "horizontal");
  }

  // ---------------------------------------------------------------- reading

  workspaces(): { pages: Array<{ index: number; name?: string }>; activeIndex: number } {
    const l = this.layout;
    return { pages: l.pages.map((p, index) => ({ index, ...(p.name ? { name: p.name } : {}) })), activeIndex: l.activeIndex };
  }

  /** Tiles of a page (default: the one shown) in tree order, with the active flag. */
  tiles(index?: number): TileInfo[] {
    const i = this.page(index);
    const l = this.layout;
    const active = activeKey(l, i);
    const byKey = new Map(l.tiles.map((t) => [t.key, t]));
    return leafKeys(l.pages[i]!.root).flatMap((key) => {
      const t = byKey.get(key);
      if (!t) return [];
      return [{
        key, type: t.type, active: key === active,
        ...(t.shellId !== undefined ? { shellId: t.shellId } : {}), ...(t.port !== undefined ? { port: t.port } : {}), ...(t.url !== undefined ? { url: t.url } : {}),
        ...(t.docId !== undefined ? { docId: t.docId } : {}),
      }];
    });
  }

  /** Every page's tiles (`listTiles`). */
  allTiles(): Array<TileInfo & { workspace: number }> {
    return this.layout.pages.flatMap((_, workspace) => this.tiles(workspace).map((t) => ({ workspace, ...t })));
  }

  tree(index?: number): LayoutNode | null {
    return this.layout.pages[this.page(index)]!.root;
  }

  // ---------------------------------------------------------------- pages

  createWorkspace(name?: string): { index: number } {
    if (this.layout.pages.length >= MAX_PAGES) fail(LAYOUT_ERRORS.tooManyWorkspaces);
    const r = addPage(this.layout, name);
    this.deps.set(r.layout);
    return { index: r.index };
  }

  switchWorkspace(index: number): void {
    this.deps.set(switchPage(this.layout, this.page(index)));
  }

  closeWorkspace(index: number): void {
    this.page(index);
    if (this.layout.pages.length === 1) fail(LAYOUT_ERRORS.lastWorkspace);
    this.deps.set(closePage(this.layout, index));
  }

  renameWorkspace(index: number, name: string): void {
    this.deps.set(renamePage(this.layout, this.page(index), name));
  }

  // ---------------------------------------------------------------- tiles

  focusTile(key: number): void {
    const t = this.tile(key);
    this.deps.set(focusTile(this.layout, key));
    if (t.type === "shell" && t.shellId !== undefined) this.deps.focusShell?.(t.shellId);
  }

  /** Closing a shell tile hides it: the shell keeps running (the terminal list shows it again). */
  closeTile(key: number): void {
    this.tile(key);
    this.deps.set(hideTile(this.layout, key));
  }

  /** Show a shell from the terminal list: unhide it if needed, and bring its tile (and page) to the front. */
  showShell(shellId: number): void {
    let next = reconcile(unhideShell(this.layout, shellId), this.deps.state().shells.map((s) => s.id));
    const t = next.tiles.find((x) => x.type === "shell" && x.shellId === shellId);
    if (t) next = focusTile(next, t.key);
    this.deps.set(next);
  }

  /** A terminal got the keyboard: its tile becomes the active one of its page. */
  noteFocus(shellId: number): void {
    const t = this.layout.tiles.find((x) => x.type === "shell" && x.shellId === shellId);
    const index = t ? pageOfKey(this.layout, t.key) : -1;
    if (t && index >= 0 && this.layout.pages[index]!.focus !== t.key) {
      this.deps.set({ ...this.layout, pages: this.layout.pages.map((p, i) => (i === index ? { ...p, focus: t.key } : p)) });
    }
  }

  openTile(spec: OpenTileSpec): { key: number } {
    const near = spec.key ?? activeKey(this.layout);
    if (spec.key !== undefined) this.tile(spec.key);
    const where = this.direction(spec.direction);
    let r: { layout: Layout; key: number };
    switch (spec.type) {
      case "shell": {
        const shellId = spec.shellId ?? fail(LAYOUT_ERRORS.needsShell("shell"));
        this.shell(shellId);
        const own = this.layout.tiles.find((t) => t.type === "shell" && t.shellId === shellId && pageOfKey(this.layout, t.key) >= 0);
        // A shell has one tile of its own: bring it to the front rather than a second one.
        r = own ? { layout: focusTile(this.layout, own.key), key: own.key } : insertTile(unhideShell(this.layout, shellId), { type: "shell", shellId }, near, where);
        break;
      }
      case "peek": {
        const shellId = spec.shellId ?? fail(LAYOUT_ERRORS.needsShell("peek"));
        this.shell(shellId);
        r = openPeek(this.layout, shellId, near, where);
        break;
      }
      case "tunnel": {
        const port = spec.port ?? fail(LAYOUT_ERRORS.needsPort);
        if (!this.deps.state().tunnels.some((t) => t.port === port)) fail(LAYOUT_ERRORS.noTunnel(port));
        r = openTunnel(this.layout, port, near, where);
        break;
      }
      case "browser": {
        const url = httpsUrl(spec.url) ?? fail(LAYOUT_ERRORS.needsHttps);
        r = insertTile(this.layout, { type: "browser", url }, near, where);
        break;
      }
      case "document": {
        if (!this.deps.state().features.includes("documents")) fail(LAYOUT_ERRORS.documents);
        const docId = spec.docId !== undefined && DOC_ID_RE.test(spec.docId) ? spec.docId : fail(LAYOUT_ERRORS.needsDoc);
        r = openDocument(this.layout, docId, near, where);
        break;
      }
      default:
        return fail(LAYOUT_ERRORS.unknownType(spec.type));
    }
    this.deps.set(r.layout);
    return { key: r.key };
  }

  // ---------------------------------------------------------------- new shells

  /**
   * Split tile `key` (default: the active tile of the page shown; `shellId`: that shell's tile) and
   * open a new shell there; resolves once the CLI created it and it has its tile.
   */
  splitShell(p: { direction?: Direction; key?: number; shellId?: number; ratio?: number }): Promise<{ shellId: number; key: number }> {
    let near: number | null;
    if (p.key !== undefined) near = this.tile(p.key).key;
    else if (p.shellId !== undefined) {
      this.shell(p.shellId);
      near = this.layout.tiles.find((t) => t.type === "shell" && t.shellId === p.shellId && pageOfKey(this.layout, t.key) >= 0)?.key ?? activeKey(this.layout);
    } else near = activeKey(this.layout);
    return this.newShell(near, this.direction(p.direction), p.ratio);
  }

  /** Ask the CLI for a shell placed next to `key` (null: wherever `reconcile` puts new shells). */
  newShell(key: number | null, where: Direction | "tab", ratio?: number): Promise<{ shellId: number; key: number }> {
    const st = this.deps.state();
    if (!st.canWrite || st.role === "reader") return Promise.reject(new Error(LAYOUT_ERRORS.writeAuth));
    if (!st.cli.connected) return Promise.reject(new Error(LAYOUT_ERRORS.cliNotConnected));
    return new Promise((resolve, reject) => {
      const entry: PendingShell = { key, where: where === "tab" ? "tab" : this.direction(where), ...(ratio !== undefined ? { ratio } : {}) };
      const timer = setTimeout(() => {
        this.pending = this.pending.filter((x) => x !== entry);
        reject(new Error(LAYOUT_ERRORS.cliDidNotRespond));
      }, this.deps.timeoutMs ?? 10_000);
      entry.settle = (r) => {
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
      this.pending.push(entry);
      const last = st.shells.at(-1);
      this.deps.createShell(last?.rows ?? 24, last?.cols ?? 80);
    });
  }

  /**
   * Keep the layout in step with the shells: place the ones this page asked for where it asked,
   * then `reconcile` (new shells of others go to the page shown).
   */
  sync(shells: readonly ShellInfo[], myUserIds: readonly number[]): void {
    const before = this.layout;
    let next = before;
    const shown = new Set(next.tiles.filter((t) => t.type === "shell").map((t) => t.shellId));
    const placed: Array<{ entry: PendingShell; shellId: number }> = [];
    for (const shell of shells) {
      if (shown.has(shell.id) || !this.pending.length || shell.creatorUserId === null || !myUserIds.includes(shell.creatorUserId)) continue;
      const entry = this.pending.shift()!;
      placed.push({ entry, shellId: shell.id });
      // No tile to go next to (the header's button, an empty page, a tile closed meanwhile): reconcile places it.
      if (entry.key !== null && pageOfKey(next, entry.key) >= 0) next = placeShell(next, shell.id, entry.key, entry.where, entry.ratio);
    }
    next = reconcile(next, shells.map((s) => s.id));
    if (next !== before) this.deps.set(next);
    for (const { entry, shellId } of placed) {
      const tile = next.tiles.find((t) => t.type === "shell" && t.shellId === shellId);
      entry.settle?.(tile ? { shellId, key: tile.key } : new Error(LAYOUT_ERRORS.shellNotFound(shellId)));
    }
  }
}

function httpsUrl(url: string | undefined): string | undefined {
  return isWebUrl(url, ["https:"]) ? new URL(url).href : undefined;
}
