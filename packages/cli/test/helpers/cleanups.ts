/** Undo steps run after each test (last added first), and temporary directories removed with them. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

export interface Cleanups {
  /** Run `step` after the current test. */
  push(step: () => Promise<unknown> | void): void;
  /** A fresh directory under the OS temp dir, removed after the current test. */
  tempDir(prefix?: string): Promise<string>;
}

/** Call at the top of a test file: registers the `afterEach` that runs the steps. */
export function useCleanups(): Cleanups {
  const steps: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return {
    push: (step) => void steps.push(step),
    tempDir: async (prefix = "taiku-test-") => {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      steps.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}
