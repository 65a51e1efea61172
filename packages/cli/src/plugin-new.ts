/**
 * `taiku plugin new <dir> [--id <id>] [--name <name>]`: scaffold a working plugin (spec §1.2 scaffolder,
 * §15 "Session Snapshot" starter): manifest.json, index.html, the plugin logic in snapshot.js (a plain
 * script the page loads and the test imports), a MockHost test with vitest, package.json and the SDK's
 * browser bundle (so the page works wherever it is hosted). Template placeholders are taiku's:
 * TAIKU_PLUGIN_ID, TAIKU_PLUGIN_NAME, TAIKU_PACKAGE_NAME.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PLUGIN_ID_RE } from "@taiku/protocol";
import { CliError, EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { findWebRoot } from "./webroot.js";


export const PLUGIN_HELP = `Usage: taiku plugin new <dir> [--id <owner.name>] [--name <display name>]

Creates a plugin project in <dir>: manifest.json, index.html, snapshot.js, a MockHost test
(test/snapshot.test.mjs, run with "npm test") and the SDK bundle. Install it in a session from the
Plugins dialog with the URL of its manifest.json once you host the directory (any static server).
`;

const TEMPLATE: Record<string, string> = {
  "manifest.json": `{
  "id": "TAIKU_PLUGIN_ID",
  "name": "TAIKU_PLUGIN_NAME",
  "version": "0.1.0",
  "description": "Shows the session name, how many shells it has, and the latest output of three of them.",
  "tagline": "A session snapshot",
  "permissions": ["session.read", "terminal.read", "events.subscribe", "ui.panel", "ui.toolbar.custom", "ui.toast"],
  "panels": [{ "id": "snapshot", "title": "TAIKU_PLUGIN_NAME", "position": "sidebar", "htmlUrl": "index.html", "defaultWidth": 340 }],
  "toolbarActions": [{ "id": "open-snapshot", "label": "TAIKU_PLUGIN_NAME", "panelId": "snapshot",
    "icon": "<svg xmlns=\\"http://www.w3.org/2000/svg\\" width=\\"18\\" height=\\"18\\" viewBox=\\"0 0 24 24\\" fill=\\"none\\" stroke=\\"currentColor\\" stroke-width=\\"2\\"><rect x=\\"3\\" y=\\"4\\" width=\\"18\\" height=\\"16\\" rx=\\"2\\"/><path d=\\"M7 9h10M7 13h6\\"/></svg>" }]
}
`,
  "index.html": `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>TAIKU_PLUGIN_NAME</title>
  <style>
    body { margin: 0; padding: 10px; background: #18181b; color: #a1a1aa; font: 13px system-ui, sans-serif; }
    h1 { font-size: 14px; margin: 0 0 8px; color: #e4e4e7; }
    pre { background: #111113; border: 1px solid #27272a; border-radius: 6px; padding: 6px; white-space: pre-wrap; max-height: 120px; overflow: auto; }
  </style>
</head>
<body>
  <h1 id="title">TAIKU_PLUGIN_NAME</h1>
  <p id="count">Connecting…</p>
  <div id="previews"></div>
  <script src="taiku-plugin-sdk.js"></script>
  <script src="snapshot.js"></script>
  <script>
    const taiku = new TaikuPluginSDK.TaikuPlugin();
    async function render() {
      try {
        const s = await Snapshot.loadSnapshot(taiku);
        document.getElementById("title").textContent = s.title;
        document.getElementById("count").textContent = s.shellCount + (s.shellCount === 1 ? " shell" : " shells");
        const box = document.getElementById("previews");
        box.textContent = "";
        for (const p of s.previews) {
          const pre = document.createElement("pre");
          pre.textContent = "Shell " + p.shellId + "\\n" + p.text;
          box.appendChild(pre);
        }
      } catch (err) {
        document.getElementById("count").textContent = "Error: " + err.message;
      }
    }
    taiku.ready().then(() => {
      render();
      taiku.on("shells_changed", render);
      taiku.on("shell:data", render);
    });
  </script>
</body>
</html>
`,
  "snapshot.js": `// The plugin's logic, separate from the page so that the MockHost test can run it in Node.
// A plain script (no modules: plugin pages have an opaque origin): it defines the global \`Snapshot\`.
(function (root) {
  const ANSI = /\\x1b\\[[0-9;?]*[ -\\/]*[@-~]|\\x1b\\][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)/g;

  /** Session name, shell count, and the last lines of up to three shells. */
  async function loadSnapshot(taiku) {
    const session = await taiku.getSession();
    const shells = await taiku.getShells();
    const previews = [];
    for (const shell of shells.slice(0, 3)) {
      const chunks = await taiku.getShellOutput(shell.id, 20);
      const text = chunks.join("").replace(ANSI, "").replace(/\\r/g, "").split("\\n").slice(-5).join("\\n");
      previews.push({ shellId: shell.id, text });
    }
    return { title: session.name || session.id, shellCount: shells.length, previews };
  }

  root.Snapshot = { loadSnapshot };
})(globalThis);
`,
  "test/snapshot.test.mjs": `import { describe, expect, it } from "vitest";
import { TaikuPlugin } from "@taiku/plugin-sdk";
import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import "../snapshot.js";

const snapshot = globalThis.Snapshot;

