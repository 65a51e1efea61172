/**
 * The phone extra-keys bar: keys a touch keyboard lacks, as the byte sequences a terminal expects
 * (xterm/VT conventions). Ctrl is sticky: it applies to the next key or typed character.
 */
export type ExtraKey = "esc" | "tab" | "up" | "down" | "right" | "left" | "home" | "end" | "pgup" | "pgdn";

export interface KeyModes {
  /** DECCKM (application cursor keys): vim, less and friends switch arrows to `ESC O x`. */
  applicationCursor?: boolean;
  ctrl?: boolean;
}

const ARROW: Record<string, string> = { up: "A", down: "B", right: "C", left: "D", home: "H", end: "F" };

export function extraKeySequence(key: ExtraKey, modes: KeyModes = {}): string {
  switch (key) {
    case "esc":
      return "\x1b";
    case "tab":
      return modes.ctrl ? "\x1b[9;5u" : "\t";
    case "pgup":
      return modes.ctrl ? "\x1b[5;5~" : "\x1b[5~";
    case "pgdn":
      return modes.ctrl ? "\x1b[6;5~" : "\x1b[6~";
    default: {
      const final = ARROW[key]!;
      if (modes.ctrl) return `\x1b[1;5${final}`;
      return modes.applicationCursor ? `\x1bO${final}` : `\x1b[${final}`;
    }
  }
}

/**
 * Apply a sticky Ctrl to typed text: only the first character is modified (Ctrl-C, Ctrl-D, …);
 * characters without a control form are sent unchanged.
 */
export function applyCtrl(text: string): string {
  if (!text) return text;
  const ch = text[0]!;
  const code = ch.toUpperCase().charCodeAt(0);
  let ctrl: string | null = null;
  if (code >= 0x40 && code <= 0x5f) ctrl = String.fromCharCode(code - 0x40); // @ A-Z [ \ ] ^ _
  else if (ch === " ") ctrl = "\x00";
  else if (ch === "?") ctrl = "\x7f";
  return (ctrl ?? ch) + text.slice(1);
}
