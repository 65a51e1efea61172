/** claude `-p --output-format stream-json` line schema (spec §3.2). */
import { z } from "zod";

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
