/** Reading and typing into the session page's terminals (xterm.js) in a browser test. */
import type { Page } from "playwright-core";

/** A shell's own tile, or a peek tile of it (both may show the same shell on one page). */
export type TerminalView = "shell" | "peek";

export interface TerminalRef {
  shellId?: number;
  view?: TerminalView;
}

/** The text of a terminal's buffer (scrollback + screen), through the page's `__taiku` test hook. */
export const terminalText = (page: Page, { shellId = 1, view = "shell" }: TerminalRef = {}): Promise<string> =>
  page.evaluate(([id, v]) => (window as any).__taiku?.getTerminalText(id, v) ?? "", [shellId, view] as const);

/** Poll a terminal until its text matches; the error shows what it does show. */
export async function waitForText(page: Page, pattern: RegExp, timeoutMs = 20_000, ref: TerminalRef = {}): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await terminalText(page, ref);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal never showed ${pattern}; it shows:\n${text.slice(-2000)}`);
}

/** The element a terminal view is rendered in. */
export const terminalSelector = ({ shellId = 1, view = "shell" }: TerminalRef = {}): string =>
  `[data-testid="${view === "peek" ? "peek-terminal" : "terminal"}-${shellId}"]`;

/** Click into a terminal and type a line (Enter included), as a user would. */
export async function typeInto(page: Page, text: string, ref: TerminalRef = {}): Promise<void> {
  await page.click(terminalSelector(ref));
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press("Enter");
}
