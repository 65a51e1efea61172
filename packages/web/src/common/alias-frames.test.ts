/** Alias answers larger than one relayed frame are cut to fit, never refused by the relay. */
import { ALIAS_RESULT_PLAIN_MAX, encodeCbor } from "@taiku/protocol";
import { describe, expect, it } from "vitest";
import { ALIAS_CUT_NOTICE, fitOneFrame } from "./alias-frames.js";

const size = (a: object) => encodeCbor(a).byteLength;

describe("fitOneFrame", () => {
  it("leaves an answer that fits alone", () => {
    const a = { stdout: "ok\n", stderr: "", exitCode: 3 };
    expect(fitOneFrame(a)).toEqual(a);
  });

  it("keeps an answer larger than a terminal frame whole (respondAlias output ≤ 1 MiB, §7.14)", () => {
    const a = { stdout: "o".repeat(200 * 1024), stderr: "e".repeat(100 * 1024), exitCode: 0 };
    expect(fitOneFrame(a)).toEqual(a);
  });

  it("cuts 1 MiB streams to one frame, keeps the exit code and says so on stderr", () => {
    const a = { stdout: "o".repeat(1024 * 1024), stderr: "e".repeat(1024 * 1024), exitCode: 7 };
    const fit = fitOneFrame(a);
    expect(size(fit)).toBeLessThanOrEqual(ALIAS_RESULT_PLAIN_MAX);
    expect(fit.exitCode).toBe(7);
    expect(fit.stderr.endsWith(ALIAS_CUT_NOTICE)).toBe(true);
    expect(a.stdout.startsWith(fit.stdout)).toBe(true);
    expect(fit.stdout.length).toBeGreaterThan(500_000); // both streams get a fair share
    expect(fit.stderr.length).toBeGreaterThan(500_000);
  });

  it("gives stdout the room a short stderr leaves, and never splits a character", () => {
    const a = { stdout: "é".repeat(600_000), stderr: "warning\n", exitCode: 0 };
    const fit = fitOneFrame(a);
    expect(size(fit)).toBeLessThanOrEqual(ALIAS_RESULT_PLAIN_MAX);
    expect(fit.stderr).toBe("warning\n" + ALIAS_CUT_NOTICE);
    expect(fit.stdout).toMatch(/^é+$/);
    expect(fit.stdout.length * 2).toBeGreaterThan(ALIAS_RESULT_PLAIN_MAX - 200);
  });
});
