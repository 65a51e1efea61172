/** `build(Options, schema)` resolves to a plain object of option values (§3.9). */
export type OptionDef =
  | { type: "select"; label: string; description?: string; choices: readonly { value: string; label: string }[]; default: string }
  | { type: "text"; label: string; description?: string; default: string; placeholder?: string; secure?: boolean; required?: boolean; helpText?: string; helpUrl?: string }
  | { type: "number"; label: string; description?: string; default: number; min?: number; max?: number }
  | { type: "boolean"; label: string; description?: string; default: boolean };

export type OptionsSchema = Record<string, OptionDef>;

export type ResolvedOptions<S extends OptionsSchema> = {
  [K in keyof S]: S[K] extends { type: "boolean" } ? boolean : S[K] extends { type: "number" } ? number : string;
};

export abstract class Options {
  static readonly toolId = "Options";
}

/** Stored values merged over defaults; invalid values fall back to the default (§3.9). */
export function resolveOptions(schema: OptionsSchema, stored: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, def] of Object.entries(schema)) {
    const v = stored[k];
    let ok = false;
    if (v !== undefined) {
      if (def.type === "boolean") ok = typeof v === "boolean";
      else if (def.type === "number") ok = typeof v === "number" && (def.min === undefined || v >= def.min) && (def.max === undefined || v <= def.max);
      else if (def.type === "select") ok = typeof v === "string" && def.choices.some((c) => c.value === v);
      else ok = typeof v === "string";
    }
    out[k] = ok ? v : def.default;
  }
  return out;
}
