/**
 * Link rotation end to end: a real `taiku serve`, a real `taiku` share and the web app's session
 * client as the admin who rotates. The relay sends the admin `linksRotated` and then closes every
 * browser with 4403 "links rotated" at once; the admin's page must adopt the new link and come back,
 * not end with "This link is not valid" while it is still deriving the new keys.
 */
import { afterAll, expect, it } from "vitest";
import { startServe, startShare, type ServerProc, type ShareProc } from "./harness/session.js";
import { openViewer } from "./harness/viewer.js";
import type { SessionClient } from "../packages/web/src/common/index.js";

let server: ServerProc | undefined;
let share: ShareProc | undefined;
const clients: SessionClient[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await share?.stop();
  await server?.stop();
});

it("the admin who rotates the links stays in the session under the new link; others are dropped", async () => {
  server = await startServe();
  share = await startShare(server);
  const admin = await openViewer(share.links.admin!, server.url);
  clients.push(admin);
  const other = await openViewer(share.links.session!, server.url);
  clients.push(other);
  const before = admin.currentFragment;
  const fragments: string[] = [];
  admin.events.on("fragment", (f) => fragments.push(f));

  admin.rotateLinks();
  await expect.poll(() => fragments.length, { timeout: 30_000 }).toBe(1);
  expect(fragments[0]).not.toBe(before);
  // Back online with the new keys, not ended.
  await admin.waitFor((s) => s.status === "online" || s.status === "ended", 30_000);
  expect(admin.state.end).toBeNull();
  expect(admin.state.status).toBe("online");
  expect(admin.state.role).toBe("admin");
  // A participant with the old link is out for good.
  await other.waitFor((s) => s.status === "ended", 30_000);
  expect(other.state.end?.kind).toBe("invalid-key");
});