describe("TAIKU_PLUGIN_NAME", () => {
  it("shows the session name, the shell count and each shell's latest output", async () => {
    const window = createTestWindow();
    const mock = new MockHost({ pluginId: "TAIKU_PLUGIN_ID", sessionId: "test-session-abc", window });
    mock.handle("getShellOutput", ({ shellId }) => ({ chunks: [\`\\x1b[32mhello\\x1b[0m from \${shellId}\\r\\n\`] }));
    const taiku = new TaikuPlugin({ window });
    await taiku.ready();

    const s = await snapshot.loadSnapshot(taiku);

    expect(s.title).toBe("Test Session");
    expect(s.shellCount).toBe(2);
    expect(s.previews.map((p) => p.text.trim())).toEqual(["hello from 1", "hello from 2"]);
    expect(mock.requests.map((r) => r.method)).toContain("getSession");
    taiku.destroy();
    mock.dispose();
  });

  it("reports a permission error from the host", async () => {
    const window = createTestWindow();
    const mock = new MockHost({ pluginId: "TAIKU_PLUGIN_ID", sessionId: "s", window, permissions: ["session.read"] });
    const taiku = new TaikuPlugin({ window });
    await taiku.ready();
    await expect(snapshot.loadSnapshot(taiku)).rejects.toThrow("Permission denied: terminal.read is required for getShellOutput");
    taiku.destroy();
    mock.dispose();
  });
});
`,
  "package.json": `{
  "name": "TAIKU_PACKAGE_NAME",
  "version": "0.1.0",
  "private": true,
  "description": "TAIKU_PLUGIN_NAME — a taiku plugin",
  "scripts": {
    "test": "vitest run",
    "serve": "npx --yes http-server -p 5173 --cors ."
  },
  "devDependencies": {
    "@taiku/plugin-sdk": "^0.1.0",
    "vitest": "^4.0.0"
  }
}
`,
  "README.md": `# TAIKU_PLUGIN_NAME

A taiku plugin (\`TAIKU_PLUGIN_ID\`), made with \`taiku plugin new\`.

- \`manifest.json\` — id, permissions, the sidebar panel and its toolbar button.
- \`index.html\` — the panel page; it loads \`taiku-plugin-sdk.js\` (the SDK's browser bundle) and \`snapshot.js\`.
- \`snapshot.js\` — the logic, tested with \`MockHost\` in \`test/snapshot.test.mjs\`: \`npm install && npm test\`.

Try it: host this directory on https (or http://localhost), open a taiku session, Plugins → paste the
URL of \`manifest.json\` → Install. See docs/plugin-guide.md in the taiku repository.
`,
};

export interface ScaffoldOptions {
  dir: string;
  id?: string;
  name?: string;
  /** The SDK bundle to copy; default: the one the web app ships. */
  sdkBundle?: string;
}

/** Writes the template; returns the files written (relative). Refuses a non-empty directory. */
export function scaffoldPlugin(opts: ScaffoldOptions): string[] {
  const dir = resolve(opts.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new CliError(`${opts.dir} is not empty`, EXIT.usage);
  const slug = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "plugin";
  const id = opts.id ?? `my-org.${slug}`;
  if (!PLUGIN_ID_RE.test(id)) throw new CliError(`invalid plugin id "${id}": use letters, digits, ".", "_" or "-" (e.g. my-org.my-plugin)`, EXIT.usage);
  if (id.startsWith("taiku.") || id.startsWith("example.")) throw new CliError(`the "taiku." and "example." id prefixes are reserved`, EXIT.usage);
  const name = (opts.name ?? slug.split(/[-_.]/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ")).slice(0, 64);
  const fill = (text: string, json: boolean) => {
    const esc = (v: string) => (json ? JSON.stringify(v).slice(1, -1) : v.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`));
    return text.replaceAll("TAIKU_PLUGIN_ID", id).replaceAll("TAIKU_PLUGIN_NAME", esc(name)).replaceAll("TAIKU_PACKAGE_NAME", slug);
  };
  const sdk = opts.sdkBundle ?? findSdkBundle();
  if (!sdk) throw new CliError("the plugin SDK bundle was not found (build it with npm run bundle -w @taiku/plugin-sdk)");
  mkdirSync(join(dir, "test"), { recursive: true });
  const written: string[] = [];
  for (const [file, text] of Object.entries(TEMPLATE)) {
    const isJson = file.endsWith(".json");
    // Names inside JS strings are JSON-escaped too, so a quote in a name cannot break the code.
    writeFileSync(join(dir, file), fill(text, isJson || file.endsWith(".js") || file.endsWith(".mjs")));
    written.push(file);
  }
  copyFileSync(sdk, join(dir, "taiku-plugin-sdk.js"));
  written.push("taiku-plugin-sdk.js");
  return written;
}

function findSdkBundle(): string | undefined {
  const web = findWebRoot();
  const candidates = [web && join(web, "plugin-sdk", "taiku-plugin-sdk.js"), resolve(web ?? ".", "..", "..", "plugin-sdk", "dist", "taiku-plugin-sdk.js")];
  return candidates.find((p): p is string => Boolean(p) && existsSync(p!));
}

/** `taiku plugin <subcommand> …` */
export function runPluginCommand(argv: string[], io: CliIo): number {
  const [sub, ...rest] = argv;
  if (sub !== "new") {
    io.stdout.write(PLUGIN_HELP);
    return sub === undefined || sub === "help" || sub === "--help" ? EXIT.ok : EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: { id: { type: "string" }, name: { type: "string" } } });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${PLUGIN_HELP}`, EXIT.usage);
  }
  const dir = parsed.positionals[0];
  if (!dir || parsed.positionals.length > 1) throw new CliError(`taiku plugin new needs one directory\n${PLUGIN_HELP}`, EXIT.usage);
  const files = scaffoldPlugin({ dir: resolve(io.cwd, dir), ...(parsed.values.id ? { id: parsed.values.id } : {}), ...(parsed.values.name ? { name: parsed.values.name } : {}) });
  io.stdout.write(`Created ${dir}:\n${files.map((f) => `  ${f}`).join("\n")}\nNext: cd ${dir} && npm install && npm test\n`);
  return EXIT.ok;
}
