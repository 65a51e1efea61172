/** Helpers shared by the engine translators (decoding and loose field access). */
import type { z } from "zod";

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asString(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

export function nonEmptyString(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/**
 * A cheap structural check that accepts only values the schema certainly accepts. `false` means
 * "not sure", never "invalid": the schema then decides (and words the error).
 */
export type FastCheck = (data: unknown) => boolean;

/**
 * JSON.parse + strict schema check: throws on invalid JSON or mismatch, like msgspec (§3.0).
 * With `fast`, lines it accepts skip the (much slower) zod pass; everything else goes through zod,
 * so results and error messages are those of the schema alone.
 */
export function decodeStrict<T>(line: string, schema: z.ZodType<T>, fast?: FastCheck): T {
  const data: unknown = JSON.parse(line);
  if (fast !== undefined && fast(data)) return data as T;
  const r = schema.safeParse(data);
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  // The translators read the raw object so that extra fields stay available.
  return data as T;
}

/** Drops keys whose value is null or undefined. */
export function compact(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

export function isInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** RunOptions/config precedence helper: first non-empty string. */
export function firstString(...values: unknown[]): string | null {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return null;
}
