import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRequestIdentity, parseInboundRequest, preflightRequest, bridgeRequestMessage } from "./bridge.js";
import { INTEGRATION_ERRORS, notSupportedError, isNotSupportedError } from "./errors.js";
import { BRIDGE_METHODS, METHOD_PARAMS, parseMethodParams } from "./methods.js";
import { PLUGIN_PERMISSION_NAMES } from "./permissions.js";

/** Seed 000's example request (§6.1). */
const example = {
  type: "taiku:request", id: "ig_3", pluginId: "my-org.issue-tracker", panelId: "issues-panel",
  authToken: "kq9", method: "integrations.tools", params: { toolkit: "github", limit: 25 },
};
const ALL = PLUGIN_PERMISSION_NAMES;

describe("parseInboundRequest (§6.3 step 1)", () => {
  it("accepts the documented request shape", () => {
    expect(parseInboundRequest(example)).toEqual({ kind: "request", request: example });
    expect(parseInboundRequest({ ...example, params: undefined })).toMatchObject({ kind: "request" });
  });
  it("ignores foreign traffic silently", () => {
    for (const data of [null, "taiku:request", [example], { ...example, type: "taiku:response" }, { ...example, id: 3 },
      { ...example, id: "x".repeat(129) }, { ...example, method: "m".repeat(65) }, { ...example, method: undefined }]) {
      expect(parseInboundRequest(data).kind).toBe("ignore");
    }
  });
  it("answers `Invalid params` when only params are malformed (arrays, primitives, class instances)", () => {
    for (const params of [[1, 2], "x", 4, null, new Date(0), new Map()]) {
      expect(parseInboundRequest({ ...example, params })).toEqual({ kind: "error", id: "ig_3", error: "Invalid params" });
    }
  });
});

describe("checkRequestIdentity (§6.3 step 3)", () => {
  const mount = { pluginId: example.pluginId, authToken: "kq9" };
  const req = bridgeRequestMessage.parse(example);
  it("accepts the mount's own token and drops anything else", () => {
    expect(checkRequestIdentity(req, mount)).toBe("accept");
    expect(checkRequestIdentity({ ...req, authToken: "kq8" }, mount)).toBe("drop");
    expect(checkRequestIdentity({ ...req, pluginId: "other" }, mount)).toBe("drop");
    expect(checkRequestIdentity({ ...req, authToken: undefined }, mount)).toBe("drop");
  });
  it("with allowMissingAuthToken accepts an omitted token, never a wrong one", () => {
    expect(checkRequestIdentity({ ...req, authToken: undefined }, mount, { allowMissingAuthToken: true })).toBe("accept-legacy");
    expect(checkRequestIdentity({ ...req, authToken: "" }, mount, { allowMissingAuthToken: true })).toBe("drop");
  });
});

describe("preflightRequest (§6.3 steps 4–6, §12.3)", () => {
  const ctx = { granted: ["integrations.read", "integrations.execute"], integrations: ["github"] };
  it("checks in order: method, permission, params, declared toolkit", () => {
    expect(preflightRequest("teleport", {}, ctx)).toEqual({ ok: false, error: "Unknown method: teleport" });
    expect(preflightRequest("integrations.connect", {}, ctx)).toEqual({
      ok: false, error: "Permission denied: integrations.connect is required for integrations.connect",
    });
    expect(preflightRequest("integrations.tools", {}, ctx)).toEqual({ ok: false, error: INTEGRATION_ERRORS.toolkitRequired });
    expect(preflightRequest("integrations.tools", { toolkit: "" }, ctx)).toEqual({ ok: false, error: INTEGRATION_ERRORS.toolkitRequired });
    expect(preflightRequest("integrations.tools", { toolkit: "git hub" }, ctx)).toEqual({ ok: false, error: INTEGRATION_ERRORS.invalidToolkitSlug });
    expect(preflightRequest("integrations.tools", { toolkit: "Slack" }, ctx)).toEqual({
      ok: false, error: 'Toolkit "slack" is not declared in manifest.integrations',
    });
  });
  it("normalises integrations params (§12.6, §12.7)", () => {
    expect(preflightRequest("integrations.tools", { toolkit: " GitHub ", limit: 1000 }, ctx)).toEqual({
      ok: true, method: "integrations.tools", params: { toolkit: "github", limit: 100 },
    });
    expect(preflightRequest("integrations.tools", { toolkit: "github", limit: "abc" }, ctx)).toMatchObject({ params: { limit: 50 } });
    expect(preflightRequest("integrations.tools", { toolkit: "github", limit: 0.5 }, ctx)).toMatchObject({ params: { limit: 1 } });
    expect(preflightRequest("integrations.execute", { toolkit: "github", action: "GITHUB_X" }, ctx)).toMatchObject({ params: { arguments: {} } });
    expect(preflightRequest("integrations.execute", { toolkit: "github" }, ctx)).toEqual({ ok: false, error: INTEGRATION_ERRORS.actionRequired });
    expect(preflightRequest("integrations.execute", { toolkit: "github", action: "A", arguments: [1] }, ctx)).toEqual({
      ok: false, error: INTEGRATION_ERRORS.argumentsNotObject,
    });
  });
  it("rejects undeclared toolkits when the manifest declares none", () => {
    expect(preflightRequest("integrations.tools", { toolkit: "github" }, { granted: ["integrations.read"] })).toEqual({
      ok: false, error: 'Toolkit "github" is not declared in manifest.integrations',
    });
  });
  it("needs both permissions for splitShell", () => {
    expect(preflightRequest("splitShell", {}, { granted: ["workspace.write"] })).toEqual({
      ok: false, error: "Permission denied: terminal.write is required for splitShell",
    });
  });
  it("maps the documented alternative param names and fills defaults", () => {
    expect(preflightRequest("sendChatMessage", { text: "hi" }, { granted: ALL })).toMatchObject({ params: { message: "hi" } });
    expect(preflightRequest("broadcastEvent", { type: "x.y", data: 1 }, { granted: ALL })).toMatchObject({ params: { name: "x.y", data: 1 } });
    expect(preflightRequest("getShellOutput", { shellId: "2" }, { granted: ALL })).toMatchObject({ params: { shellId: 2, chunks: 10 } });
    expect(preflightRequest("showToast", { message: "m" }, { granted: ALL })).toMatchObject({ params: { kind: "info", duration: 4000 } });
  });
  it("names the field in params errors", () => {
    expect(parseMethodParams("writeToShell", { shellId: 1 })).toEqual({ ok: false, error: expect.stringMatching(/^Invalid params: data: /) });
    expect(parseMethodParams("setPluginData", { key: "k" })).toEqual({ ok: false, error: "Invalid params: value is required" });
    expect(parseMethodParams("broadcastEvent", { name: "bad name!" })).toMatchObject({ ok: false, error: expect.stringContaining("name must match") });
    expect(parseMethodParams("broadcastEvent", { name: "big", data: "x".repeat(17 * 1024) })).toMatchObject({ error: expect.stringContaining("16 KiB") });
  });
});

