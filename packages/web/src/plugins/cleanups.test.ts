/** Cleanups (cleanups.ts): the plugin runtime's undo list, also when it stops before its start finished. */
import { describe, expect, it } from "vitest";
import { Cleanups } from "./cleanups.js";

describe("Cleanups", () => {
  it("undoes what was added, once, and at once what is added after stop", () => {
    const log: string[] = [];
    const c = new Cleanups();
    c.add(() => log.push("a"), () => log.push("b"));
    expect(c.stopped).toBe(false);
    c.stop();
    expect(log).toEqual(["a", "b"]);
    expect(c.stopped).toBe(true);
    c.stop();
    expect(log).toEqual(["a", "b"]);
    // The runtime's start resumed after the page went (it awaited the session): nothing may outlive it.
    c.add(() => log.push("late"));
    expect(log).toEqual(["a", "b", "late"]);
  });
});
