/**
 * The one codec for Store values, callback arguments and tool RPC (§1.3, §3.2): SuperJSON's wire
 * format `{ json, meta }`. Values are validated at the call site so a bad value fails where it
 * was written, not when it is read back.
 */
import superjson from "superjson";
import { SerializationError } from "./errors.js";

export const MAX_VALUE_BYTES = 1024 * 1024;
export const MAX_KEY_BYTES = 512;

const ALLOWED_CLASSES: Array<abstract new (...a: never[]) => unknown> = [Date, RegExp, Map, Set, Error, URL];

function check(value: unknown, path: string, seen: Set<object>): void {
  const t = typeof value;
  if (t === "function") throw new SerializationError(`Cannot serialize a function at ${path}: use a callback token instead`);
  if (t === "symbol") throw new SerializationError(`Cannot serialize a symbol at ${path}`);
  if (value === null || t !== "object") return;
  const obj = value as object;
  if (seen.has(obj)) throw new SerializationError(`Cannot serialize a circular reference at ${path}`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      obj.forEach((v, i) => check(v, `${path}[${i}]`, seen));
      return;
    }
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (proto === null || proto === Object.prototype) {
      for (const [k, v] of Object.entries(obj)) check(v, `${path}.${k}`, seen);
      return;
    }
    if (obj instanceof Map) {
      for (const [k, v] of obj) {
        check(k, `${path}<key>`, seen);
        check(v, `${path}<value>`, seen);
      }
      return;
    }
    if (obj instanceof Set) {
      for (const v of obj) check(v, `${path}<item>`, seen);
      return;
    }
    if (ALLOWED_CLASSES.some((C) => obj instanceof C)) return;
    const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw new SerializationError(`Cannot serialize an instance of ${name} at ${path}: only plain objects, arrays, Date, RegExp, Map, Set, Error, URL and bigint`);
  } finally {
    seen.delete(obj);
  }
}

export function assertSerializable(value: unknown, what = "value"): void {
  check(value, what, new Set());
}

/** Validates and encodes; throws SerializationError on anything SuperJSON cannot round-trip. */
export function encode(value: unknown, what = "value"): string {
  assertSerializable(value, what);
  const text = JSON.stringify(superjson.serialize(value));
  if (Buffer.byteLength(text) > MAX_VALUE_BYTES) throw new SerializationError(`${what} is larger than ${MAX_VALUE_BYTES} bytes once serialized`);
  return text;
}

export function decode<T = unknown>(text: string): T {
  return superjson.deserialize(JSON.parse(text) as Parameters<typeof superjson.deserialize>[0]) as T;
}

export function checkKey(key: string): void {
  if (typeof key !== "string") throw new SerializationError("Store keys are strings");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new SerializationError(`Store key longer than ${MAX_KEY_BYTES} bytes: ${key.slice(0, 40)}…`);
}
