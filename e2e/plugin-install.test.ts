/**
 * Installing a plugin from a manifest URL while signed in, against a real `taiku serve`: the server
 * fetches and validates the manifest (POST /api/v1/plugins/install) and answers with the normalised
 * manifest and the validation `warnings`. The web app's catalog must show those warnings in the
 * install dialog: the normalised manifest no longer has what they are about (an unknown permission is
 * dropped), so validating it again in the page finds nothing to warn about.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServe, type ServerProc } from "./harness/session.js";
import { MemoryStorage } from "../packages/web/src/common/services.js";
import { PluginCatalog } from "../packages/web/src/plugins/catalog.js";
import { LocalPluginStore } from "../packages/web/src/plugins/local-store.js";

let server: ServerProc | undefined;
let manifests: Server | undefined;
let manifestUrl = "";

const MANIFEST = {
  id: "e2e.future",
  name: "Future",
  version: "1.0.0",
  permissions: ["session.read", "future.permission"],
};

beforeAll(async () => {
  manifests = createServer((req, res) => {
    if (req.url !== "/manifest.json") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(MANIFEST));
  });
  await new Promise<void>((r) => manifests!.listen(0, "127.0.0.1", r));
  manifestUrl = `http://localhost:${(manifests.address() as AddressInfo).port}/manifest.json`;
  server = await startServe();
});

afterAll(async () => {
  await server?.stop();
  await new Promise((r) => manifests?.close(r));
});

it("the install dialog of a signed-in user shows the server's manifest warnings", async () => {
  const signup = await fetch(`${server!.url}/api/v1/auth/signup`, {
    method: "POST", headers: { "content-type": "application/json", origin: server!.url },
    body: JSON.stringify({ name: "Ada", email: "ada@example.com", password: "correct horse battery" }),
  });
  expect(signup.status).toBe(201);
  const cookie = /taiku_session=[^;]*/.exec(signup.headers.get("set-cookie") ?? "")![0];
  // The page's fetch: same origin, with the session cookie (and the Origin a browser adds).
  const pageFetch = (input: string, init: RequestInit = {}) => {
    const url = new URL(input, server!.url);
    const sameOrigin = url.origin === new URL(server!.url).origin;
    const headers = new Headers(init.headers);
    if (sameOrigin) {
      headers.set("cookie", cookie);
      headers.set("origin", server!.url);
    }
    return fetch(url, { ...init, headers });
  };
  const catalog = (signedIn: boolean) => {
    const c = new PluginCatalog(pageFetch, new LocalPluginStore(new MemoryStorage()), server!.url, () => {});
    return c.init(signedIn).then(() => c);
  };

  // Signed out, the page validates the manifest itself and shows the warning.
  const signedOut = await (await catalog(false)).prepareInstall(manifestUrl);
  expect(signedOut.ok && signedOut.warnings).toEqual(['Unknown permission "future.permission" ignored; it grants nothing']);

  // Signed in, the server fetches and validates it: its answer carries the same warning.
  const r = await (await catalog(true)).prepareInstall(manifestUrl);
  expect(r).toMatchObject({ ok: true, manifest: { id: "e2e.future", permissions: ["session.read"] } });
  expect(r.ok && r.warnings).toEqual(['Unknown permission "future.permission" ignored; it grants nothing']);
});
