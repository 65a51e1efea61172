#!/usr/bin/env node
/**
 * Diagnostic: AES-GCM seal throughput of taiku's crypto module (WebCrypto, async) one chunk at a
 * time as the CLI's serial chain does, against Node's synchronous node:crypto, per chunk size.
 *   node bench/relay/crypto.mjs [--mb 64]
 */
import { createCipheriv, randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildTaiku } from "./lib/build.mjs";
import { fmt, load, machine, MB, now } from "./lib/util.mjs";

const { values } = parseArgs({ options: { mb: { type: "string", default: "64" } } });
const total = Number(values.mb) * MB;
const { lib } = await buildTaiku({ quiet: true });
const { crypto: c } = await import(pathToFileURL(lib).href);
const key = await c.importAeadKey(randomBytes(32));
const raw = randomBytes(32);
console.log(`# AES-GCM seal, serial — ${machine()}; ${load()}`);
for (const size of [4096, 8192, 16384, 65536]) {
  const chunk = randomBytes(size);
  const ad = c.aad.output("abcdefghij", 1, 0);
  const n = Math.ceil(total / size);
  let t0 = now();
  for (let i = 0; i < n; i++) await c.sealFrame(key, chunk, ad);
  const web = total / MB / ((now() - t0) / 1000);
  t0 = now();
  for (let i = 0; i < n; i++) {
    const iv = randomBytes(12);
    const ci = createCipheriv("aes-256-gcm", raw, iv);
    ci.setAAD(ad);
    Buffer.concat([ci.update(chunk), ci.final(), ci.getAuthTag()]);
  }
  const sync = total / MB / ((now() - t0) / 1000);
  console.log(`seal ${size / 1024} KiB chunks: taiku sealFrame (WebCrypto, awaited one by one) ${fmt(web)} MB/s, ${fmt((size / web) / 1000, 3)} ms per chunk; node:crypto sync ${fmt(sync)} MB/s`);
}
