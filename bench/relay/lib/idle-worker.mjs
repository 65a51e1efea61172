/**
 * Child process: `count` idle sessions, each = a fake CLI speaking the link protocol
 * (packages/protocol/src/cli.ts: open → opened → hello → sync → createdShell → one output frame,
 * then only pongs; no PTY) + one headless decrypting viewer (SessionClient) that receives that frame.
 */
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import { serve } from "./util.mjs";

const clis = [];
const viewers = [];

async function fakeCli(lib, baseUrl, kdf) {
  const { crypto: c, protocol: p } = lib;
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}${p.CLI_LINK_PATH}`);
  ws.binaryType = "nodebuffer";
  const send = (m) => ws.send(p.encodeCbor(m));
  const inbox = [];
  let wake = null;
  ws.on("message", (d) => {
    const m = p.decodeCbor(new Uint8Array(d));
    if (m.t === "ping") return send({ t: "pong", ts: m.ts });
    inbox.push(m);
    wake?.();
  });
  const next = (t) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fake CLI: no ${t}`)), 60_000);
    const look = () => {
      const i = inbox.findIndex((m) => m.t === t || m.t === "error");
      if (i < 0) return;
      const m = inbox.splice(i, 1)[0];
      wake = null;
      clearTimeout(timer);
      if (m.t === "error") reject(new Error(`fake CLI: ${m.message}`));
      else resolve(m);
    };
    wake = look;
    look();
  });
  ws.on("close", (code, reason) => { inbox.push({ t: "error", message: `closed ${code} ${reason}` }); wake?.(); });
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  send({ t: "open", v: 1, cliVersion: "bench", readersEnabled: false, noViewerAuth: false, tunnelPorts: [], deviceId: "bench", cwdLabel: "bench" });
  const opened = await next("opened");
  const secrets = c.generateLinkSecrets();
  const keys = await c.deriveSessionKeys(opened.sessionId, secrets, kdf);
  const v = c.verifiersOf(keys);
  send({ t: "hello", sessionId: opened.sessionId, token: opened.token, viewVerifier: v.view, writeVerifier: v.write, adminVerifier: v.admin, e2e: p.E2E_SUITE });
  await next("sync");
  send({ t: "createdShell", shellId: 1, rows: 24, cols: 80, requestId: 0 });
  const frame = await c.sealFrame(keys.enc, c.utf8("bench@idle:~$ "), c.aad.output(opened.sessionId, 1, 0));
  send({ t: "data", shellId: 1, seq: 0, frame });
  inbox.length = 0;
  clis.push(ws);
  return { sessionId: opened.sessionId, fragment: c.formatFragment({ key: secrets.key, writeSecret: secrets.writeSecret }) };
}

async function viewer(lib, baseUrl, s, kdf) {
  const client = new lib.SessionClient({ baseUrl, sessionId: s.sessionId, fragment: s.fragment, WebSocket, kdf, device: "bench" });
  await client.start();
  await client.whenOnline(60_000);
  let got = 0;
  lib.watchAllShells(client, (_id, d) => (got += d.byteLength));
  await client.waitFor((st) => st.shells.length > 0, 60_000);
  const t0 = Date.now();
  while (got === 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
  if (got === 0) throw new Error("viewer received no output");
  viewers.push(client);
}

serve({
  async open({ lib: libPath, baseUrl, count, concurrency = 8, kdfMemory }) {
    const lib = await import(pathToFileURL(libPath).href);
    const kdf = kdfMemory ? { memorySize: kdfMemory } : {};
    let done = 0;
    const errors = [];
    const one = async () => {
      const s = await fakeCli(lib, baseUrl, kdf);
      await viewer(lib, baseUrl, s, kdf);
    };
    let claimed = 0;
    const lanes = Array.from({ length: concurrency }, async () => {
      while (claimed < count) {
        claimed++;
        try { await one(); done++; } catch (e) { errors.push(String(e?.message ?? e)); }
      }
    });
    await Promise.all(lanes);
    return { opened: done, errors: errors.slice(0, 5), errorCount: errors.length };
  },
  async check() {
    const online = viewers.filter((v) => v.state.status === "online").length;
    const clisOpen = clis.filter((w) => w.readyState === WebSocket.OPEN).length;
    return { online, clisOpen };
  },
  async close() {
    for (const v of viewers) v.close();
    for (const w of clis) w.close();
    return {};
  },
});
