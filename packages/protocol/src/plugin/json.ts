/** UTF-8 byte length of `JSON.stringify(value)`; Infinity for values with no JSON form. */
export function jsonByteLength(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
  } catch {
    return Infinity; // cycles and BigInt survive structured clone but have no JSON form
  }
}
