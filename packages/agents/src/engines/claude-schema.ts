/** claude `-p --output-format stream-json` line schema (spec §3.2). */
import { z } from "zod";
import { isRecord } from "./common.js";

const int = z.number().int();

/**
 * Known blocks are validated strictly; unknown block types are allowed and skipped one by one
 * ([deviation] §11.4) instead of invalidating the whole line.
 */
const knownBlocks: Record<string, z.ZodType> = {
  text: z.object({ type: z.literal("text"), text: z.string() }),
  thinking: z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }),
  tool_use: z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) }),
  tool_result: z.object({
    type: z.literal("tool_result"),
    tool_use_id: z.string(),
    content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional(),
    is_error: z.boolean().nullish(),
  }),
};

const block = z.custom<Record<string, unknown>>((v) => {
  if (typeof v !== "object" || v === null) return false;
  const type = (v as Record<string, unknown>)["type"];
  if (typeof type !== "string") return false;
  const schema = knownBlocks[type];
  return schema ? schema.safeParse(v).success : true;
}, "invalid content block");

export const claudeEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("system"), subtype: z.string(), session_id: z.string().nullish() }),
  z.object({
    type: z.literal("assistant"),
    message: z.object({ role: z.literal("assistant"), content: z.array(block), model: z.string() }),
  }),
  z.object({
    type: z.literal("user"),
    message: z.object({ role: z.literal("user"), content: z.union([z.string(), z.array(block)]) }),
  }),
  z.object({
    type: z.literal("result"),
    subtype: z.string(),
    duration_ms: int,
    duration_api_ms: int,
    is_error: z.boolean(),
    num_turns: int,
    session_id: z.string(),
    result: z.string().nullish(),
    total_cost_usd: z.number().nullish(),
  }),
  z.object({ type: z.literal("stream_event"), uuid: z.string(), session_id: z.string(), event: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal("control_request"), request_id: z.string(), request: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal("control_response"), response: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal("control_cancel_request") }),
]);

const isNullishString = (v: unknown): boolean => v === undefined || v === null || typeof v === "string";

/** Fast equivalent of `block` for the known block types; unknown types pass, as in `block`. */
function blockOk(v: unknown): boolean {
  if (!isRecord(v)) return false;
  switch (v["type"]) {
    case "text":
      return typeof v["text"] === "string";
    case "tool_use":
      return typeof v["id"] === "string" && typeof v["name"] === "string" && isRecord(v["input"]);
    case "tool_result": {
      const c = v["content"];
      const e = v["is_error"];
      return (
        typeof v["tool_use_id"] === "string" &&
        (c === undefined || c === null || typeof c === "string" || Array.isArray(c)) &&
        (e === undefined || e === null || typeof e === "boolean")
      );
    }
    case "thinking":
      return typeof v["thinking"] === "string" && typeof v["signature"] === "string";
    default:
      return typeof v["type"] === "string" && knownBlocks[v["type"]] === undefined;
  }
}

function blocksOk(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const b of v) if (!blockOk(b)) return false;
  return true;
}

/**
 * Hot-path pre-check for `decodeStrict` (common.ts): `true` only for frequent shapes that
 * `claudeEventSchema` certainly accepts; anything else (`false`) goes through zod.
 */
export function claudeFastCheck(data: unknown): boolean {
  if (!isRecord(data)) return false;
  switch (data["type"]) {
    case "assistant": {
      const m = data["message"];
      return isRecord(m) && m["role"] === "assistant" && typeof m["model"] === "string" && blocksOk(m["content"]);
    }
    case "user": {
      const m = data["message"];
      return isRecord(m) && m["role"] === "user" && (typeof m["content"] === "string" || blocksOk(m["content"]));
    }
    case "stream_event":
      return typeof data["uuid"] === "string" && typeof data["session_id"] === "string" && isRecord(data["event"]);
    case "system":
      return typeof data["subtype"] === "string" && isNullishString(data["session_id"]);
    default:
      return false;
  }
}
