import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { apiKeyOf, cookieOf } from "../../src/credentials.js";
import { rejectUpgrade } from "../../src/upgrade.js";

describe("credentials in request headers", () => {
  it("reads the API key from X-Taiku-Token first, then Authorization: Bearer", () => {
    expect(apiKeyOf({ "x-taiku-token": " tk_1 ", authorization: "Bearer tk_2" })).toBe("tk_1");
    expect(apiKeyOf({ authorization: "bearer tk_2  " })).toBe("tk_2");
    expect(apiKeyOf({ authorization: "Basic dXNlcjpwdw==" })).toBeNull();
    expect(apiKeyOf({ authorization: "Bearer two words" })).toBeNull();
    expect(apiKeyOf({ "x-taiku-token": "   " })).toBeNull();
    expect(apiKeyOf({})).toBeNull();
  });

  it("finds one cookie among several and percent-decodes it when it can", () => {
    const headers = { cookie: "a=1; taiku_session=abc%2Fdef; b=%E0%A4%A" };
    expect(cookieOf(headers, "taiku_session")).toBe("abc/def");
    expect(cookieOf(headers, "b")).toBe("%E0%A4%A");
    expect(cookieOf(headers, "missing")).toBeNull();
    expect(cookieOf({ cookie: "=x; taiku_session" }, "taiku_session")).toBeNull();
    expect(cookieOf({}, "a")).toBeNull();
  });
});

describe("rejectUpgrade", () => {
  it("counts Content-Length in bytes, so a non-ASCII reason is not cut short", async () => {
    const socket = new PassThrough();
    const written: Buffer[] = [];
    socket.on("data", (b: Buffer) => written.push(b));
    rejectUpgrade(socket, 503, "überlastet – später");
    const text = Buffer.concat(written).toString("utf8");
    const [head, body] = text.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(body).toBe("überlastet – später");
    expect(socket.destroyed).toBe(true);
  });
});
