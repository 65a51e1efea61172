/** postJson (http-json.ts): what the caller's `unreachable` covers. */
import { describe, expect, it } from "vitest";
import { postJson } from "../src/http-json.js";

const unreachable = (err: Error) => new Error(`cannot reach the server: ${err.message}`);

describe("postJson", () => {
  it("sends JSON and resolves any status with the body's text", async () => {
    const seen: RequestInit[] = [];
    const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      seen.push(init!);
      return new Response("nope", { status: 409 });
    }) as typeof globalThis.fetch;
    expect(await postJson({ fetch }, "http://127.0.0.1:1/x", { a: 1 }, { headers: { authorization: "Bearer t" }, unreachable })).toEqual({ status: 409, ok: false, text: "nope" });
    expect(seen[0]).toMatchObject({ method: "POST", body: '{"a":1}', headers: { "content-type": "application/json", authorization: "Bearer t" } });
  });

  it("maps a refused connection and a body that breaks off alike", async () => {
    const refused = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    await expect(postJson({ fetch: refused }, "http://127.0.0.1:1/x", {}, { unreachable })).rejects.toThrow("cannot reach the server: fetch failed");
    const broken = new ReadableStream<Uint8Array>({
      pull: (c) => c.error(new TypeError("terminated")),
    });
    const cutOff = (async () => new Response(broken, { status: 200 })) as typeof fetch;
    await expect(postJson({ fetch: cutOff }, "http://127.0.0.1:1/x", {}, { unreachable })).rejects.toThrow("cannot reach the server: terminated");
  });
});
