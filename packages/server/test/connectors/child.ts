/** Builds child-server.ts into one ESM file (workspace packages from source) and runs it as a child process. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../../..");

export async function bundleChildServer(): Promise<string> {
  // Inside the checkout so the bundle's bare imports (fastify, better-sqlite3, …) resolve from node_modules.
  const outDir = join(root, "node_modules", ".cache", "taiku-connectors");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `child-server-${process.pid}.mjs`);
  await build({
    entryPoints: [join(here, "child-server.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    // As the CLI bundle does: pure-JS dependencies bundled, native addons external.
    external: ["node-pty", "better-sqlite3", "cbor-extract", "bufferutil"],
    plugins: [{
      name: "workspace-from-source",
      setup(b) {
        b.onResolve({ filter: /^@taiku\/[a-z-]+$/ }, (a) => ({ path: join(root, "packages", a.path.slice("@taiku/".length), "src", "index.ts") }));
      },
    }],
  });
  return outfile;
}

export interface Child {
  proc: ChildProcess;
  port: number;
  publicUrl: string;
  ownerToken: string;
  exited: Promise<number | null>;
}

export function startChild(bundle: string, options: Record<string, unknown>): Promise<Child> {
  return new Promise((resolveChild, reject) => {
    const proc = spawn(process.execPath, [bundle], { env: { ...process.env, TAIKU_CHILD_OPTIONS: JSON.stringify(options) }, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    let out = "";
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\{.*\})\n/.exec(out);
      if (m) {
        const info = JSON.parse(m[1]!) as { port: number; publicUrl: string; ownerToken: string };
        resolveChild({ proc, exited, ...info });
      }
    });
    void exited.then((code) => reject(new Error(`child server exited (${code}) before READY: ${err.slice(-2000)}`)));
  });
}
