/**
 * xterm.js glue: one Terminal per displayed shell with the fit, search and web-links addons, and
 * a registry so tests can read a terminal's text (`window.__taiku.getTerminalText`).
 */
import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon } from "@xterm/addon-search";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal, type ITheme } from "@xterm/xterm";

export const THEME: ITheme = {
  background: "#18181b",
  foreground: "#d4d4d8",
  cursor: "#e4e4e7",
  cursorAccent: "#18181b",
  selectionBackground: "#3f3f4699",
  black: "#27272a",
  brightBlack: "#52525b",
  white: "#d4d4d8",
  brightWhite: "#fafafa",
};

export interface TerminalHandle {
  term: Terminal;
  fit: FitAddon;
  search: SearchAddon;
}

/** A shell's own tile, or a peek tile of it (§3.8): both can show the same shell on one page. */
export type TerminalView = "shell" | "peek";

const registry = new Map<string, Terminal>();
const regKey = (shellId: number, view: TerminalView) => `${view}:${shellId}`;

export function createTerminal(shellId: number, opts: { readonly: boolean; phone: boolean; view?: TerminalView }): TerminalHandle {
  const term = new Terminal({
    theme: THEME,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: opts.phone ? 12 : 13,
    scrollback: 5000,
    cursorBlink: !opts.readonly,
    disableStdin: opts.readonly,
    convertEol: false,
    allowProposedApi: false,
  });
  const fit = new FitAddon();
  const search = new SearchAddon();
  term.loadAddon(fit);
  term.loadAddon(search);
  term.loadAddon(new WebLinksAddon((_event, uri) => window.open(uri, "_blank", "noopener,noreferrer")));
  registry.set(regKey(shellId, opts.view ?? "shell"), term);
  return { term, fit, search };
}

export function forgetTerminal(shellId: number, term: Terminal, view: TerminalView = "shell"): void {
  if (registry.get(regKey(shellId, view)) === term) registry.delete(regKey(shellId, view));
}

/** The terminal's buffer as text: scrollback plus screen, trailing blanks trimmed. */
export function getTerminalText(shellId: number, view: TerminalView = "shell"): string {
  const term = registry.get(regKey(shellId, view));
  if (!term) return "";
  const buf = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buf.length; i++) {
    const line = buf.getLine(i);
    if (!line) continue;
    // A wrapped line continues the previous one: join it instead of starting a new line.
    if (line.isWrapped && lines.length) lines[lines.length - 1] += line.translateToString(true);
    else lines.push(line.translateToString(true));
  }
  return lines.join("\n").replace(/\s+$/, "");
}

/** Binary string from xterm's onBinary (mouse reports in X10 mode) to bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export const isMac = (): boolean => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** DECCKM of a shell's terminal: arrows then send `ESC O x` (the extra-keys bar must match). */
export function applicationCursor(shellId: number): boolean {
  return registry.get(regKey(shellId, "shell"))?.modes.applicationCursorKeysMode ?? false;
}
