/**
 * Alias traffic in the browser (spec §4.8, §2.4.3): open an `aliasInvocation` (CBOR `{name, args, cwd}`
 * sealed by the CLI, AAD `alias|shellId|invocationId`) and seal the answer (AAD `alias-result|…`).
 */
import { aad, sealFrame, type AeadKey } from "@taiku/crypto";
import { aliasCallPlain, decodeCbor, encodeCbor, type AliasResultPlain, type ServerMsg } from "@taiku/protocol";

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
  const plain = encodeCbor({ stdout: a.stdout, stderr: a.stderr, exitCode: a.exitCode });
  return sealFrame(key, plain, aad.aliasResult(sessionId, a.shellId, a.invocationId));
}
