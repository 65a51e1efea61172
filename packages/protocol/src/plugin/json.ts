/** UTF-8 byte length of `JSON.stringify(value)`; Infinity for values with no JSON form. */
export function jsonByteLength(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
  } catch {
    return Infinity; // cycles and BigInt survive structured clone but have no JSON form
  }
}

/**
 * A KV value as every other client will see it: its JSON text and the JSON round trip of it (a Date
 * comes back as a string). Null for values JSON cannot spell (undefined, functions, cycles, BigInt),
 * which hosts refuse with `BRIDGE_ERRORS.invalidParams("value must be JSON")`.
 */
export function jsonRoundTrip(value: unknown): { text: string; json: unknown } | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return null; // cycles, BigInt
  }
  return text === undefined ? null : { text, json: JSON.parse(text) as unknown };
}
