#!/usr/bin/env node
/**
 * Connectors: backfill items/s, queue tasks/s, webhook-to-thread latency.
 *   node bench/connectors/run.mjs [--items 5000] [--tasks 5000] [--hooks 500] [--concurrency 4]
 *     [--synchronous default|normal] [--stmt-cache]   (diagnostics: SQLite sync mode, prepared-statement cache)
 * The connector runtime over a SQLite file with the server's pragmas (WAL), the first-party GitHub
 * connector unchanged, the GitHub stand-in of packages/server/test/integrations reached through
 * `egressHosts`, and the server's `/hook/<token>` route on Fastify. Prints plain lines; asserts
 * nothing; bounded by --timeout seconds.
 */
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { bundle, CACHE } from "../lib/bundle.mjs";
import { exitAfter, machineLine } from "../lib/run.mjs";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "5000" },
    tasks: { type: "string", default: "5000" },
    hooks: { type: "string", default: "500" },
    concurrency: { type: "string", default: "4" },
    synchronous: { type: "string", default: "default" },
    "stmt-cache": { type: "boolean", default: false },
    timeout: { type: "string", default: "300" },
  },
});
exitAfter(Number(values.timeout));

const here = dirname(fileURLToPath(import.meta.url));
const out = await bundle({ entryPoints: { entry: join(here, "lib", "entry.ts") }, outdir: join(CACHE, "taiku-bench-connectors"), quiet: true });
const { runBench } = await import(pathToFileURL(out.entry).href);
console.log(`# ${machineLine()}`);
await runBench({ items: Number(values.items), tasks: Number(values.tasks), hooks: Number(values.hooks), concurrency: Number(values.concurrency), synchronous: values.synchronous, stmtCache: values["stmt-cache"] }, (l) => console.log(l));
process.exit(0);
