/**
 * The hot-path structural pre-checks of `decodeStrict` must never accept what the engine's zod
 * schema rejects: on every recorded fixture line and on many malformed variants of them, a `true`
 * from the fast check implies zod success, and decodeStrict returns / throws exactly as with zod
 * alone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { claudeEventSchema, claudeFastCheck } from "../src/engines/claude-schema.js";
import { codexEventSchema, codexFastCheck } from "../src/engines/codex-schema.js";
import { decodeStrict, type FastCheck } from "../src/engines/common.js";
import { opencodeEventSchema, opencodeFastCheck } from "../src/engines/opencode.js";
import { piEventSchema, piFastCheck } from "../src/engines/pi.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

function fixtureValues(engine: string): unknown[] {
  const out: unknown[] = [];
  for (const dir of ["takopi", "current"]) {
    for (const f of readdirSync(join(FIXTURES, dir))) {
      if (!f.startsWith(engine) || !f.endsWith(".jsonl")) continue;
      for (const line of readFileSync(join(FIXTURES, dir, f), "utf8").split("\n")) {
        try {
          out.push(JSON.parse(line));
        } catch {
          // not JSON: not the fast check's business
        }
      }
    }
  }
  return out;
}

const REPLACEMENTS: unknown[] = [undefined, null, 0, 1.5, -1, 2 ** 60, "", "x", "completed", true, [], {}, [{}], [{ type: "text" }]];

/** The value itself, and every variant with one nested field removed or replaced. */
function* variants(v: unknown, depth = 0): Generator<unknown> {
  yield v;
  if (depth > 4 || typeof v !== "object" || v === null) return;
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  for (const k of keys) {
    const child = (v as Record<string | number, unknown>)[k];
    for (const r of REPLACEMENTS) yield replaceAt(v, k, r);
    for (const c of variants(child, depth + 1)) if (c !== child) yield replaceAt(v, k, c);
  }
}

function replaceAt(v: object, k: string | number, r: unknown): unknown {
  if (Array.isArray(v)) {
    const copy = [...v];
    if (r === undefined) copy.splice(k as number, 1);
    else copy[k as number] = r;
    return copy;
  }
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  if (r === undefined) delete copy[k];
  else copy[k] = r;
  return copy;
}

function outcome(line: string, schema: z.ZodType, fast?: FastCheck): { ok: unknown } | { error: string } {
  try {
    return { ok: decodeStrict(line, schema, fast) };
  } catch (err) {
    return { error: String(err) };
  }
}

const engines: Array<[string, z.ZodType, FastCheck]> = [
  ["codex", codexEventSchema, codexFastCheck],
  ["claude", claudeEventSchema, claudeFastCheck],
  ["opencode", opencodeEventSchema, opencodeFastCheck],
  ["pi", piEventSchema, piFastCheck],
];

describe("decodeStrict fast checks", () => {
  for (const [engine, schema, fast] of engines) {
    it(`${engine}: fast accept implies schema accept; decodeStrict unchanged`, () => {
      const values = fixtureValues(engine);
      expect(values.length).toBeGreaterThan(5);
      let fastHits = 0;
      let checked = 0;
      for (const value of values) {
        for (const variant of variants(value)) {
          const line = JSON.stringify(variant);
          if (line === undefined) continue;
          const parsed: unknown = JSON.parse(line);
          checked++;
          if (fast(parsed)) {
            fastHits++;
            expect(schema.safeParse(parsed).success, line).toBe(true);
          }
          expect(outcome(line, schema, fast)).toEqual(outcome(line, schema));
        }
      }
      // The fast path does take the frequent shapes.
      expect(fastHits).toBeGreaterThan(values.length / 4);
      expect(checked).toBeGreaterThan(values.length);
    });
  }
});
