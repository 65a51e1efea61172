/**
 * Plugins that skip the SDK and speak the raw bridge (seed 001 / spec §6.5, seed 000's sendAsync) must
 * work against MockHost unchanged. The helpers below are the documented code, reproduced as published;
 * they read the global `window`, which the test points at a test window.
 */
import { MockHost, createTestWindow } from "@taiku/plugin-sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/* eslint-disable */
function integrationsDemoClient() {
  // --- seed 000, "The bridge call pattern", verbatim ---
  let pluginId = "",
    panelId = "",
    authToken = "",
    reqId = 0;
  const hostWindow = window.parent;

  function sendAsync(method: string, params?: any): Promise<any> {
    return new Promise((resolve, reject) => {
      const id = "ig_" + ++reqId;
      hostWindow.postMessage(
        {
          type: "taiku:request",
          id,
          pluginId,
          panelId,
          authToken,
          method,
          params,
        },
        "*",
      );
      const handler = (e: MessageEvent) => {
        if (e.source !== hostWindow) return;
        const d = e.data;
        if (d?.type === "taiku:response" && d.id === id) {
          window.removeEventListener("message", handler);
          if (d.error) reject(new Error(d.error));
          else resolve(d.result);
        }
      };
      window.addEventListener("message", handler);
      setTimeout(() => {
        window.removeEventListener("message", handler);
        reject(new Error("Timeout"));
      }, 20000);
    });
  }

  window.addEventListener("message", (e) => {
    if (e.source !== hostWindow) return;
    const d = e.data;
    if (d?.type === "taiku:init") {
      pluginId = d.pluginId;
      panelId = d.panelId || "";
      authToken = d.authToken || "";
    }
  });
  // --- end of seed code ---
  return { sendAsync, identity: () => ({ pluginId, panelId, authToken }) };
}

function minimalRawClient() {
  // --- spec §6.5, verbatim ---
  const pending = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let ctx = { pluginId: "", panelId: "", authToken: "" }, seq = 0;
  addEventListener("message", (e: any) => {
    if (e.source !== window.parent) return;
    const m = e.data;
    if (m?.type === "taiku:init") ctx = { pluginId: m.pluginId, panelId: m.panelId ?? "", authToken: m.authToken ?? "" };
    if (m?.type === "taiku:response" && pending.has(m.id)) {
      const p = pending.get(m.id)!; pending.delete(m.id);
      m.error ? p.reject(new Error(m.error)) : p.resolve(m.result);
    }
  });
  function call(method: string, params?: object, timeoutMs = 10_000) {
    const id = "rq_" + ++seq;
    window.parent.postMessage({ type: "taiku:request", id, ...ctx, method, params }, "*");
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      setTimeout(() => pending.delete(id) && reject(new Error("Timeout")), timeoutMs);
    });
  }
  // --- end of spec code ---
  return call;
}
/* eslint-enable */

const g = globalThis as Record<string, unknown>;
let mock: MockHost;
beforeEach(() => {
  const win = createTestWindow();
  g.window = win;
  g.addEventListener = win.addEventListener;
});
afterEach(() => {
  mock?.dispose();
  delete g.window;
  delete g.addEventListener;
});
const settle = () => new Promise((r) => setTimeout(r, 10));

describe("raw bridge clients against MockHost", () => {
  it("seed 000's sendAsync: identity from taiku:init, results, and error texts", async () => {
    const client = integrationsDemoClient();
    mock = new MockHost({ pluginId: "example.integrations", sessionId: "s", panelId: "integrations-panel", integrations: ["github"] });
    await settle();
    expect(client.identity()).toEqual({ pluginId: "example.integrations", panelId: "integrations-panel", authToken: mock.authToken });
    await expect(client.sendAsync("integrations.list")).resolves.toEqual({ connections: [] });
    mock.handle("integrations.connect", ({ toolkit }) => ({ connectionId: "c1", redirectUrl: `https://auth.example/${toolkit}`, status: "INITIATED", opened: false }));
    await expect(client.sendAsync("integrations.connect", { toolkit: "GitHub" })).resolves.toMatchObject({ redirectUrl: "https://auth.example/github", opened: false });
    await expect(client.sendAsync("integrations.tools", { toolkit: "slack" })).rejects.toThrow('Toolkit "slack" is not declared in manifest.integrations');
    await expect(client.sendAsync("integrations.execute", { toolkit: "github", action: "GITHUB_CREATE_AN_ISSUE", arguments: {} }))
      .rejects.toThrow("Integrations are not enabled on this server");
  });

  it("spec §6.5's minimal client", async () => {
    const call = minimalRawClient();
    mock = new MockHost({ pluginId: "my-org.raw", sessionId: "test-session-abc" });
    await settle();
    await expect(call("getSession")).resolves.toMatchObject({ id: "test-session-abc" });
    await expect(call("setPluginData", { key: "build_status", value: { state: "running" } })).resolves.toEqual({ ok: true });
    await expect(call("getPluginData", { key: "build_status" })).resolves.toEqual({ state: "running" });
    await expect(call("nope")).rejects.toThrow("Unknown method: nope");
    expect(mock.requests.map((r) => r.id)).toEqual(["rq_1", "rq_2", "rq_3", "rq_4"]);
  });
});
