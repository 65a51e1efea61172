/**
 * The file viewer's message when the host runs `taiku --no-fs`, against a real `taiku serve` and share:
 * the CLI refuses the read, and the server answers every CLI-side refusal with the documented 502
 * `CLI returned an error from the remote read.` (§11.3.5), never the CLI's own text. The page must
 * explain that answer, not only a text the server does not send.
 */
import { afterAll, expect, it } from "vitest";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { openViewer, parseLink } from "./harness/viewer.js";
import type { SessionClient } from "../packages/web/src/common/index.js";
import { sessionFetch, sessionPath, SessionHttpError } from "../packages/web/src/common/session-http.js";
import { fileProblem } from "../packages/web/src/plugins/ui/viewer-logic.js";

let server: ServerProc | undefined;
let share: ShareProc | undefined;
let viewer: SessionClient | undefined;
afterAll(async () => {
  viewer?.close();
  await share?.stop();
  await server?.stop();
});

it("a read refused by a --no-fs host is explained as such in the file viewer", async () => {
  server = await startServe();
  share = await startShare(server, ["--no-fs"]);
  viewer = await openViewer(share.links.admin!, server.url);
  const { sessionId } = parseLink(share.links.admin!);
  const err = await sessionFetch(viewer, sessionPath(sessionId, "/file?path=notes.txt&maxBytes=1024"), {}, { baseUrl: server.url }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(SessionHttpError);
  expect([(err as SessionHttpError).status, (err as SessionHttpError).message]).toEqual([502, "CLI returned an error from the remote read."]);
  expect(fileProblem((err as SessionHttpError).message, "notes.txt")).toMatch(/--no-fs/);
});
