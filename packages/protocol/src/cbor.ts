import { Encoder } from "cbor-x";

// One encoder configuration for every socket in taiku: plain CBOR maps (no cbor-x record
// extension), byte strings for Uint8Array (no typed-array tags), so any CBOR decoder reads it.
const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  pack: false,
  variableMapSize: true,
} as ConstructorParameters<typeof Encoder>[0]);

/** Encode one message as a CBOR data item (one WebSocket binary frame). */
export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decode one CBOR data item; throws on malformed input. Buffers decode as Uint8Array. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return encoder.decode(bytes);
}
