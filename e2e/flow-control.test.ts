/**
 * Flow control end to end (issue "taiku core", item 8): `cat` of a 200 MB file in a shared shell
 * keeps memory bounded in the CLI, the server and the viewer, and every line arrives exactly once
 * and in order. The viewer is the web app's own session client (headless, decrypting) in this process.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { rssBytes, sampleRss } from "./harness/memory.js";
import { tempHome } from "./harness/processes.js";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { openViewer, watchAllShells } from "./harness/viewer.js";
import type { SessionClient } from "../packages/web/src/common/index.js";

const LINE_BYTES = 100; // 9-digit counter, a space, 89 filler bytes, newline
const TOTAL_BYTES = 200 * 1000 * 1000;
const LINES = TOTAL_BYTES / LINE_BYTES;
const MiB = 1024 * 1024;
// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI_CSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

let server: ServerProc | undefined;
let share: ShareProc | undefined;
let viewer: SessionClient | undefined;
afterAll(async () => {
  viewer?.close();
  await share?.stop();
  await server?.stop();
});

async function writeBigFile(path: string): Promise<void> {
  const out = createWriteStream(path);
  const filler = "x".repeat(LINE_BYTES - 11);
  const perChunk = 10_000;
  for (let start = 0; start < LINES; start += perChunk) {
    let chunk = "";
    for (let i = start; i < start + perChunk; i++) chunk += `${String(i).padStart(9, "0")} ${filler}\n`;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}

it("a 200 MB cat keeps CLI, server and viewer memory bounded and loses nothing", async () => {
  const file = join(tempHome("taiku-flow-"), "big.txt");
  await writeBigFile(file);
  server = await startServe();
  share = await startShare(server);
  viewer = await openViewer(share.links.session!);
  await viewer.waitFor((s) => s.shells.length > 0);

  const tag = randomBytes(4).toString("hex");
  let expected = 0;
  let received = 0;
  let partial = "";
  const errors: string[] = [];
  let done = false;
  const decoder = new TextDecoder();
  watchAllShells(viewer, (_shell, data) => {
    received += data.length;
    const lines = (partial + decoder.decode(data, { stream: true })).split("\n");
    partial = lines.pop()!;
    for (const raw of lines) {
      // The terminal may prefix output with control sequences (bash turns bracketed paste off with
      // ESC[?2004l and a carriage return before running the command).
      const line = raw.replace(ANSI_CSI, "").replace(/\r$/, "").split("\r").pop()!;
      if (line === `END${tag}`) done = true;
      const m = /^(\d{9}) x+$/.exec(line);
      if (!m) continue;
      const n = Number(m[1]);
      if (n !== expected && errors.length < 5) errors.push(`expected line ${expected}, got ${n}`);
      expected = n + 1;
    }
  });

  const before = { server: rssBytes(server.proc.child.pid!), cli: rssBytes(share.proc.child.pid!) };
  const peaks = sampleRss({ server: server.proc.child.pid!, cli: share.proc.child.pid!, self: process.pid });
  const startRss = process.memoryUsage().rss;
  viewer.sendInput(1, `cat ${file}; echo END${tag}\r`);
  const deadline = Date.now() + 150_000;
  while (!done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const peak = peaks.stop();
  console.log(
    `flow: ${(received / 1e6).toFixed(0)} MB received; peak RSS server ${(peak.server! / MiB).toFixed(0)} MiB, ` +
      `(from ${(before.server / MiB).toFixed(0)}), cli ${(peak.cli! / MiB).toFixed(0)} MiB (from ${(before.cli / MiB).toFixed(0)}), viewer process ${(peak.self! / MiB).toFixed(0)} MiB (from ${(startRss / MiB).toFixed(0)})`,
  );

  expect(done, "the END marker after cat arrived").toBe(true);
  expect(errors).toEqual([]);
  expect(expected).toBe(LINES);
  expect(received).toBeGreaterThan(TOTAL_BYTES);
  // Bounded: what each process gained while 200 MB passed through it stays far below 200 MB
  // (replay ring, socket buffers and garbage-collector slack, not the stream).
  expect(peak.server! - before.server).toBeLessThan(128 * MiB);
  expect(peak.cli! - before.cli).toBeLessThan(128 * MiB);
  expect(peak.self! - startRss).toBeLessThan(128 * MiB);
});
