/** startShare when node-pty cannot be loaded: it fails before the embedded server starts, so none is left running. */
import { describe, expect, it, vi } from "vitest";
import type { RunningServer } from "@taiku/server";
import { startShare } from "../src/share.js";

vi.mock("node-pty", () => {
  throw new Error("node-pty: no native addon for this platform");
});

describe("startShare without node-pty", () => {
  it("fails without starting (and so without leaking) the embedded server", async () => {
    const startServer = vi.fn(async (): Promise<RunningServer> => {
      throw new Error("the embedded server must not start");
    });
    await expect(startShare({ shell: "/bin/sh", env: { PATH: process.env.PATH ?? "" }, embedded: { home: "/nonexistent-taiku-home", port: 0, startServer } }))
      .rejects.toThrow();
    expect(startServer).not.toHaveBeenCalled();
  });
});
