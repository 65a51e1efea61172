import { describe, expect, it } from "vitest";
import { parseByteSize } from "../../src/index.js";
import { parseRange } from "../../src/plugins/storage.js";
import { isSafeFileName } from "../../src/plugins/filenames.js";

describe("plugin storage settings and helpers", () => {
  it("parses TAIKU_PLUGIN_FILE_MAX / TAIKU_PLUGIN_QUOTA sizes", () => {
    expect(parseByteSize("25MiB")).toBe(25 * 1024 * 1024);
    expect(parseByteSize("250 MiB")).toBe(250 * 1024 * 1024);
    expect(parseByteSize("1048576")).toBe(1048576);
    expect(parseByteSize("64k")).toBe(64 * 1024);
    expect(parseByteSize("2MB")).toBe(2_000_000);
    expect(parseByteSize("1.5GiB")).toBe(1.5 * 1024 ** 3);
    for (const bad of ["", "MiB", "-1", "12 parsecs", "1e6"]) expect(() => parseByteSize(bad)).toThrow(/not a byte size/);
  });

  it("parses single byte ranges and ignores what it cannot serve", () => {
    expect(parseRange("bytes=0-0", 5)).toEqual({ start: 0, end: 0 });
    expect(parseRange("bytes=-10", 5)).toEqual({ start: 0, end: 4 });
    expect(parseRange("bytes=-0", 5)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-", 5)).toBe("unsatisfiable");
    expect(parseRange("bytes=3-1", 5)).toBeNull();
    expect(parseRange("bytes=0-1,3-4", 5)).toBeNull();
    expect(parseRange(undefined, 5)).toBeNull();
  });

  it("allows only single-segment names without dots in front or in pairs", () => {
    for (const ok of ["a", "A.b", "0_-.x", "x".repeat(255), "song.final.mp3"]) expect(isSafeFileName(ok), ok).toBe(true);
    for (const bad of ["", ".a", "a..b", "..", "a/b", "a\\b", "a\nb", "a\u0000", "é", "x".repeat(256), " a", "_a"]) expect(isSafeFileName(bad), bad).toBe(false);
  });
});
