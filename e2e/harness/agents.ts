/** `taiku --agents` in a fresh directory whose `taiku.toml` points codex at the fake engine (packages/agents/test/fakes). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeCli } from "../../packages/agents/test/helpers/fake-cli.js";
import { startShare, type ServerProc, type ShareProc } from "./session.js";

export async function startShareWithFakeCodex(server: ServerProc, prefix: string, files: Record<string, string | Uint8Array> = {}): Promise<{ share: ShareProc; root: string }> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
  const codex = fakeCli("codex", root, { FAKE_LOG: join(root, "engine-log.jsonl") });
  const config = join(root, "taiku.toml");
  writeFileSync(config, `[agents]\ndefault_engine = "codex"\n\n[agents.engines.codex]\nexecutable = ${JSON.stringify(codex)}\n`);
  return { share: await startShare(server, ["--agents", "--config", config, "--dir", root]), root };
}
