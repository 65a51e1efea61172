/**
 * `taiku func` inside the shells of an embedded-server share: the local owner's token reaches the
 * shells as TAIKU_TOKEN (so `taiku func` works there without a login), and nothing else does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startShare, type ShareHandle } from "../src/index.js";
import type { PtyLike, SpawnOptions, SpawnPty } from "../src/shells.js";
import { startFakeRelay } from "./helpers/fake-relay.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A PTY stand-in that records the environment each shell was spawned with. */
function recordingSpawn(): { spawn: SpawnPty; envs: Array<Record<string, string>> } {
  const envs: Array<Record<string, string>> = [];
  const spawn: SpawnPty = (_file, _args, opts: SpawnOptions): PtyLike => {
    envs.push(opts.env);
    return {
      pid: 1, onData: () => ({ dispose() {} }), onExit: () => ({ dispose() {} }),
      write() {}, resize() {}, pause() {}, resume() {}, kill() {},
    };
  };
  return { spawn, envs };
}

const track = (s: ShareHandle) => (cleanups.push(() => s.close()), s);

describe("TAIKU_TOKEN in the shells", () => {
  it("is the local owner token with the embedded server, and the session belongs to that owner", async () => {
    const home = await mkdtemp(join(tmpdir(), "taiku-func-emb-"));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const { spawn, envs } = recordingSpawn();
    const share = track(await startShare({ shell: "/bin/sh", env: { PATH: process.env.PATH ?? "" }, spawn, embedded: { home, port: 0 } }));
    expect(envs.length).toBeGreaterThan(0);
    const env = envs[0]!;
    expect(env.TAIKU_TOKEN).toBe(share.embedded!.ownerToken);
    expect(env.TAIKU_SESSION_ID).toBe(share.sessionId);
    expect(env.TAIKU_SERVER).toBe(share.server);
    // The token really owns the session: the remote route gets past the owner check (504: no browser).
    const r = await fetch(`${share.server}/api/v1/sessions/${share.sessionId}/remote/command`, {
      method: "POST", headers: { "x-taiku-token": env.TAIKU_TOKEN!, "content-type": "application/json" }, body: JSON.stringify({ method: "getShells" }),
    });
    expect([r.status, await r.text()]).toEqual([504, "No active browser clients responded"]);
  }, 60_000);

  it("is not set for a separate server, even when the CLI has a token", async () => {
    const relay = await startFakeRelay();
    cleanups.push(() => relay.close());
    const { spawn, envs } = recordingSpawn();
    track(await startShare({ server: relay.url, token: "tk_secret", shell: "/bin/sh", env: { PATH: process.env.PATH ?? "" }, spawn, dir: process.cwd() }));
    expect(envs.length).toBeGreaterThan(0);
    expect(envs[0]!.TAIKU_TOKEN).toBeUndefined();
    expect(Object.values(envs[0]!)).not.toContain("tk_secret");
  });
});
