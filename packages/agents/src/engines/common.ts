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

/** JSON.parse + strict schema check: throws on invalid JSON or mismatch, like msgspec (§3.0). */
export function decodeStrict<T>(line: string, schema: z.ZodType<T>): T {
  const data: unknown = JSON.parse(line);
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
