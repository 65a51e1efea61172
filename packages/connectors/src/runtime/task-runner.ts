/**
 * Running one claimed task (spec §7.5): callback tasks, lifecycle methods, webhook deliveries and
 * write-back dispatches, then the acknowledgement, retry with back-off and jitter, or failure.
 */
import { BudgetExceededError, CallbackNotFoundError } from "../sdk/errors.js";
import { decode } from "../sdk/serialize.js";
import type { Channel } from "../sdk/types.js";
import { invokeByName } from "./execution.js";
import type { RuntimeHost } from "./host.js";
import type { TaskRow } from "./storage.js";
import { runQueuedDelivery } from "./webhooks.js";
import { runDispatch } from "./write-back.js";

function retryDelay(host: RuntimeHost, attempts: number): number {
  const d = host.config.retryDelaysMs;
  const base = d[Math.min(attempts - 1, d.length - 1)] ?? 10_000;
  const j = host.config.retryJitter;
  return Math.round(base * (1 + (j ? (Math.random() * 2 - 1) * j : 0)));
}

/** Runs one claimed task to completion, then acknowledges, retries or fails it (§7.5). */
export async function runTaskRow(host: RuntimeHost, row: TaskRow): Promise<void> {
  try {
    await executeTaskRow(host, row);
    await host.storage.taskComplete(row.id);
  } catch (err) {
    const e = err as Error;
    const budget = e instanceof BudgetExceededError;
    const permanent = e instanceof CallbackNotFoundError || row.kind === "dispatch";
    const exhausted = row.attempts >= row.max_attempts || (budget && row.budget_overruns + 1 >= 2);
    if (row.kind === "recurring") await host.storage.taskComplete(row.id);
    else await host.storage.taskFail(row, `${e.name}: ${e.message}`, permanent || exhausted ? null : host.now() + retryDelay(host, row.attempts), budget);
    if (row.kind === "lifecycle" && row.method_name === "onChannelEnabled") {
      const [channel] = decode<[Channel]>(row.args ?? "[]");
      await host.storage.channelUpdate(row.instance_id, channel.id, { syncing_since: null, last_error: e.message.slice(0, 1000) });
    }
  }
}

async function executeTaskRow(host: RuntimeHost, row: TaskRow): Promise<void> {
  if (row.kind === "webhook") return runQueuedDelivery(host, row);
  if (row.callback_token) {
    const cb = await host.storage.callbackGet(row.callback_token);
    if (!cb) throw new CallbackNotFoundError(`Callback ${row.callback_token} was deleted`);
    await host.execute(row.instance_id, cb.method_name, "task", (ctx) => invokeByName(ctx, cb.tool_path, cb.method_name, decode(cb.args) as unknown[]));
    return;
  }
  if (row.kind === "dispatch") return runDispatch(host, row);
  const args = decode<unknown[]>(row.args ?? "[]");
  if (row.method_name === "onChannelEnabled") {
    const [channel] = args as [Channel];
    const ch = await host.storage.channelGet(row.instance_id, channel.id);
    if (!ch?.enabled) return; // disabled again before it ran
    if (ch.syncing_since === null && ch.initial_sync_completed_at === null) await host.storage.channelUpdate(row.instance_id, channel.id, { syncing_since: host.now() });
  }
  await host.call(row.instance_id, row.method_name!, args, row.kind);
}
