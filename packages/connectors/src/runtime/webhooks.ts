/**
 * Webhook ingress (spec §7.6): `/hook/<token>` deliveries are stored raw and queued (async hooks) or
 * answered by running the callback at once (sync hooks); a queued delivery runs as a `webhook` task.
 */
import { CallbackNotFoundError } from "../sdk/errors.js";
import { decode } from "../sdk/serialize.js";
import type { JSONValue, WebhookRequest } from "../sdk/types.js";
import { invokeByName } from "./execution.js";
import type { RuntimeHost } from "./host.js";
import type { TaskRow } from "./storage.js";

export interface IncomingWebhook {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  rawBody: string;
}

export interface WebhookAnswer {
  status: number;
  contentType?: string;
  body: string;
}

/** Runs the webhook's callback in its own execution with the request and the callback's stored arguments. */
function runCallback(host: RuntimeHost, instanceId: string, cb: { tool_path: string; method_name: string; args: string }, request: WebhookRequest): Promise<unknown> {
  return host.execute(instanceId, cb.method_name, "webhook", (ctx) => invokeByName(ctx, cb.tool_path, cb.method_name, [request, ...(decode(cb.args) as unknown[])]));
}

export async function handleWebhook(host: RuntimeHost, publicToken: string, req: IncomingWebhook): Promise<WebhookAnswer> {
  const hook = await host.storage.webhookByToken(publicToken);
  if (!hook) return { status: 404, contentType: "text/plain", body: "Not found" };
  const instance = await host.storage.instanceGet(hook.instance_id);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  const row = { webhook_id: hook.id, received_at: host.now(), method: req.method, headers: JSON.stringify(headers), query: JSON.stringify(req.query), raw_body: req.rawBody, status: "queued" };
  if (!instance || instance.status !== "active") {
    await host.storage.deliveryInsert({ ...row, status: "dropped" });
    return { status: 200, contentType: "application/json", body: JSON.stringify({ queued: true }) };
  }
  if (hook.async) {
    const deliveryId = await host.storage.deliveryInsert(row);
    await host.storage.taskInsert({ instanceId: hook.instance_id, toolPath: hook.tool_path, kind: "webhook", runAt: host.now(), callbackToken: hook.callback_token, deliveryId, maxAttempts: host.config.maxAttempts });
    host.wake();
    return { status: 200, contentType: "application/json", body: JSON.stringify({ queued: true }) };
  }
  const cb = await host.storage.callbackGet(hook.callback_token);
  if (!cb) return { status: 404, contentType: "text/plain", body: "Not found" };
  try {
    const request = requestOf(row);
    const result = await runCallback(host, hook.instance_id, cb, request);
    if (result === undefined) return { status: 200, body: "" };
    if (typeof result === "string") return { status: 200, contentType: "text/plain", body: result };
    return { status: 200, contentType: "application/json", body: JSON.stringify(result) };
  } catch {
    return { status: 500, contentType: "text/plain", body: "Webhook handler failed" };
  }
}

/** Runs a queued delivery (a `webhook` task) and marks it done. */
export async function runQueuedDelivery(host: RuntimeHost, row: TaskRow): Promise<void> {
  const delivery = row.delivery_id ? await host.storage.deliveryGet(row.delivery_id) : undefined;
  const cb = row.callback_token ? await host.storage.callbackGet(row.callback_token) : undefined;
  if (!delivery || !cb) throw new CallbackNotFoundError("webhook delivery or its callback is gone");
  const request = requestOf(delivery);
  await runCallback(host, row.instance_id, cb, request);
  await host.storage.deliveryDone(delivery.id, "done");
}

function requestOf(d: { method: string; headers: string; query: string; raw_body: string }): WebhookRequest {
  const headers = JSON.parse(d.headers) as Record<string, string>;
  const ct = headers["content-type"] ?? "";
  let body: JSONValue = d.raw_body;
  if (ct.includes("application/x-www-form-urlencoded")) body = Object.fromEntries(new URLSearchParams(d.raw_body));
  else {
    try { body = JSON.parse(d.raw_body) as JSONValue; } catch { body = d.raw_body; }
  }
  return { method: d.method, headers, params: JSON.parse(d.query) as Record<string, string>, body, rawBody: d.raw_body };
}
