/**
 * Bad input at the trust boundary: thousands of random and mutated bodies and headers at the auth
 * and session routes must get 4xx text answers (never 5xx, never a crash), and what is stored
 * must survive. fast-check prints the seed of any failing run so it can be replayed.
 */
import net from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apiKeyCreateBody, cliLoginStartBody, signInBody, signUpBody } from "@taiku/protocol";
import type { z } from "zod";
import { signUp, start } from "./helpers.js";

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

interface Target {
  method: "GET" | "POST" | "DELETE";
  path: (seg: string) => string;
  /** Bodies that pass this schema may legitimately succeed (2xx); everything else must be 4xx. */
  validWhen?: z.ZodType;
  /** Send the real owner key, so the fuzz reaches past authentication. */
  authed?: boolean;
}

const TARGETS: Target[] = [
  { method: "POST", path: () => "/api/v1/auth/signup", validWhen: signUpBody },
  { method: "POST", path: () => "/api/v1/auth/signin", validWhen: signInBody }, // the fuzz may sign up and then sign in
  { method: "POST", path: () => "/api/v1/auth/logout" },
  { method: "GET", path: () => "/api/v1/auth/me" },
  { method: "POST", path: () => "/api/v1/auth/one-time" },
  { method: "POST", path: () => "/api/v1/auth/one-time-code" },
  { method: "GET", path: () => "/api/v1/auth/api-keys" },
  { method: "POST", path: () => "/api/v1/auth/api-keys" },
  { method: "POST", path: () => "/api/v1/auth/api-keys", validWhen: apiKeyCreateBody, authed: true },
  { method: "DELETE", path: (seg) => `/api/v1/auth/api-keys/${seg}` },
  { method: "DELETE", path: (seg) => `/api/v1/auth/api-keys/${seg}`, authed: true },
  { method: "POST", path: () => "/api/v1/auth/cli/start", validWhen: cliLoginStartBody },
  { method: "POST", path: () => "/api/v1/auth/cli/approve" },
  { method: "POST", path: () => "/api/v1/auth/cli/approve", authed: true },
  { method: "POST", path: () => "/api/v1/auth/cli/poll" },
  { method: "GET", path: () => "/api/v1/sessions" },
  { method: "GET", path: (seg) => `/api/v1/sessions/${seg}/remote/chat` },
  { method: "GET", path: (seg) => `/api/v1/sessions/${seg}/remote/chat`, authed: true },
];

const VALID_BODIES = [
  { name: "Mallory", email: "m@example.com", password: "password123" },
  { email: "alice@example.com", password: "correct horse battery" },
  { label: "key" },
  { deviceName: "d", hostname: "h", os: "linux" },
  { pollToken: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" },
  { code: "BCDFGHJK" },
];

const jsonValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.constant("x".repeat(5000)),
);

/** Raw request bodies: valid shapes with wrong field values, random JSON, byte-level mutations, prototype tricks, junk. */
const rawBody = fc.oneof(
  fc.record({ base: fc.constantFrom(...VALID_BODIES), key: fc.constantFrom("name", "email", "password", "label", "code", "pollToken", "deviceName", "os", "extra"), value: jsonValue }).map(({ base, key, value }) =>
    JSON.stringify({ ...base, [key]: value }),
  ),
  fc.json({ maxDepth: 3 }),
  fc.record({ base: fc.constantFrom(...VALID_BODIES), at: fc.nat(), del: fc.nat({ max: 4 }), ins: fc.string({ maxLength: 4 }) }).map(({ base, at, del, ins }) => {
    const s = JSON.stringify(base);
    const i = at % (s.length + 1);
    return s.slice(0, i) + ins + s.slice(i + del);
  }),
  fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', "[]", "null", "0", '""', "{}", "\u0000", '{"email":"a@b.c","password":"' + "p".repeat(70_000) + '"}'),
  fc.string({ maxLength: 200, unit: "binary" }),
  fc.constant(undefined),
);

const contentType = fc.oneof(
  fc.constant("application/json"),
  fc.constant("application/json"),
  fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data; boundary=x", ""),
  printable(30),
);

