/** `/hook/<token>` over real HTTP: unknown tokens 404, oversized bodies 413, routes off without connectors, auth on the API. */
import { describe, expect, it } from "vitest";
import { start } from "../app/helpers.js";
import { startTaiku } from "../integrations/harness.js";

describe("connector HTTP surface", () => {
  it("answers 404 for unknown hook tokens, 413 above 5 MiB, and needs a caller on the API", async () => {
    const t = await startTaiku({});
    expect((await t.http.req("POST", "/hook/wh_unknown", { raw: "{}", headers: { "content-type": "application/json" } })).status).toBe(404);
    expect((await t.http.get("/hook/wh_unknown?x=1")).status).toBe(404);
    const big = await t.http.req("POST", "/hook/wh_unknown", { raw: "x".repeat(5 * 1024 * 1024 + 1), headers: { "content-type": "text/plain" } });
    expect(big.status).toBe(413);
    expect((await t.http.get("/api/v1/connectors/connections")).status).toBe(401);
    const list = await t.http.get("/api/v1/connectors", t.headers);
    expect(list.status).toBe(200);
    expect(list.json().connectors.map((c: { id: string }) => c.id)).toEqual(["github", "linear"]);
    expect(list.json().webhooks).toBe("unreachable"); // loopback public URL
    const bad = await t.http.post("/api/v1/connectors/connections", { connector: "github" }, t.headers);
    expect(bad.status).toBe(409); // the GitHub integration is not connected
    expect((await t.http.get("/api/v1/inbox/threads?before=garbage", t.headers)).status).toBe(400);
    expect((await t.http.get("/api/v1/inbox/threads/0190a0a0-0000-7000-8000-000000000000", t.headers)).status).toBe(404);
  });

  it("answers 503 when connectors are off", async () => {
    const s = await start({});
    const res = await s.http.get("/api/v1/connectors", { "x-taiku-token": s.server.ownerToken });
    expect([res.status, res.text]).toEqual([503, "Connectors are not enabled on this server"]);
  });
});