describe("NOT_SUPPORTED", () => {
  it("is recognisable and distinct from Unknown method", () => {
    expect(notSupportedError("getTunnels")).toBe("getTunnels is not supported by this server");
    expect(isNotSupportedError(notSupportedError("getTunnels"))).toBe(true);
    expect(isNotSupportedError("Unknown method: getTunnels")).toBe(false);
  });
});

/** Breaks a valid request in one way that §6.3 must catch. */
const malformedRequest = fc.oneof(
  fc.anything().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
  fc.record({ type: fc.string().filter((t) => t !== "taiku:request"), id: fc.string(), method: fc.string() }),
  fc.record({ type: fc.constant("taiku:request"), id: fc.anything().filter((v) => typeof v !== "string"), pluginId: fc.string(), method: fc.string() }),
  fc.record({ type: fc.constant("taiku:request"), id: fc.string({ minLength: 129, maxLength: 300 }), pluginId: fc.string(), method: fc.constantFrom(...BRIDGE_METHODS) }),
  fc.record({ type: fc.constant("taiku:request"), id: fc.string({ minLength: 1 }), pluginId: fc.anything().filter((v) => typeof v !== "string"), method: fc.constantFrom(...BRIDGE_METHODS) }),
  fc.record({ type: fc.constant("taiku:request"), id: fc.string({ minLength: 1 }), pluginId: fc.string(), method: fc.anything().filter((v) => typeof v !== "string" || v.length === 0 || v.length > 64) }),
  fc.record({
    type: fc.constant("taiku:request"), id: fc.string({ minLength: 1, maxLength: 128 }), pluginId: fc.string(),
    method: fc.constantFrom(...BRIDGE_METHODS),
    params: fc.oneof(fc.array(fc.anything()), fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.date()),
  }),
  fc.record({ type: fc.constant("taiku:request"), id: fc.string({ minLength: 1 }), pluginId: fc.string(), method: fc.string({ minLength: 1, maxLength: 64 }), authToken: fc.anything().filter((v) => v !== undefined && typeof v !== "string") }),
);

describe("malformed bridge traffic (property)", () => {
  it("rejects 10,000 malformed requests without throwing", () => {
    let rejected = 0;
    fc.assert(
      fc.property(malformedRequest, (raw) => {
        const r = parseInboundRequest(raw);
        expect(r.kind).not.toBe("request");
        expect(bridgeRequestMessage.safeParse(raw).success).toBe(false);
        rejected++;
      }),
      { numRuns: 10_000 },
    );
    expect(rejected).toBe(10_000);
  });

  it("every method's params schema answers arbitrary input with a result, never an exception", () => {
    const methodAndParams = fc.tuple(fc.constantFrom(...BRIDGE_METHODS), fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())));
    fc.assert(
      fc.property(methodAndParams, ([method, params]) => {
        const r = preflightRequest(method, params, { granted: ALL, integrations: ["github"] });
        if (!r.ok) expect(r.error).toMatch(/^(Invalid params|Toolkit ")/);
      }),
      { numRuns: 5_000 },
    );
  });

  it("a wrong type for each required field of each method is rejected, naming the field", () => {
    for (const method of BRIDGE_METHODS) {
      const schema = METHOD_PARAMS[method] as unknown as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> };
      for (const field of Object.keys(schema.shape ?? {})) {
        if (schema.shape![field]!.safeParse(undefined).success) continue; // optional or defaulted
        const r = parseMethodParams(method, { [field]: { not: "valid" } });
        expect(r.ok, `${method}.${field}`).toBe(false);
        if (!r.ok) expect(r.error.startsWith("Invalid params: ")).toBe(true);
      }
    }
  });
});
