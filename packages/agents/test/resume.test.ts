/** Resume lines (spec §4): formats, regex behaviour, last match wins, stripping, round trips. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  claudeResumeCodec, codexResumeCodec, defaultResumeCodec, LINE_BREAK, opencodeResumeCodec, piResumeCodec, resumeToken, splitLines, stripResumeLines,
  type ResumeCodec,
} from "../src/index.js";

describe("formats [compat]", () => {
  it("formats each engine's resume command in backticks", () => {
    expect(codexResumeCodec.formatResume(resumeToken("codex", "abc"))).toBe("`codex resume abc`");
    expect(claudeResumeCodec.formatResume(resumeToken("claude", "abc"))).toBe("`claude --resume abc`");
    expect(opencodeResumeCodec.formatResume(resumeToken("opencode", "ses_1"))).toBe("`opencode --session ses_1`");
    expect(piResumeCodec.formatResume(resumeToken("pi", "ccd569e0"))).toBe("`pi --session ccd569e0`");
    expect(piResumeCodec.formatResume(resumeToken("pi", "/srv/x y.jsonl"))).toBe('`pi --session "/srv/x y.jsonl"`');
    expect(defaultResumeCodec("mock").formatResume(resumeToken("mock", "z"))).toBe("`mock resume z`");
  });

  it("refuses to format another engine's token", () => {
    expect(() => codexResumeCodec.formatResume(resumeToken("claude", "x"))).toThrow();
  });
});

describe("extraction", () => {
  it("codex: single, plain, case-insensitive words, UUIDv7, last of several", () => {
    expect(codexResumeCodec.extractResume("`codex resume abc`")).toEqual({ engine: "codex", value: "abc" });
    expect(codexResumeCodec.extractResume("codex resume abc")?.value).toBe("abc");
    expect(codexResumeCodec.extractResume("  CODEX Resume AbC ")?.value).toBe("AbC");
    expect(codexResumeCodec.extractResume("`codex resume 0199a213-81c0-7800-8aa1-bbab2a035a53`")?.value).toBe("0199a213-81c0-7800-8aa1-bbab2a035a53");
    expect(codexResumeCodec.extractResume("`codex resume a`\ntext\n`codex resume b`")?.value).toBe("b");
  });

  it("rejects malformed and embedded lines", () => {
    expect(codexResumeCodec.extractResume("codex resume")).toBeNull();
    expect(codexResumeCodec.extractResume("please run codex resume abc now")).toBeNull();
    expect(codexResumeCodec.extractResume(null)).toBeNull();
    expect(codexResumeCodec.extractResume("")).toBeNull();
    expect(opencodeResumeCodec.extractResume("opencode --session abc")).toBeNull();
  });

  it("claude accepts --resume and -r, ignores other engines", () => {
    expect(claudeResumeCodec.extractResume("`claude -r sid`")?.value).toBe("sid");
    expect(claudeResumeCodec.extractResume("`claude --resume sid`")?.value).toBe("sid");
    expect(claudeResumeCodec.extractResume("`codex resume sid`")).toBeNull();
  });

  it("opencode accepts run and -s forms", () => {
    expect(opencodeResumeCodec.extractResume("opencode run --session ses_Ab1")?.value).toBe("ses_Ab1");
    expect(opencodeResumeCodec.extractResume("`opencode run -s ses_Ab1`")?.value).toBe("ses_Ab1");
    expect(opencodeResumeCodec.extractResume("opencode -s ses_Ab1")?.value).toBe("ses_Ab1");
  });

  it("pi strips one pair of quotes and keeps paths", () => {
    expect(piResumeCodec.extractResume('`pi --session "/srv/x y.jsonl"`')?.value).toBe("/srv/x y.jsonl");
    expect(piResumeCodec.extractResume("pi --session '/a b'")?.value).toBe("/a b");
    expect(piResumeCodec.extractResume("`pi --session /root/.pi/agent/sessions/x.jsonl`")?.value).toBe("/root/.pi/agent/sessions/x.jsonl");
  });

  it("isResumeLine matches whole lines only", () => {
    expect(codexResumeCodec.isResumeLine("`codex resume x`")).toBe(true);
    expect(codexResumeCodec.isResumeLine("x `codex resume x`")).toBe(false);
  });
});

describe("stripping (§4.6)", () => {
  it("drops resume lines and trims", () => {
    expect(stripResumeLines("do this\n`codex resume sid`\nand that", (l) => codexResumeCodec.isResumeLine(l))).toBe("do this\nand that");
  });
  it("an empty prompt becomes continue", () => {
    expect(stripResumeLines("`codex resume sid`", (l) => codexResumeCodec.isResumeLine(l))).toBe("continue");
    expect(stripResumeLines("   ", () => false)).toBe("continue");
  });
  it("splits like Python splitlines", () => {
    expect(splitLines("a\r\nb\rc\u2028d\x85e\n")).toEqual(["a", "b", "c", "d", "e"]);
  });
});

const noBacktickOrSpace = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[^`\s]+$/.test(s));
const piValue = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s === s.trim() && s !== "" && !/`/.test(s) && !LINE_BREAK.test(s) && !s.endsWith("\\"));
const cases: Array<[string, ResumeCodec, fc.Arbitrary<string>]> = [
  ["codex", codexResumeCodec, noBacktickOrSpace],
  ["claude", claudeResumeCodec, noBacktickOrSpace],
  ["opencode", opencodeResumeCodec, fc.stringMatching(/^ses_[A-Za-z0-9]{1,30}$/)],
  ["pi", piResumeCodec, piValue],
  ["mock", defaultResumeCodec("mock"), noBacktickOrSpace],
];

describe("round trips (property)", () => {
  for (const [engine, codec, values] of cases) {
    it(`${engine}: extract(format(t)) == t, the line is a resume line, and it is stripped`, () => {
      fc.assert(
        fc.property(values, fc.string({ maxLength: 30 }).filter((s) => !LINE_BREAK.test(s) && !codec.isResumeLine(s)), (value, prose) => {
          const token = resumeToken(engine, value);
          const line = codec.formatResume(token);
          expect(codec.extractResume(line)).toEqual(token);
          expect(codec.isResumeLine(line)).toBe(true);
          expect(codec.extractResume(`${prose}\n${line}\n${prose}`)).toEqual(token);
          expect(stripResumeLines(`${prose}\n${line}`, (l) => codec.isResumeLine(l))).toBe(prose.trim() || "continue");
        }),
        { numRuns: 200 },
      );
    });
  }
});
