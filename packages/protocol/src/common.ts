import { z } from "zod";

/** Byte string (CBOR major type 2). Node's Buffer is a Uint8Array and passes. */
export const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: "expected a byte string" });
export const bytesOfLength = (n: number) =>
  bytes.refine((b) => b.byteLength === n, { message: `expected ${n} bytes` });

export const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const uint32 = z.number().int().nonnegative().max(0xffff_ffff);
export const shellId = z.number().int().min(1).max(0xffff_ffff);

/** `session_id` accepted in routes and messages (spec §2.1). */
export const SESSION_ID_RE = /^[A-Za-z0-9_-]{4,64}$/;
export const sessionId = z.string().regex(SESSION_ID_RE, { message: "invalid session id" });

/** Encrypted frame `{n, c}`: 12-byte nonce, AES-GCM ciphertext + tag (spec §2.4.2). */
export const frame = z.object({
  n: bytesOfLength(12),
  c: bytes.refine((b) => b.byteLength >= 16 && b.byteLength <= 64 * 1024 + 16, { message: "ciphertext size out of range" }),
});
export type Frame = z.infer<typeof frame>;

/**
 * Largest plaintext of a sealed alias answer (`aliasResult` on both links). A plugin may answer up to
 * 1 MiB per stream (§4.8, §7.14 `respondAlias`), more than a terminal frame's 64 KiB; one answer is one
 * socket message, which the server takes up to 1 MiB (§2.2.1), so the plaintext stays 1 KiB under that
 * for the message's own CBOR framing.
 */
export const ALIAS_RESULT_PLAIN_MAX = 1024 * 1024 - 1024;
export const aliasResultFrame = z.object({
  n: bytesOfLength(12),
  c: bytes.refine((b) => b.byteLength >= 16 && b.byteLength <= ALIAS_RESULT_PLAIN_MAX + 16, { message: "ciphertext size out of range" }),
});

/** A frame with its position in the stream (output, agent events, document updates). */
export const seqFrame = frame.extend({ seq: uint });
export type SeqFrame = z.infer<typeof seqFrame>;

export const role = z.enum(["reader", "writer", "admin"]);
export type Role = z.infer<typeof role>;

export const E2E_SUITE = "taiku-e2e-v1" as const;

/** Result of validating one inbound socket message. Unknown `t` values are ignored, never errors (spec §2.2.1). */
export type ParseResult<T> =
  | { ok: true; message: T }
  | { ok: false; unknownType: true; type: string }
  | { ok: false; unknownType: false; error: string };

export function makeParser<T extends { t: string }>(schema: z.ZodType<T>, knownTypes: ReadonlySet<string>) {
  return (raw: unknown): ParseResult<T> => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
      return { ok: false, unknownType: false, error: "message must be a CBOR map" };
    }
    const t = (raw as { t?: unknown }).t;
    if (typeof t !== "string") return { ok: false, unknownType: false, error: "message has no string field t" };
    if (!knownTypes.has(t)) return { ok: false, unknownType: true, type: t };
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
      return { ok: false, unknownType: false, error: `invalid ${t} message${where}: ${issue?.message ?? "invalid"}` };
    }
    return { ok: true, message: parsed.data };
  };
}

/** Collect the `t` literals of a discriminated union's options. */
export function typesOf(options: readonly z.ZodObject<{ t: z.ZodLiteral<string> }>[]): Set<string> {
  return new Set(options.map((o) => o.shape.t.value));
}
