/**
 * Alias traffic in the browser (spec §4.8, §2.4.3): open an `aliasInvocation` (CBOR `{name, args, cwd}`
 * sealed by the CLI, AAD `alias|shellId|invocationId`) and seal the answer (AAD `alias-result|…`).
 */
import { aad, sealFrame, type AeadKey } from "@taiku/crypto";
import { ALIAS_RESULT_PLAIN_MAX, aliasCallPlain, decodeCbor, encodeCbor, type AliasResultPlain, type ServerMsg } from "@taiku/protocol";

export interface AliasInvocation {
  invocationId: number;
  shellId: number;
  name: string;
  args: string[];
  cwd: string;
}

export interface AliasAnswer extends AliasResultPlain {
  invocationId: number;
  shellId: number;
}

/** The invocation in an opened `aliasInvocation` frame (AAD `aad.alias`), or null when its plaintext is malformed. */
export function parseAliasInvocation(msg: ServerMsg<"aliasInvocation">, plain: Uint8Array): AliasInvocation | null {
  try {
    const call = aliasCallPlain.safeParse(decodeCbor(plain));
    return call.success ? { invocationId: msg.invocationId, shellId: msg.shellId, ...call.data } : null;
  } catch {
    return null;
  }
}

export function sealAliasAnswer(sessionId: string, key: AeadKey, a: AliasAnswer): Promise<{ n: Uint8Array; c: Uint8Array }> {
  const plain = encodeCbor(fitOneFrame(a));
  return sealFrame(key, plain, aad.aliasResult(sessionId, a.shellId, a.invocationId));
}

export const ALIAS_CUT_NOTICE = "\ntaiku: alias output cut to fit one frame\n";
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The first `bytes` bytes of `s` in UTF-8, never ending inside a character. */
function cutUtf8(s: string, bytes: number): string {
  const b = utf8.encode(s);
  if (b.length <= bytes) return s;
  let end = Math.max(0, bytes);
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--; // back to a character boundary
  return utf8Decoder.decode(b.subarray(0, end));
}

/**
 * The answer as one sealed frame can carry it. A plugin may answer up to 1 MiB per stream (§7.14), but
 * the answer is one socket message, which the relay takes up to 1 MiB (`ALIAS_RESULT_PLAIN_MAX` of
 * plaintext) and refuses beyond, which would leave the shell waiting out its deadline: longer output is
 * cut, stderr kept first, and stderr says so.
 */
export function fitOneFrame(a: AliasResultPlain, max: number = ALIAS_RESULT_PLAIN_MAX): AliasResultPlain {
  const whole = { stdout: a.stdout, stderr: a.stderr, exitCode: a.exitCode };
  if (encodeCbor(whole).byteLength <= max) return whole;
  // CBOR framing of the map, two string heads and the exit code stays well under 64 bytes.
  const room = max - 64 - utf8.encode(ALIAS_CUT_NOTICE).length;
  const stderr = cutUtf8(a.stderr, Math.floor(room / 2) + Math.max(0, Math.floor(room / 2) - utf8.encode(a.stdout).length));
  const stdout = cutUtf8(a.stdout, room - utf8.encode(stderr).length);
  return { stdout, stderr: stderr + ALIAS_CUT_NOTICE, exitCode: a.exitCode };
}
