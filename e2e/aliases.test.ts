/**
 * Shell aliases end to end (spec §4.8): a real `taiku serve`, a real `taiku` share and a headless admin
 * viewer (the web app's session client) standing in for the plugin host. The viewer registers an alias,
 * the shim runs inside the real shell, and the viewer's sealed answer comes back as output and exit code.
 */
import { afterAll, expect, it } from "vitest";
import { startServe, startShare, TEST_LIMITS, type ServerProc, type ShareProc } from "./harness/session.js";
import { openViewer } from "./harness/viewer.js";
import { TranscriptCollector, type SessionClient } from "../packages/web/src/common/index.js";
import type { AliasInvocation } from "../packages/web/src/common/alias-frames.js";

const ANSWER_MS = 4000;
/** What the test started, stopped in reverse order after it. */
const started: { server?: ServerProc; share?: ShareProc; viewer?: SessionClient } = {};
afterAll(async () => {
  started.viewer?.close();
  await started.share?.stop();
  await started.server?.stop();
});

async function until(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it("an alias typed in a shell is answered by the client that registered it", { timeout: 120_000 }, async () => {
  const server = (started.server = await startServe({ TAIKU_LIMITS: JSON.stringify({ ...TEST_LIMITS, aliasAnswerMs: ANSWER_MS }) }));
  const share = (started.share = await startShare(server));
  const v = (started.viewer = await openViewer(share.links.admin!, server.url));
  const transcript = new TranscriptCollector(v);
  // The CLI's shell goes to the first admin: once we own it we may register.
  await until(() => v.state.owners.some((o) => o.userId === v.state.userId), "ownership of shell 1");
  const calls: AliasInvocation[] = [];
  v.events.on("aliasInvocation", (inv) => {
    calls.push(inv);
    if (inv.name === "silent") return; // never answered: the relay's deadline
    void v.answerAlias({ ...inv, stdout: `hi ${inv.args.join("|")} from ${inv.cwd}\n`, stderr: "", exitCode: 3 });
  });
  v.send({ t: "registerAliases", pluginId: "test.aliases", aliases: ["greet", "silent", "ls"] });

  const type = (s: string) => v.sendInput(1, s);
  type("command -v greet ls\n");
  await until(() => /taiku-alias-\w+\/greet\r\n/.test(transcript.output(1)), "the greet shim first on PATH");
  await until(() => /\n\/(usr\/)?bin\/ls\r\n/.test(transcript.output(1)), "ls"); // never shadows a command on PATH

  type(`greet one "two three"; echo "rc=$?"\n`);
  await until(() => transcript.output(1).includes("rc=3"), "greet's exit code");
  expect(transcript.output(1)).toMatch(/hi one\|two three from \//);
  expect(calls[0]).toMatchObject({ name: "greet", args: ["one", "two three"], shellId: 1 });

  // Registered but unanswered: the relay gives up after aliasAnswerMs; the shim prints the spec's text.
  type(`silent; echo "rc=$?"\n`);
  await until(() => transcript.output(1).includes("rc=124"), "the unanswered alias' exit code");
  expect(transcript.output(1)).toContain("taiku: no plugin client responded");

  // Unregistered: the shim goes away; a copy of it finds no client and gets 124 at once, not after the deadline.
  type(`cp "$TAIKU_ALIAS_DIR/greet" "$HOME/greet-copy" && echo "copied-""shim"\n`);
  await until(() => transcript.output(1).includes("copied-shim\r\n"), "copy of the shim");
  v.send({ t: "registerAliases", pluginId: "test.aliases", aliases: [] });
  for (let i = 0; !transcript.output(1).includes("greet-gone"); i++) {
    if (i === 40) throw new Error("the greet shim was not removed");
    type(`[ -e "$TAIKU_ALIAS_DIR/greet" ] || echo "greet-""gone"\n`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const t0 = Date.now();
  type(`"$HOME/greet-copy" x; echo "rc2=$?"\n`);
  await until(() => transcript.output(1).includes("rc2=124"), "124 without a client");
  expect(Date.now() - t0).toBeLessThan(ANSWER_MS);
  expect(calls.map((c) => c.name)).toEqual(["greet", "silent"]);
});
