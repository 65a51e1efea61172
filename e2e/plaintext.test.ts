/**
 * The server never holds plaintext (issue "taiku core", Must show): a random marker is typed into a
 * shared shell, another written into a collaborative document; everything the server received (recorded by loopback proxies on both of its links),
 * stored (SQLite files), logged (its output) and held in memory (a heap snapshot) is searched for it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startProcess, tempHome, type Proc } from "./harness/processes.js";
import { startTcpProxy, freePort, type TcpProxy } from "./harness/tcp-proxy.js";
import { openViewer, watchAllShells } from "./harness/viewer.js";
import type { SessionClient } from "../packages/web/src/common/index.js";

const cleanup: Array<() => Promise<unknown> | void> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function contains(haystack: Buffer, needle: string): boolean {
  return haystack.includes(Buffer.from(needle, "utf8")) || haystack.includes(Buffer.from(needle, "utf16le"));
}

it("the server process never receives, stores, logs or holds the plaintext typed into a shell or a document", async () => {
  const marker = `MARKER${randomBytes(12).toString("hex")}`;
  const serverDir = tempHome("taiku-plaintext-");
  const home = join(serverDir, "home");
  const port = await freePort();
  const server: Proc = startProcess(
    ["serve", "--host", "127.0.0.1", "--port", String(port)],
    { TAIKU_HOME: home, TAIKU_LIMITS: JSON.stringify({ cliPingMs: 500 }) },
    serverDir,
    ["--heapsnapshot-signal=SIGUSR2"],
  );
  cleanup.push(() => server.stop());
  for (let i = 0; i < 300 && !(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }

  const cliProxy: TcpProxy = await startTcpProxy(port, { record: true });
  const viewerProxy: TcpProxy = await startTcpProxy(port, { record: true });
  cleanup.push(() => cliProxy.close(), () => viewerProxy.close());

  const share = startProcess(["--server", `http://127.0.0.1:${cliProxy.port}`, "--shell", "/bin/sh"], {
    TAIKU_CONFIG_DIR: tempHome(),
    HOME: tempHome(),
  });
  cleanup.push(() => share.stop("SIGINT"));
  const [, link] = (await share.waitFor(/^session:\s+(\S+)/, 60_000)) as RegExpMatchArray;

  const viewer: SessionClient = await openViewer(link!, `http://127.0.0.1:${viewerProxy.port}`);
  cleanup.push(() => viewer.close());
  let seen = "";
  watchAllShells(viewer, (_id, data) => (seen += Buffer.from(data).toString("utf8")));
  await viewer.waitFor((s) => s.shells.length > 0);
  viewer.sendInput(1, `echo ${marker}\r`);
  const deadline = Date.now() + 20_000;
  while (!new RegExp(`^${marker}`, "m").test(seen.replace(/\r/g, "")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  // Positive control: the viewer really typed and saw the marker.
  expect(seen).toContain(marker);

  // A collaborative document (§3.11) edited through the same viewer: each Yjs update is sealed too.
  const docMarker = `DOCMARKER${randomBytes(12).toString("hex")}`;
  const docId = viewer.createDocument(`notes ${docMarker}`);
  const doc = viewer.openDocument(docId); // createDocument keeps it open only until the relay has its first line
  doc.text.insert(doc.text.length, `body ${docMarker}\n`);
  // Positive control: a second viewer, joining afterwards, reads the document through the server.
  const reader: SessionClient = await openViewer(link!, `http://127.0.0.1:${viewerProxy.port}`);
  cleanup.push(() => reader.close());
  const copy = reader.openDocument(docId);
  for (let i = 0; i < 200 && !copy.text.toString().includes(`body ${docMarker}`); i++) await new Promise((r) => setTimeout(r, 50));
  expect(copy.text.toString()).toBe(`# notes ${docMarker}\n\nbody ${docMarker}\n`);
  const markers = [marker, docMarker];

  // Memory: a heap snapshot of the live server process.
  server.child.kill("SIGUSR2");
  let snapshotFile: string | undefined;
  let heap = Buffer.alloc(0);
  // The snapshot is JSON written incrementally; it is complete once it ends with its closing brace.
  for (let i = 0; i < 1200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    snapshotFile ??= readdirSync(serverDir).find((f) => f.endsWith(".heapsnapshot"));
    if (!snapshotFile) continue;
    heap = readFileSync(join(serverDir, snapshotFile));
    if (/\}\s*$/.test(heap.subarray(-16).toString("latin1"))) break;
  }
  expect(snapshotFile, "heap snapshot written").toBeDefined();
  const { sessionId } = { sessionId: new URL(link!).pathname.split("/").pop()! };
  // Positive control for the search itself: the server does hold the session id.
  expect(contains(heap, sessionId)).toBe(true);
  for (const m of markers) expect(contains(heap, m), "marker in the server's heap").toBe(false);

  // Everything received on its sockets, both links.
  expect(cliProxy.recorded().length).toBeGreaterThan(0);
  for (const m of markers) {
    expect(contains(cliProxy.recorded(), m), "marker on the CLI link").toBe(false);
    expect(contains(viewerProxy.recorded(), m), "marker on the browser link").toBe(false);
  }

  // Stored: stop gracefully (sessions are snapshotted on shutdown), then read every file in its home.
  await server.stop("SIGTERM");
  const files = readdirSync(home, { recursive: true }) as string[];
  expect(files.some((f) => f.startsWith("taiku.db"))).toBe(true);
  for (const f of files) {
    const p = join(home, f);
    if (existsSync(p) && !readdirSync(home, { withFileTypes: true }).find((d) => d.name === f && d.isDirectory())) {
      try {
        for (const m of markers) expect(contains(readFileSync(p), m), `marker in ${f}`).toBe(false);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EISDIR") throw e;
      }
    }
  }
  // Logged.
  for (const m of markers) expect(server.output()).not.toContain(m);
});
