/** codex `exec --json` line schema (spec §3.1 input tables; strict on known shapes). */
import { z } from "zod";
import { isRecord } from "./common.js";

const int = z.number().int();
const nullableInt = z.union([int, z.null()]);

export const codexItemSchemas: Record<string, z.ZodType> = {
  agent_message: z.object({ id: z.string(), text: z.string(), phase: z.string().nullish() }),
  reasoning: z.object({ id: z.string(), text: z.string() }),
  command_execution: z.object({
    id: z.string(),
    command: z.string(),
    aggregated_output: z.string(),
    exit_code: nullableInt,
    status: z.enum(["in_progress", "completed", "failed", "declined"]),
  }),
  file_change: z.object({
    id: z.string(),
    changes: z.array(z.object({ path: z.string(), kind: z.enum(["add", "delete", "update"]) })),
    status: z.enum(["in_progress", "completed", "failed"]),
  }),
  mcp_tool_call: z.object({
    id: z.string(),
    server: z.string(),
    tool: z.string(),
    arguments: z.unknown(),
    result: z.union([z.object({ content: z.array(z.record(z.string(), z.unknown())), structured_content: z.unknown() }), z.null()]),
    error: z.union([z.object({ message: z.string() }), z.null()]),
    status: z.enum(["in_progress", "completed", "failed"]),
  }),
  collab_tool_call: z.object({ id: z.string() }),
  web_search: z.object({ id: z.string(), query: z.string() }),
  todo_list: z.object({ id: z.string(), items: z.array(z.object({ text: z.string(), completed: z.boolean() })) }),
  error: z.object({ id: z.string(), message: z.string() }),
};

const unknownItem = z.object({ id: z.string(), type: z.string() });

const itemSchema = z.custom<Record<string, unknown>>((v) => {
  if (typeof v !== "object" || v === null) return false;
  const type = (v as Record<string, unknown>)["type"];
  const known = typeof type === "string" ? codexItemSchemas[type] : undefined;
  // Unknown item types decode as "unknown item" when they carry a string id (§3.1).
  return (known ?? unknownItem).safeParse(v).success;
}, "invalid codex item");

export const codexEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("thread.started"), thread_id: z.string() }),
  z.object({ type: z.literal("turn.started") }),
  z.object({ type: z.literal("turn.completed"), usage: z.object({ input_tokens: int, cached_input_tokens: int, output_tokens: int }) }),
  z.object({ type: z.literal("turn.failed"), error: z.object({ message: z.string() }) }),
  z.object({ type: z.literal("error"), message: z.string() }),
  z.object({ type: z.literal("item.started"), item: itemSchema }),
  z.object({ type: z.literal("item.updated"), item: itemSchema }),
  z.object({ type: z.literal("item.completed"), item: itemSchema }),
]);

const COMMAND_STATUS = new Set(["in_progress", "completed", "failed", "declined"]);
const ITEM_STATUS = new Set(["in_progress", "completed", "failed"]);
const CHANGE_KINDS = new Set(["add", "delete", "update"]);

const isInt = (v: unknown): boolean => Number.isSafeInteger(v);
const everyOf = (v: unknown, ok: (x: Record<string, unknown>) => boolean): boolean => {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!isRecord(x) || !ok(x)) return false;
  return true;
};

/** The item shapes of `codexItemSchemas`, checked by hand; `item.id` is a string already. */
function codexItemOk(item: Record<string, unknown>): boolean {
  const type = item["type"];
  switch (type) {
    case "command_execution": {
      const code = item["exit_code"];
      return typeof item["command"] === "string" && typeof item["aggregated_output"] === "string" && (code === null || isInt(code)) && COMMAND_STATUS.has(item["status"] as string);
    }
    case "agent_message": {
      const phase = item["phase"];
      return typeof item["text"] === "string" && (phase === undefined || phase === null || typeof phase === "string");
    }
    case "reasoning":
      return typeof item["text"] === "string";
    case "file_change":
      return everyOf(item["changes"], (c) => typeof c["path"] === "string" && CHANGE_KINDS.has(c["kind"] as string)) && ITEM_STATUS.has(item["status"] as string);
    case "mcp_tool_call": {
      const result = item["result"];
      const error = item["error"];
      return (
        typeof item["server"] === "string" &&
        typeof item["tool"] === "string" &&
        // zod 4: a key typed z.unknown() must still be present.
        Object.hasOwn(item, "arguments") &&
        (result === null || (isRecord(result) && everyOf(result["content"], () => true) && Object.hasOwn(result, "structured_content"))) &&
        (error === null || (isRecord(error) && typeof error["message"] === "string")) &&
        ITEM_STATUS.has(item["status"] as string)
      );
    }
    case "collab_tool_call":
      return true;
    case "web_search":
      return typeof item["query"] === "string";
    case "todo_list":
      return everyOf(item["items"], (i) => typeof i["text"] === "string" && typeof i["completed"] === "boolean");
    case "error":
      return typeof item["message"] === "string";
    default:
      // Unknown item types only need a string type (and the id checked by the caller).
      return typeof type === "string" && codexItemSchemas[type] === undefined;
  }
}

/**
 * Hot-path pre-check for `decodeStrict` (common.ts): `true` only when `codexEventSchema` certainly
 * accepts the value; anything else (`false`) goes through zod, which decides and words the error.
 */
export function codexFastCheck(data: unknown): boolean {
  if (!isRecord(data)) return false;
  switch (data["type"]) {
    case "item.started":
    case "item.updated":
    case "item.completed": {
      const item = data["item"];
      return isRecord(item) && typeof item["id"] === "string" && codexItemOk(item);
    }
    case "turn.started":
      return true;
    case "thread.started":
      return typeof data["thread_id"] === "string";
    case "turn.completed": {
      const u = data["usage"];
      return isRecord(u) && isInt(u["input_tokens"]) && isInt(u["cached_input_tokens"]) && isInt(u["output_tokens"]);
    }
    case "turn.failed": {
      const e = data["error"];
      return isRecord(e) && typeof e["message"] === "string";
    }
    case "error":
      return typeof data["message"] === "string";
    default:
      return false;
  }
}