const credentialHeaders = fc.record(
  {
    cookie: fc.oneof(printable(80), printable(43).map((t) => `taiku_session=${t}`)),
    "x-taiku-token": fc.oneof(printable(60), fc.stringMatching(/^tk_[0-9A-Za-z]{38,42}$/)),
    authorization: fc.oneof(printable(60), printable(50).map((t) => `Bearer ${t}`)),
    origin: fc.oneof(printable(40), fc.constantFrom("null", "https://evil.example")),
  },
  { requiredKeys: [] },
);

const request = fc.record({
  target: fc.constantFrom(...TARGETS),
  seg: fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s) || "x"),
  body: rawBody,
  contentType,
  headers: credentialHeaders,
});

describe("fuzz: auth and session routes", () => {
  it("answers ≥ 2,000 random requests with 4xx text, and stored accounts survive", async () => {
    const s = await start({ auth: { signInAttempts: 400 } });
    const alice = await signUp(s, "alice@example.com", "correct horse battery");
    const aliceKey = (await s.http.post("/api/v1/auth/api-keys", { label: "keep" }, alice.browser)).json<{ apiKey: string }>().apiKey;
    s.relay.sessions.set("live", { owner: "nobody", chat: [[1, "x", "y"]] });

    let sent = 0;
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ target, seg, body, contentType: ct, headers }) => {
        const h: Record<string, string> = { ...headers };
        if (target.authed) h["x-taiku-token"] = s.server.ownerToken;
        const hasBody = body !== undefined && target.method !== "GET";
        if (hasBody && ct) h["content-type"] = ct;
        const res = await s.http.req(target.method, target.path(seg), hasBody ? { raw: body, headers: h } : { headers: h });
        sent++;
        if (res.status < 300) {
          // Success only where the random body happened to be a valid request for that route.
          let parsed: unknown;
          try {
            parsed = JSON.parse(body ?? "");
          } catch {
            parsed = undefined;
          }
          const valid = target.validWhen?.safeParse(parsed).success ?? false;
          expect({ route: target.path(seg), status: res.status, valid }).toEqual({ route: target.path(seg), status: res.status, valid: true });
          successes++;
          return;
        }
        expect(res.status, `${target.method} ${target.path(seg)} → ${res.status} ${res.text}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${target.method} ${target.path(seg)} → ${res.status} ${res.text}`).toBeLessThan(500);
        expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
        expect(res.text.length).toBeGreaterThan(0);
        expect(res.text.length).toBeLessThan(300);
        expect(res.text).not.toMatch(/\n\s+at /); // no stack traces
      }),
      { numRuns: 2100 },
    );
    expect(sent).toBeGreaterThanOrEqual(2000);
    expect(successes).toBeLessThan(sent / 4);

    // Garbage at the HTTP layer itself: the parser answers 400 and the server keeps serving.
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(s.server.port, "127.0.0.1", () => {
          sock.end(i % 2 ? `POST /api/v1/auth/signin HTTP/1.1\r\nHost: x\r\nContent-Length: ${i * 7919}\r\nTransfer-Encoding: chunked\r\n\r\nzz` : `\x00\xff GARBAGE ${i}\r\n\r\n`);
        });
        sock.on("data", () => undefined);
        sock.on("close", () => resolve());
        sock.on("error", () => resolve());
      });
    }

    expect((await s.http.get("/healthz")).json().ok).toBe(true);
    const me = await s.http.get("/api/v1/auth/me", { "x-taiku-token": aliceKey });
    expect(me.json()).toEqual(alice.account);
    const signin = await s.http.post("/api/v1/auth/signin", { email: "alice@example.com", password: "correct horse battery" });
    expect([200, 429]).toContain(signin.status); // the fuzz may have used up this IP's sign-in budget
    expect((await s.http.get("/api/v1/auth/me", { cookie: alice.cookie })).json().id).toBe(alice.account.id);
    expect((await s.http.get("/api/v1/auth/me", { "x-taiku-token": s.server.ownerToken })).status).toBe(200);
  }, 120_000);
});
