/**
 * Resume lines (spec §4): a runner's own interactive resume command in backticks. A codec
 * formats a token, extracts the last matching line of a text and recognises one line.
 */
import type { EngineId, ResumeToken } from "./model.js";
import { resumeToken } from "./model.js";

/** Python `str.splitlines` line boundaries (spec §4.6); \x1c-\x1e are line breaks there. */
// eslint-disable-next-line no-control-regex -- these control characters are the point
export const LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

export function splitLines(text: string): string[] {
  const lines = text.split(LINE_BREAK);
  // splitlines() never yields a trailing empty line for a terminating newline.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return text === "" ? [] : lines;
}

export interface ResumeCodec {
  formatResume(token: ResumeToken): string;
  extractResume(text: string | null | undefined): ResumeToken | null;
  isResumeLine(line: string): boolean;
}

export interface RegexResumeCodecOptions {
  engine: EngineId;
  /** Regex source for the command words + token, e.g. `codex\\s+resume\\s+(?<token>[^\`\\s]+)`. */
  command: string;
  /** Builds the text between the backticks. */
  format: (value: string) => string;
  /** Post-processing of the captured token (pi strips quotes). */
  normalize?: (token: string) => string;
}

/** Default codec from a regex with a named `token` group (takopi's ResumeTokenMixin). */
export class RegexResumeCodec implements ResumeCodec {
  readonly engine: EngineId;
  private readonly pattern: RegExp;
  private readonly opts: RegexResumeCodecOptions;

  constructor(opts: RegexResumeCodecOptions) {
    this.engine = opts.engine;
    this.opts = opts;
    // Whole line; optional backticks; command words are case-insensitive (§4.2).
    this.pattern = new RegExp(`^\\s*\`?${opts.command}\`?\\s*$`, "i");
  }

  formatResume(token: ResumeToken): string {
    if (token.engine !== this.engine) throw new Error(`resume token is for engine '${token.engine}', not '${this.engine}'`);
    return `\`${this.opts.format(token.value)}\``;
  }

  private tokenOf(line: string): string | null {
    const m = this.pattern.exec(line);
    const raw = m?.groups?.["token"];
    if (raw === undefined) return null;
    const value = this.opts.normalize ? this.opts.normalize(raw) : raw;
    return value === "" ? null : value;
  }

  extractResume(text: string | null | undefined): ResumeToken | null {
    if (!text) return null;
    let found: string | null = null;
    for (const line of splitLines(text)) {
      const value = this.tokenOf(line);
      if (value !== null) found = value; // last match wins (§4.3)
    }
    return found === null ? null : resumeToken(this.engine, found);
  }

  isResumeLine(line: string): boolean {
    return this.tokenOf(line) !== null;
  }
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `<engine> resume <value>` — used by ScriptRunner and by plugins that do not bring their own. */
export function defaultResumeCodec(engine: EngineId): RegexResumeCodec {
  return new RegexResumeCodec({
    engine,
    command: `${escapeRegex(engine)}\\s+resume\\s+(?<token>[^\`\\s]+)`,
    format: (value) => `${engine} resume ${value}`,
  });
}

/**
 * Prompt passed to the runner: the text without resume lines, trimmed; `continue` when nothing
 * is left (§4.6).
 */
export function stripResumeLines(text: string, isResumeLine: (line: string) => boolean): string {
  const kept = splitLines(text).filter((line) => !isResumeLine(line));
  const prompt = kept.join("\n").trim();
  return prompt === "" ? "continue" : prompt;
}
