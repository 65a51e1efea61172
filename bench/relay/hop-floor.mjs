#!/usr/bin/env node
/**
 * The echo floor of any relay on this machine: a bare TCP round trip between two Node processes on
 * loopback (1 byte, Nagle off, no WebSocket, no crypto), taken after the same idle gap as the
 * keystroke echo, so both sides wake from idle as they do for a keystroke. A relayed echo crosses
 * two such round trips (viewer ↔ server ↔ CLI) plus the shell's own echo in its PTY (raw-pty.mjs)
 * — see docs/benchmarks.md, "Keystroke echo".
 *   node bench/relay/hop-floor.mjs [--n 500] [--gap 20]
 */
import { fork } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fmt, latencySummary, machine, sleep } from "./lib/util.mjs";

const self = fileURLToPath(import.meta.url);

/** Round-trip samples (ms) of one byte echoed by a child process, `gapMs` apart. */
export async function hopFloor(n = 500, gapMs = 20) {
  const child = fork(self, ["--echo-server"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const port = await new Promise((resolve) => child.once("message", resolve));
    const sock = net.connect(port, "127.0.0.1");
    sock.setNoDelay(true);
    await new Promise((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    const samples = [];
    for (let i = 0; i < n + 20; i++) {
      const t0 = performance.now();
      await new Promise((resolve) => {
        sock.once("data", resolve);
        sock.write("x");
      });
      if (i >= 20) samples.push(performance.now() - t0); // 20 warm-up round trips
      await sleep(gapMs);
    }
    sock.destroy();
    return samples;
  } finally {
    child.kill();
  }
}

if (process.argv.includes("--echo-server")) {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on("data", (d) => s.write(d));
  });
  server.listen(0, "127.0.0.1", () => process.send(server.address().port));
} else if (process.argv[1] === self) {
  const { values } = parseArgs({ options: { n: { type: "string", default: "500" }, gap: { type: "string", default: "20" } } });
  console.log(`# bare loopback round trip between two Node processes — ${machine()}`);
  const s = latencySummary(await hopFloor(Number(values.n), Number(values.gap)));
  console.log(`hop floor (${s.n} samples, ${values.gap} ms apart): p50 ${fmt(s.p50, 3)} ms, p90 ${fmt(s.p90, 3)} ms, p99 ${fmt(s.p99, 3)} ms`);
}
